from django.contrib.auth import views as auth_views
from django.urls import path

from papertide.accounts import views

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/confirm/<str:token>/", views.signup_confirm, name="signup-confirm"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/password-change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.profile, name="profile"),
    path("profile/data.json", views.my_data, name="my-data"),
    path("profile/delete/", views.delete_account, name="delete-account"),
    path("profile/tokens/", views.create_token, name="create-token"),
    path("profile/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke-token"),
]

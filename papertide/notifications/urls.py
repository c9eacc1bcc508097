from django.urls import path

from papertide.notifications import views

urlpatterns = [
    path("notifications/", views.index, name="notifications"),
    path("notifications/email/", views.choose, name="notification-choices"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="notifications-unsubscribe"),
]

from django.urls import path

from papertide.digests import views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("follow/", views.follow, name="follow"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="digest-confirm"),
    path("digests/<str:token>/", views.manage, name="digest-manage"),
    path("digests/<str:token>/unsubscribe/", views.unsubscribe, name="digest-unsubscribe"),
    path("digests/<str:token>/resubscribe/", views.resubscribe, name="digest-resubscribe"),
]

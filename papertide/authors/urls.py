from django.urls import path

import papertide.converters  # noqa: F401  (registers arxiv_id)
from papertide.authors import views

urlpatterns = [
    path("papers/<arxiv_id:arxiv_id>/claim/", views.claim, name="claim"),
    path("claims/<str:token>/confirm/", views.confirm, name="claim-confirm"),
    path("people/<str:username>/", views.profile, name="author-profile"),
    path("profile/author/", views.edit_profile, name="author-profile-edit"),
]

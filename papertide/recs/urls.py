from django.urls import path

import papertide.converters  # noqa: F401  (registers arxiv_id)
from papertide.recs import views

urlpatterns = [
    path("papers/<arxiv_id:arxiv_id>/save/", views.save_paper, name="save"),
    path("papers/<arxiv_id:arxiv_id>/not-interested/", views.dismiss_paper, name="dismiss"),
    path("for-you/", views.for_you, name="for-you"),
    path("library/", views.library, name="library"),
    path("library/notes/<arxiv_id:arxiv_id>/", views.library_note, name="library-note"),
    path("library/export.<str:fmt>", views.library_export, name="library-export"),
    path("library/import/", views.library_import_page, name="library-import"),
    path("library/import/<int:job_id>/", views.library_import_status, name="library-import-status"),
    path("interests/", views.interests_page, name="interests"),
    path("interests/<int:interest_id>/", views.interest_change, name="interest"),
]

from django.urls import path

import papertide.converters  # noqa: F401  (registers arxiv_id)
from papertide.api import hf
from papertide.api import collections, comments, recommendations  # noqa: F401  (register their routes on the API)
from papertide.api.native import api

urlpatterns = [
    path("daily_papers", hf.daily_papers, name="api-daily-papers"),
    path("papers/search", hf.paper_search, name="api-paper-search"),
    path("papers/<arxiv_id:arxiv_id>", hf.paper_detail, name="api-paper"),
    path("", api.urls),
]

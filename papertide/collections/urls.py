from django.urls import path

import papertide.converters  # noqa: F401  (registers arxiv_id)
from papertide.collections import views
from papertide.collections.feeds import CollectionFeed
from papertide.web.feeds import atom

urlpatterns = [
    path("collections/", views.index, name="collections"),
    path("collections/new/", views.create, name="collection-create"),
    path("collections/<int:collection_id>/", views.collection, name="collection-bare"),
    path("collections/<int:collection_id>-<slug:slug>/", views.collection, name="collection"),
    path("collections/<int:collection_id>/edit/", views.edit, name="collection-edit"),
    path("collections/<int:collection_id>/delete/", views.delete, name="collection-delete"),
    path("collections/<int:collection_id>/follow/", views.follow, name="collection-follow"),
    path("collections/<int:collection_id>/papers/<arxiv_id:arxiv_id>/", views.item, name="collection-item"),
    path("collections/<int:collection_id>.bib", views.export, name="collection-export"),
    path("papers/<arxiv_id:arxiv_id>/collections/", views.shelves, name="paper-collections"),
    path("feeds/collections/<int:collection_id>.rss", CollectionFeed(), name="feed-collection"),
    path("feeds/collections/<int:collection_id>.atom", atom(CollectionFeed)(), name="feed-collection-atom"),
]

"""A public collection as RSS/Atom: its papers, the latest added first (a private one is a 404, as on the site)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from papertide.collections import rules
from papertide.collections.models import Collection
from papertide.web.feeds import PaperFeed

FEED_SIZE = 100


class CollectionFeed(PaperFeed):
    def get_object(self, request, collection_id: int) -> Collection:
        return rules.readable(AnonymousUser(), collection_id)  # a feed reader sends no cookies: public only

    def title(self, collection: Collection) -> str:
        return f"{collection.name} — a collection by {collection.owner.username}"

    def description(self, collection: Collection) -> str:
        return collection.description or f"Papers {collection.owner.username} collected."

    def link(self, collection: Collection) -> str:
        return collection.get_absolute_url()

    def items(self, collection: Collection):
        self._notes = {}
        items = list(collection.items.select_related("paper").order_by("-added_at")[:FEED_SIZE])
        self._notes = {item.paper_id: item.note for item in items}
        self._added = {item.paper_id: item.added_at for item in items}
        return [item.paper for item in items]

    def item_description(self, paper) -> str:
        note = self._notes.get(paper.pk)
        return f"{note}\n\n{paper.abstract}" if note else paper.abstract

    def item_pubdate(self, paper):
        return self._added[paper.pk]

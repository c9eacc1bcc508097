"""Collections in the native API: read a public collection (or one's own, with a token), list one's own (the
library first), create one, and add or remove papers. A private collection is a 404 to anyone but its owner."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import Field, Schema, Status

from papertide.api.native import ErrorOut, PaperOut, TokenAuth, api, find_paper
from papertide.collections import rules
from papertide.collections.models import Collection


class ItemOut(Schema):
    note: str
    added_at: dt.datetime
    paper: PaperOut


class CollectionOut(Schema):
    id: str = Field(description='A number, or "library" for the reader\'s library (their private default collection)')
    name: str
    description: str
    public: bool
    owner: str
    papers: int
    url: str


class CollectionDetailOut(CollectionOut):
    items: list[ItemOut] = Field(description="In the owner's order")


class CollectionIn(Schema):
    name: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    public: bool = False


class ItemIn(Schema):
    note: str = Field("", max_length=2000)


def _summary(collection: Collection, count: int) -> dict:
    return {"id": str(collection.pk), "name": collection.name, "description": collection.description,
            "public": collection.public, "owner": collection.owner.username, "papers": count,
            "url": collection.get_absolute_url()}


def _reader(request: HttpRequest):
    """The token's reader when a valid token is sent (the token is optional here); anyone else reads public
    collections only."""
    return TokenAuth()(request) or AnonymousUser()


@api.get("/v1/collections/{int:collection_id}", response={200: CollectionDetailOut, 400: ErrorOut, 404: ErrorOut},
         tags=["collections"])
def get_collection(request: HttpRequest, collection_id: int):
    """A public collection, or one of the token's reader's own."""
    shown = rules.readable(_reader(request), collection_id)
    items = list(shown.items.select_related("paper").order_by("position", "added_at"))
    return _summary(shown, len(items)) | {"items": [
        {"note": item.note, "added_at": item.added_at, "paper": item.paper} for item in items]}


@api.get("/v1/me/collections", auth=TokenAuth(), response={200: list[CollectionOut], 401: ErrorOut},
         tags=["collections"])
def my_collections(request: HttpRequest):
    """The token's reader's collections, the library first."""
    from django.db.models import Count

    from papertide.recs.models import Save

    user = request.user
    library = {"id": rules.LIBRARY, "name": "Library", "description": "Saved papers: private, and what For you "
               "learns from", "public": False, "owner": user.username,
               "papers": Save.objects.filter(user=user).count(), "url": "/library/"}
    mine = Collection.objects.filter(owner=user).select_related("owner").annotate(n=Count("items"))
    return [library] + [_summary(c, c.n) for c in mine]


@api.post("/v1/collections", auth=TokenAuth(), response={201: CollectionOut, 400: ErrorOut, 401: ErrorOut},
          tags=["collections", "writes"])
def create_collection(request: HttpRequest, body: CollectionIn):
    try:
        made = rules.create(request.user, body.name, body.description, body.public)
    except rules.Refused as refused:
        return Status(refused.status, {"error": str(refused)})
    return Status(201, _summary(made, 0))


@api.put("/v1/collections/{int:collection_id}/papers/{path:arxiv_id}", auth=TokenAuth(),
         response={200: CollectionOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut}, tags=["collections", "writes"])
def put_item(request: HttpRequest, collection_id: int, arxiv_id: str, body: ItemIn):
    """Add a paper (at the end) with an optional note; a paper already there keeps its place and gets the note."""
    mine = rules.owned(request.user, collection_id)
    paper = find_paper(arxiv_id)
    try:
        if not rules.add(mine, paper, body.note) and body.note:
            rules.note(mine, paper, body.note)
    except rules.Refused as refused:
        return Status(refused.status, {"error": str(refused)})
    return _summary(mine, mine.items.count())


@api.delete("/v1/collections/{int:collection_id}/papers/{path:arxiv_id}", auth=TokenAuth(),
            response={200: CollectionOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut}, tags=["collections", "writes"])
def delete_item(request: HttpRequest, collection_id: int, arxiv_id: str):
    mine = rules.owned(request.user, collection_id)
    rules.remove(mine, find_paper(arxiv_id))
    return _summary(mine, mine.items.count())

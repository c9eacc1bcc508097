"""What readers do with collections, and its rules: only the owner changes a collection, a private one is nobody
else's business (a 404, as if it did not exist), names are unique per owner, a paper is in a collection once.
The reader's library is the first of their collections (`shelf`): adding to it saves the paper (recs.actions)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone

from papertide.collections.models import MAX_COLLECTIONS, MAX_ITEMS, Collection, Following, Item
from papertide.papers.models import Paper
from papertide.refusals import Refused
from papertide.sources.records import without_control_characters

LIBRARY = "library"  # how the library is named where a collection id is expected (forms, the API)


def _text(value: str, limit: int) -> str:
    return without_control_characters(value or "").strip()[:limit]


def readable(user, collection_id: int) -> Collection:
    """A collection the reader may see: public, or theirs. Anything else does not exist for them."""
    visible = Q(public=True) | Q(owner_id=user.pk) if user.is_authenticated else Q(public=True)
    found = Collection.objects.select_related("owner").filter(visible, pk=collection_id).first()
    if found is None:
        raise Http404("No such collection (or it is private).")
    return found


def owned(user, collection_id: int) -> Collection:
    found = Collection.objects.filter(pk=collection_id, owner_id=user.pk).first()
    if found is None:
        raise Http404("No such collection of yours.")
    return found


def create(user, name: str, description: str = "", public: bool = False) -> Collection:
    name = " ".join(_text(name, 100).split())
    if not name:
        raise Refused("Give the collection a name")
    if name.lower() == LIBRARY:
        raise Refused("“Library” is your saved papers already; choose another name")
    if Collection.objects.filter(owner=user).count() >= MAX_COLLECTIONS:
        raise Refused(f"You have {MAX_COLLECTIONS} collections, the most one reader can have; delete one first")
    try:
        with transaction.atomic():
            return Collection.objects.create(owner=user, name=name, description=_text(description, 2000),
                                             public=public)
    except IntegrityError:
        raise Refused(f"You have a collection called “{name}” already") from None


def change(collection: Collection, name: str, description: str, public: bool) -> Collection:
    name = " ".join(_text(name, 100).split())
    if not name:
        raise Refused("Give the collection a name")
    collection.name, collection.description, collection.public = name, _text(description, 2000), public
    try:
        with transaction.atomic():
            collection.save()
    except IntegrityError:
        raise Refused(f"You have a collection called “{name}” already") from None
    return collection


def add(collection: Collection, paper: Paper, note: str = "") -> bool:
    """Add at the end; False if it was there already."""
    with transaction.atomic():
        if collection.items.count() >= MAX_ITEMS:
            raise Refused(f"A collection holds at most {MAX_ITEMS:,} papers")
        last = collection.items.aggregate(last=Max("position"))["last"]
        try:
            with transaction.atomic():
                Item.objects.create(collection=collection, paper=paper, note=_text(note, 2000),
                                    position=0 if last is None else last + 1)
        except IntegrityError:
            return False
        Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return True


def remove(collection: Collection, paper: Paper) -> bool:
    return Item.objects.filter(collection=collection, paper=paper).delete()[0] > 0


def note(collection: Collection, paper: Paper, text: str) -> Item:
    item = Item.objects.filter(collection=collection, paper=paper).first()
    if item is None:
        raise Http404("That paper is not in this collection.")
    item.note = _text(text, 2000)
    item.save(update_fields=["note"])
    return item


def move(collection: Collection, paper: Paper, steps: int) -> None:
    """Move a paper up (negative) or down the collection's order, renumbering it 0, 1, 2…"""
    with transaction.atomic():
        items = list(collection.items.select_for_update().order_by("position", "added_at"))
        index = next((i for i, item in enumerate(items) if item.paper_id == paper.pk), None)
        if index is None:
            raise Http404("That paper is not in this collection.")
        item = items.pop(index)
        items.insert(max(0, min(len(items), index + steps)), item)
        changed = [item for position, item in enumerate(items) if item.position != position]
        for position, each in enumerate(items):
            each.position = position
        Item.objects.bulk_update(changed, ["position"])


def follow(user, collection: Collection, on: bool = True) -> bool:
    if on and collection.owner_id == user.pk:
        raise Refused("That is your own collection")
    if not on:
        return Following.objects.filter(user=user, collection=collection).delete()[0] > 0
    _, created = Following.objects.get_or_create(user=user, collection=collection)
    return created


@dataclass
class Shelf:
    """One of a reader's collections as the "Add to…" menu shows it, the library first."""

    key: str  # LIBRARY or the collection's id
    name: str
    public: bool
    has_paper: bool


def shelves(user, paper: Paper) -> list[Shelf]:
    from papertide.recs.models import Save

    inside = set(Item.objects.filter(collection__owner=user, paper=paper).values_list("collection_id", flat=True))
    return [Shelf(LIBRARY, "Library", False, Save.objects.filter(user=user, paper=paper).exists())] + [
        Shelf(str(c.pk), c.name, c.public, c.pk in inside) for c in Collection.objects.filter(owner=user)]

"""The reader's signals, written: save and unsave, "not interested" and its undo. Views and the API call these."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction

from papertide.papers.models import Paper
from papertide.recs.models import Dismissal, Save


def save(user, paper: Paper, note: str = "", how: str = Save.How.SAVED) -> bool:
    """True if the paper was not saved yet."""
    try:
        with transaction.atomic():
            Save.objects.create(user=user, paper=paper, note=note[:5000], how=how)
    except IntegrityError:
        return False
    Dismissal.objects.filter(user=user, paper=paper).delete()  # saving it says the opposite
    return True


def unsave(user, paper: Paper) -> bool:
    deleted, _ = Save.objects.filter(user=user, paper=paper).delete()
    return bool(deleted)


def dismiss(user, paper: Paper) -> None:
    Dismissal.objects.get_or_create(user=user, paper=paper)
    signals_changed(user.pk)


def undismiss(user, paper: Paper) -> None:
    Dismissal.objects.filter(user=user, paper=paper).delete()
    signals_changed(user.pk)


def _count_key(user_id: int) -> str:
    return f"recs-positives:{user_id}"


def has_enough(user) -> bool:
    """Whether "For you" has enough to go on (RECS_MIN_POSITIVES saved or upvoted papers outside muted and deleted
    interests, as the ranking counts them). Asked by every feed page a logged-in reader opens, so kept in the readers'
    cache until their signals change (recs/receivers.py, and a change of interest)."""
    if not user.is_authenticated:
        return False
    readers = caches["readers"]
    count = readers.get(_count_key(user.pk))
    if count is None:
        from papertide.recs.foryou import signals_of

        count = len(signals_of(user).liked)
        readers.set(_count_key(user.pk), count, None)
    return count >= settings.RECS_MIN_POSITIVES


def signals_version(user) -> str:
    """Changes whenever what steers the reader's "For you" does: part of the key their ranked pages are kept under."""
    readers = caches["readers"]
    version = readers.get(f"recs-version:{user.pk}")
    if version is None:
        version = time.time_ns()
        readers.set(f"recs-version:{user.pk}", version, None)
    return str(version)


def signals_changed(user_id: int) -> None:
    """Their saves, upvotes, dismissals or interests changed: count their liked papers again, rank anew."""
    caches["readers"].delete_many([_count_key(user_id), f"recs-version:{user_id}"])

"""Whenever the papers a reader saved or upvoted change, after the change commits: their ranked pages are keyed
anew (recs/actions.py) and their interests found again, off the request (recs/refresh.py). Bulk writers (library
imports) call `interests.refresh` once instead, inside `quietly()`."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from papertide.papers.models import Upvote
from papertide.recs import actions, refresh
from papertide.recs.models import Save

_quiet = threading.local()


@contextmanager
def quietly():
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = False


@receiver([post_save, post_delete], sender=Save)
@receiver([post_save, post_delete], sender=Upvote)
def positives_changed(sender, instance, **kwargs) -> None:
    if kwargs.get("created") is False:
        return
    user_id, quiet = instance.user_id, getattr(_quiet, "on", False)

    def committed() -> None:
        # After the commit, so that a page ranked meanwhile from the old signals is not kept under the new key.
        actions.signals_changed(user_id)
        if not quiet:
            refresh.papers_changed(user_id)

    transaction.on_commit(committed)

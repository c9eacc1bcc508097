"""Claiming authorship: a reader says "I am <name>" on one of that author's papers. A moderator approves it from
the admin's queue, or, when the reader's address is on the operator's allow-list (AUTHOR_CLAIM_ALLOW: a domain,
an address, or an ORCID iD bound to an address), the reader approves it themselves by opening the link mailed to
that address, which proves they read it. One reader per name once approved."""

from __future__ import annotations

import re
from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from papertide.authors.models import Claim, Profile
from papertide.papers.models import Paper
from papertide.papers.text import author_key
from papertide.refusals import Refused

SALT = "papertide.authors.claim"
CONFIRM_DAYS = 3
ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def allowed(email: str) -> tuple[bool, str]:
    """Whether the address is on the allow-list, and the ORCID iD it is bound to there (if any)."""
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    for entry in settings.AUTHOR_CLAIM_ALLOW:
        entry = entry.strip().lower()
        orcid, _, address = entry.rpartition("=")
        if orcid and ORCID.match(orcid.upper()) and address == email:
            return True, orcid.upper()
        if entry == email or entry.lstrip("@") == domain:
            return True, ""
    return False, ""


def claim(user, paper: Paper, name: str) -> Claim:
    """The reader's claim to be this author of this paper (one per name: claiming again returns it)."""
    key = author_key(name)
    named = next((n for n in paper.authors if author_key(n) == key), None)
    if not key or named is None:
        raise Refused(f"{name[:100]!r} is not an author of this paper")
    if Claim.objects.filter(key=key, status=Claim.Status.APPROVED).exclude(user=user).exists():
        raise Refused(f"{named} is claimed by another reader already. If that is wrong, write to the site's "
                      "operators", 409)
    existing = Claim.objects.filter(user=user, key=key).first()
    if existing is not None and existing.status != Claim.Status.REJECTED:
        return existing
    ok, orcid = allowed(user.email) if user.email else (False, "")
    status = Claim.Status.CONFIRMING if ok else Claim.Status.PENDING
    with transaction.atomic():
        made, _ = Claim.objects.update_or_create(user=user, key=key, defaults={
            "name": named, "paper": paper, "status": status, "orcid": orcid, "how": "", "decided_at": None})
    if ok:
        _mail_confirmation(made)
    return made


def _mail_confirmation(made: Claim) -> None:
    token = signing.dumps({"c": made.pk, "e": made.user.email.lower()}, salt=SALT, compress=True)
    link = settings.BASE_URL + reverse("claim-confirm", kwargs={"token": token})
    send_mail(f"Confirm that you are {made.name}", (
        f"Hello {made.user.get_username()},\n\nYou said on {settings.SITE_NAME} that you are {made.name}, an author of "
        f"“{made.paper.title if made.paper else made.name}”. Your address is one the site trusts for authors, so "
        f"opening this link within {CONFIRM_DAYS} days confirms it:\n\n{link}\n\n"
        "If it was not you, ignore this message: nothing changes.\n"), None, [made.user.email])


def confirm(token: str) -> Claim:
    try:
        data = signing.loads(token, salt=SALT, max_age=CONFIRM_DAYS * 86400)
    except signing.SignatureExpired:
        raise Refused(f"This link is more than {CONFIRM_DAYS} days old: claim the paper again for a new one") from None
    except signing.BadSignature:
        raise Refused("This link is not one papertide sent (it may be cut short): copy all of it") from None
    found = Claim.objects.select_related("user").filter(pk=data.get("c")).first()
    if found is None or found.user.email.lower() != data.get("e"):
        raise Refused("This claim no longer exists, or the account's address changed since", 404)
    if found.status == Claim.Status.CONFIRMING:
        _approve(found, Claim.How.ALLOW_LIST, None)
    return found


def _approve(found: Claim, how: str, moderator) -> None:
    try:
        with transaction.atomic():
            found.status, found.how, found.decided_at, found.decided_by = (
                Claim.Status.APPROVED, how, timezone.now(), moderator)
            found.save()
            Profile.objects.get_or_create(user=found.user, defaults={"name": found.name})
            # The badge is on these papers' pages: key their kept pages anew, as a new comment does.
            named = set(_papers_named(found.name)) | ({found.paper_id} if found.paper_id else set())
            Paper.objects.filter(pk__in=named).update(discussed_at=timezone.now())
    except IntegrityError:
        raise Refused(f"{found.name} is claimed by another reader already", 409) from None


def approve(claims, moderator) -> int:
    done = 0
    for found in claims:
        if found.status != Claim.Status.APPROVED:
            _approve(found, Claim.How.MODERATOR, moderator)
            done += 1
    return done


def reject(claims, moderator) -> int:
    return Claim.objects.filter(pk__in=[c.pk for c in claims]).exclude(status=Claim.Status.REJECTED).update(
        status=Claim.Status.REJECTED, decided_at=timezone.now(), decided_by=moderator)


class Claimant(NamedTuple):
    user_id: int
    username: str


def claimed_by(names) -> dict[str, Claimant]:
    """Approved claims among these author names: folded name (author_key) -> the reader who claimed it."""
    keys = {author_key(name) for name in names}
    return {key: Claimant(user_id, username) for key, user_id, username in Claim.objects.filter(
        key__in=keys, status=Claim.Status.APPROVED).values_list("key", "user_id", "user__username")}


def _papers_named(name: str) -> list[int]:
    """The site's papers by this name (case and accents ignored), as its author page finds them."""
    from papertide.search.service import search

    return search(f'author:"{name}"', limit=500).paper_ids


def papers_of(user) -> list[Paper]:
    """Every paper on the site by the names this reader has claimed, newest first."""
    ids: list[int] = []
    for name in Claim.objects.filter(user=user, status=Claim.Status.APPROVED).values_list("name", flat=True):
        ids += [pk for pk in _papers_named(name) if pk not in ids]
    return sorted(Paper.objects.in_order(ids), key=lambda p: p.published or timezone.now(), reverse=True)

"""Sign-up confirmed by email (PAPERTIDE_SIGNUP_CONFIRM): the account is made inactive and works once its owner
opens the link mailed to them. Sign-up answers the same whether or not the address already has an account; its
owner is mailed a note instead of a link. So the sign-up form cannot tell anyone who has an account here, which
the password-reset form already hides (issue #12)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from papertide.refusals import Refused

SALT = "papertide.accounts.signup"

log = logging.getLogger(__name__)


def _unconfirmed():
    """Accounts made by a sign-up whose link was never opened: inactive and never logged in."""
    return get_user_model().objects.filter(is_active=False, last_login__isnull=True)


def forget_expired() -> int:
    """Unconfirmed accounts whose link has expired give back their name and address (before a sign-up form is
    checked, so that the name is free again)."""
    expired = timezone.now() - dt.timedelta(days=settings.SIGNUP_CONFIRM_DAYS)
    deleted, _ = _unconfirmed().filter(date_joined__lt=expired).delete()
    return deleted


def start(form, next_url: str = "") -> None:
    """Mail the address either a link that finishes this sign-up or, if it has an account, a note saying so."""
    email = form.cleaned_data["email"]
    User = get_user_model()
    owner = User.objects.filter(email__iexact=email).exclude(pk__in=_unconfirmed().values("pk")).first()
    if owner is not None:
        send_mail(f"You already have an account on {settings.SITE_NAME}", (
            f"Hello {owner.get_username()},\n\nSomeone, perhaps you, tried to sign up on {settings.SITE_NAME} with "
            f"this address. It already has an account, named {owner.get_username()}: no new one was made.\n\n"
            f"Log in: {settings.BASE_URL}{reverse('login')}\n"
            f"Forgot your password? {settings.BASE_URL}{reverse('password_reset')}\n\n"
            "If it was not you, ignore this message: nothing changes.\n"), None, [owner.email])
        log.info("sign-up with the address of account %s: its owner was mailed", owner.pk)
        return
    with transaction.atomic():
        _unconfirmed().filter(email__iexact=email).delete()  # an earlier sign-up's link is replaced by this one
        user = form.save(commit=False)
        user.is_active = False
        user.save()
    token = signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=SALT, compress=True)
    link = settings.BASE_URL + reverse("signup-confirm", kwargs={"token": token})
    if next_url:
        link += "?" + urlencode({"next": next_url})
    send_mail(f"Finish signing up on {settings.SITE_NAME}", (
        f"Hello {user.get_username()},\n\nOpen this link within {settings.SIGNUP_CONFIRM_DAYS} days to finish "
        f"signing up on {settings.SITE_NAME}:\n\n{link}\n\n"
        "If it was not you, ignore this message: the account is never made.\n"), None, [user.email])
    log.info("sign-up of account %s: confirmation link mailed", user.pk)


def pending(token: str):
    """The unconfirmed account a link is for, or Refused with what to do."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.SIGNUP_CONFIRM_DAYS * 86400)
    except signing.SignatureExpired:
        raise Refused(f"This link is more than {settings.SIGNUP_CONFIRM_DAYS} days old: sign up again") from None
    except signing.BadSignature:
        raise Refused("This link is not one papertide sent (it may be cut short): copy all of it") from None
    user = _unconfirmed().filter(pk=data.get("u"), email__iexact=data.get("e", "")).first()
    if user is None:
        raise Refused("This link has been used, or a later sign-up replaced it: log in, or sign up again")
    return user


def finish(token: str):
    """Make the account of a link work; the caller logs it in, which also makes the link useless."""
    user = pending(token)
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    return user

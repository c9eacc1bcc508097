from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from papertide.web.page_cache import CSRF_PLACEHOLDER


def login_here(path: str) -> str:
    """The log-in page, coming back to `path` afterwards."""
    return f"{reverse('login')}?next={quote(path)}"


def site(request: HttpRequest) -> dict[str, str]:
    context = {
        "site_name": settings.SITE_NAME,
        # Every upvote button of an anonymous page links to it.
        "login_here": login_here(request.get_full_path()),
    }
    if request.user.is_authenticated:  # read only where a template asks (the header's bell, per request)
        from papertide.notifications.tell import unread

        context["unread_notifications"] = SimpleLazyObject(lambda: unread(request.user))
    if getattr(request, "csrf_placeholder", False):  # a page rendered for the page cache (web/page_cache.py)
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context

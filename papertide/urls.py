from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults

from papertide.api.errors import json_error
from papertide.web.health import healthz

# The feeds and paper pages first: Django tries the patterns in order, and going through every app's routes before
# them was a tenth of a kept page's time. No two apps share a route.
urlpatterns = [
    path("", include("papertide.web.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("papertide.api.urls")),
    path("", include("papertide.accounts.urls")),
    path("", include("papertide.digests.urls")),
    path("", include("papertide.recs.urls")),
    path("", include("papertide.discussion.urls")),
    path("", include("papertide.collections.urls")),
    path("", include("papertide.authors.urls")),
    path("", include("papertide.notifications.urls")),
    path("", include("papertide.topics.urls")),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The API answers in JSON even for an address it does not have."""
    if request.path.startswith("/api/"):
        return json_error(f"no such API endpoint: {request.path}", 404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields): JSON
    for the API too."""
    if request.path.startswith("/api/"):
        return json_error(f"bad request: {exception or 'the request could not be read'}"[:300], 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(f"forbidden: {exception or 'not allowed'}"[:300], 403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error("internal error; it has been logged", 500)
    return defaults.server_error(request)


handler400 = bad_request
handler403 = permission_denied
handler404 = not_found
handler500 = server_error

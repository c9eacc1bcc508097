from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults

from papertide.api.errors import json_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("papertide.api.urls")),
    path("", include("papertide.accounts.urls")),
    path("", include("papertide.digests.urls")),
    path("", include("papertide.web.urls")),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The API answers in JSON even for an address it does not have."""
    if request.path.startswith("/api/"):
        return json_error(f"no such API endpoint: {request.path}", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error("internal error; it has been logged", 500)
    return defaults.server_error(request)


handler404 = not_found
handler500 = server_error

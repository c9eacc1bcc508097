"""The topic map: its page, its points (one binary file, cached), a paper's title on hover, and the reader's own
papers marked on it."""

from __future__ import annotations

import struct
import threading

import numpy as np
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from papertide.papers.models import DailyEntry, Paper, Upvote
from papertide.recs.models import Save
from papertide.topics import projection

MAGIC = b"PTM1"
SCALE = 65535
TODAY, MINE = 1, 2  # flag bits (MINE is set in the browser from /map/mine.json: the file is the same for everyone)

_kept: dict[str, bytes] = {}
_lock = threading.Lock()


def points(found: projection.MapFiles, latest: set[int]) -> bytes:
    """`PTM1`, count, then x and y (uint16, 0..65535 over the unit square), paper ids (uint32), region (uint8) and
    flags (uint8), little-endian, each array aligned for a typed-array view."""
    count = len(found.ids)
    xy = np.clip(np.rint(found.xy * SCALE), 0, SCALE).astype("<u2")
    flags = np.isin(found.ids, np.fromiter(latest, dtype=np.int64, count=len(latest))).astype(np.uint8) * TODAY
    return b"".join([MAGIC, struct.pack("<I", count), xy[:, 0].tobytes(), xy[:, 1].tobytes(),
                     found.ids.astype("<u4").tobytes(), found.topic.astype(np.uint8).tobytes(), flags.tobytes()])


def _latest_day() -> tuple[str, set[int]]:
    day = DailyEntry.objects.latest_day()
    if day is None:
        return "", set()
    return day.isoformat(), set(DailyEntry.objects.filter(day=day, hidden=False).values_list("paper_id", flat=True))


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    found = projection.read()
    info = found.info if found else {}
    day = DailyEntry.objects.latest_day()
    return render(request, "topics/map.html", {
        "info": {"regions": info.get("regions", []), "count": info.get("count", 0), "version": info.get("version", "")},
        "papers": info.get("count", 0), "latest": day,
    })


@require_GET
def map_points(request: HttpRequest) -> HttpResponse:
    found = projection.read()
    if found is None:
        raise Http404("The map is not drawn yet: run `papertide index`.")
    day, latest = _latest_day()
    tag = f'"{found.version}-{day}-{len(latest)}"'
    if request.headers.get("If-None-Match") == tag:
        response = HttpResponse(status=304)
    else:
        with _lock:
            body = _kept.get(tag)
            if body is None:
                _kept.clear()
                body = _kept[tag] = points(found, latest)
        response = HttpResponse(body, content_type="application/octet-stream")
    response["ETag"] = tag
    patch_cache_control(response, public=True, max_age=300)
    return response


@require_GET
def map_paper(request: HttpRequest, paper_id: int) -> HttpResponse:
    """What a hover shows; `?go=1` opens the paper (a click)."""
    if paper_id > 2**53:
        raise Http404("No such paper.")
    paper = get_object_or_404(Paper.objects.only("arxiv_id", "title", "announced_on", "keyphrases"), pk=paper_id)
    if request.GET.get("go"):
        return redirect(paper)
    response = JsonResponse({"title": paper.title, "arxiv_id": paper.arxiv_id, "url": paper.get_absolute_url(),
                             "day": paper.announced_on.isoformat() if paper.announced_on else None,
                             "keyphrases": paper.keyphrases[:3]})
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_GET
def map_mine(request: HttpRequest) -> JsonResponse:
    """The reader's saved and upvoted papers, marked on the map."""
    ids: set[int] = set()
    if request.user.is_authenticated:
        ids.update(Save.objects.filter(user=request.user).values_list("paper_id", flat=True))
        ids.update(Upvote.objects.filter(user=request.user).values_list("paper_id", flat=True))
    response = JsonResponse({"ids": sorted(ids)})
    patch_cache_control(response, private=True, no_cache=True)
    return response

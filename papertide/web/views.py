"""Pages readers see. Views stay thin: queries live on the models' QuerySets."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from papertide.papers.models import DailyEntry, Paper
from papertide.search.service import search as run_search
from papertide.search.service import similar_papers


def daily_feed(request: HttpRequest, day: dt.date | None = None) -> HttpResponse:
    entries = DailyEntry.objects
    if day is None:
        day = entries.latest_day()
    elif not entries.on_day(day).exists():
        raise Http404(f"No papers were listed on {day:%A, %B %-d, %Y}.")
    page = Paginator(entries.on_day(day).ranked() if day else entries.none(), settings.PAPERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "papertide/daily_feed.html",
        {
            "day": day,
            "page": page,
            "previous_day": entries.day_before(day) if day else None,
            "next_day": entries.day_after(day) if day else None,
        },
    )


def paper_detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper.objects.with_upvote_counts().select_related("daily_entry"), arxiv_id=arxiv_id)
    similar = Paper.objects.in_order(similar_papers(paper.pk, limit=settings.SIMILAR_PAPERS))
    return render(request, "papertide/paper_detail.html", {"paper": paper, "similar": similar})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    result = run_search(query, limit=settings.PAPERS_PER_PAGE)
    return render(
        request,
        "papertide/search.html",
        {"query": query, "result": result, "papers": Paper.objects.in_order(result.paper_ids)},
    )


def author_papers(request: HttpRequest, name: str) -> HttpResponse:
    """Every paper by this author (case and accents ignored), newest first."""
    result = run_search(f'author:"{name[:200]}"', limit=500)
    papers = Paper.objects.in_order(result.paper_ids)
    return render(request, "papertide/author.html", {"name": name, "papers": papers})

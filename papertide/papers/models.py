"""Papers, their place on the daily list, and readers' upvotes."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from papertide.papers import trending
from papertide.papers.text import ascii_letters, shorten


class Source(models.TextChoices):
    ARXIV_RSS = "arxiv-rss", "arXiv announcement feed"
    ARXIV_API = "arxiv-api", "arXiv export API"
    ARXIV_OAI = "arxiv-oai", "arXiv OAI-PMH"
    KAGGLE = "kaggle", "Kaggle arXiv dump"
    HUGGINGFACE = "huggingface", "Hugging Face daily papers"
    SUBMISSION = "submission", "Reader submission"


PREVIEW_CHARS = 320


def id_year(arxiv_id: str) -> int:
    """The year an arXiv id was given out in: 2411.17775 and hep-th/9901001 start with YYMM (2000 if unreadable)."""
    digits = arxiv_id.split("/")[-1][:2]
    two_digits = int(digits) if digits.isdigit() else 0
    return 1900 + two_digits if two_digits >= 91 else 2000 + two_digits  # arXiv began in 1991


def id_month(arxiv_id: str) -> dt.date | None:
    """The month an arXiv id was given out in, or None when its digits do not name one."""
    digits = arxiv_id.split("/")[-1][:4]
    if not digits.isdigit() or not 1 <= int(digits[2:]) <= 12:
        return None
    return dt.date(id_year(arxiv_id), int(digits[2:]), 1)


class PaperQuerySet(models.QuerySet):
    def pending_index(self) -> PaperQuerySet:
        return self.filter(index_pending=True)

    def in_order(self, ids: list[int]) -> list[Paper]:
        """These papers in the order given (e.g. a search ranking)."""
        papers = self.in_bulk(ids)
        return [papers[paper_id] for paper_id in ids if paper_id in papers]


class Paper(models.Model):
    """One arXiv paper at its latest known version."""

    arxiv_id = models.CharField("arXiv id", max_length=40, unique=True, help_text="Without version")
    version = models.PositiveIntegerField(default=1)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    # Names in arXiv's order. Lookups by author go through the search index (`author:"Name"`).
    authors = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=40, blank=True, db_index=True)
    published = models.DateTimeField(null=True, blank=True, help_text="When v1 was submitted")
    updated = models.DateTimeField(null=True, blank=True, help_text="When the latest version was submitted")
    announced_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="The day the paper belongs to in the daily feed"
    )
    comments = models.TextField(blank=True)
    journal_ref = models.TextField("journal reference", blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    license = models.URLField(max_length=300, blank=True)
    code_url = models.URLField("code repository", max_length=500, blank=True)
    project_url = models.URLField("project page", max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    external_upvotes = models.PositiveIntegerField(default=0, help_text="Upvotes counted elsewhere (e.g. HF)")
    # Kept equal to the number of Upvote rows by papers/engagement.py, so lists sort and show it without a join.
    upvote_count = models.PositiveIntegerField(default=0, editable=False, help_text="Upvotes on this site")
    # Kept equal to the number of shown comments by discussion/rules.py; `discussed_at` moves with any change to
    # the discussion (a comment, an edit, a vote), so a cached paper page is keyed anew (web/views.paper_detail).
    comment_count = models.PositiveIntegerField(default=0, editable=False, help_text="Comments on this site")
    discussed_at = models.DateTimeField(null=True, blank=True, editable=False)
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    github_pushed_at = models.DateTimeField("last push to the code repository", null=True, blank=True)
    # Written by the index stage (topics/stage.py) from the title and abstract; `keyphrases_hash` is the hash of
    # the text they were found in, so a paper whose text changes gets new ones.
    keyphrases = models.JSONField(default=list, blank=True, editable=False)
    keyphrases_hash = models.CharField(max_length=16, blank=True, editable=False)
    # Set whenever text the search index reads changes; the index stage clears it.
    index_pending = models.BooleanField(default=True, db_index=True)
    # Until when an index run has claimed this pending paper for embedding (search/indexer.py `_claim`): other runs,
    # on this machine or others, take the next papers; past it, a run that died is taken over.
    index_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    index_claimed_by = models.CharField(max_length=200, blank=True, editable=False)  # "host:pid" of that run
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-announced_on", "arxiv_id"]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:80]}"

    # What a save() by hand (the admin, a shell) must follow up: the search index and the trending score.
    # Sources write through papers/upsert.py, which does the same in bulk.
    _REINDEXED = ("title", "abstract", "authors", "categories", "announced_on", "published")
    _RESCORED = ("external_upvotes", "github_stars")

    @classmethod
    def from_db(cls, db, field_names, values):
        paper = super().from_db(db, field_names, values)
        paper._loaded = {name: getattr(paper, name) for name in cls._REINDEXED + cls._RESCORED
                         if name in field_names}
        return paper

    def _changed(self, names: tuple[str, ...]) -> bool:
        loaded = getattr(self, "_loaded", {})
        return any(name in loaded and loaded[name] != getattr(self, name) for name in names)

    def save(self, *args, **kwargs) -> None:
        if self._changed(self._REINDEXED):
            self.index_pending = True
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "index_pending"}
        rescore = self._changed(self._RESCORED)
        super().save(*args, **kwargs)
        self._loaded = {name: getattr(self, name) for name in self._REINDEXED + self._RESCORED}
        if rescore:
            entry = DailyEntry.objects.filter(paper=self).values_list("pk", flat=True).first()
            if entry is not None:
                trending.refresh([entry])

    def get_absolute_url(self) -> str:
        return reverse("paper", kwargs={"arxiv_id": self.arxiv_id})

    @property
    def keyphrase_links(self) -> list[tuple[str, str]]:
        """Each keyphrase and the search for it, as a phrase."""
        search = reverse("search")
        return [(phrase, search + "?" + urlencode({"q": '"' + phrase + '"'})) for phrase in self.keyphrases]

    @property
    def abstract_preview(self) -> str:
        """The abstract cut at a word near PREVIEW_CHARS, for cards (cheaper than a template filter per card)."""
        return shorten(self.abstract, PREVIEW_CHARS)

    @property
    def authors_preview(self) -> str:
        names = ", ".join(self.authors[:4])
        return names + ", et al." if len(self.authors) > 4 else names

    @property
    def total_upvotes(self) -> int:
        """What readers see: upvotes here plus upvotes counted elsewhere."""
        return self.upvote_count + self.external_upvotes

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.versioned_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned_id}"

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def year(self) -> int:
        """The year of v1: from its date when known, else from the id (arXiv ids start with YYMM)."""
        return self.published.year if self.published else id_year(self.arxiv_id)

    def bibtex(self) -> str:
        """A BibTeX entry in arXiv's own style (@misc with eprint, archivePrefix, primaryClass)."""
        first_author = ascii_letters(self.authors[0].split()[-1] if self.authors else "anonymous").lower()
        year = self.year
        first_word = next((ascii_letters(w).lower() for w in self.title.split() if w.isalpha() and len(w) > 3), "paper")
        key = "".join(ch for ch in f"{first_author}{year}{first_word}" if ch.isascii() and ch.isalnum())
        fields = [
            ("title", "{" + self.title + "}"),
            ("author", " and ".join(self.authors)),
            ("year", str(year)),
            ("eprint", self.arxiv_id),
            ("archivePrefix", "arXiv"),
            ("primaryClass", self.primary_category),
            ("doi", self.doi),
            ("url", f"https://arxiv.org/abs/{self.arxiv_id}"),
        ]
        body = ",\n".join(f"  {name}={{{value}}}" for name, value in fields if value and value != "{}")
        return f"@misc{{{key},\n{body}\n}}"


# How a list of entries can be sorted, as named in URLs (?sort=…), with the label readers see.
SORTS = {"trending": "Trending", "upvotes": "Most upvoted", "discussed": "Most discussed", "newest": "Newest"}


class DailyEntryQuerySet(models.QuerySet):
    def visible(self) -> DailyEntryQuerySet:
        return self.filter(hidden=False)

    def on_day(self, day: dt.date) -> DailyEntryQuerySet:
        return self.visible().filter(day=day)

    def latest_day(self) -> dt.date | None:
        return self.visible().aggregate(latest=models.Max("day"))["latest"]

    def day_before(self, day: dt.date) -> dt.date | None:
        return self.visible().filter(day__lt=day).aggregate(found=models.Max("day"))["found"]

    def day_after(self, day: dt.date) -> dt.date | None:
        return self.visible().filter(day__gt=day).aggregate(found=models.Min("day"))["found"]

    def in_period(self, first: dt.date, last: dt.date) -> DailyEntryQuerySet:
        return self.visible().filter(day__range=(first, last))

    def papers_per_day(self) -> dict[dt.date, int]:
        return dict(self.visible().values_list("day").annotate(n=Count("pk")).order_by("day"))

    def with_papers(self) -> DailyEntryQuerySet:
        return self.select_related("paper", "submitted_by")

    def trending(self) -> DailyEntryQuerySet:
        """Featured first, then by the trending score (papertide/papers/trending.py)."""
        return self.with_papers().order_by("-featured", "-trend_log", "-paper__arxiv_id")

    def most_upvoted(self) -> DailyEntryQuerySet:
        """Featured first, then upvotes here plus upvotes counted elsewhere, newest ids first on ties."""
        return (
            self.with_papers()
            .annotate(total_upvotes=models.F("paper__upvote_count") + models.F("paper__external_upvotes"))
            .order_by("-featured", "-total_upvotes", "-paper__arxiv_id")
        )

    def most_discussed(self) -> DailyEntryQuerySet:
        """Featured first, then by comments, trending on ties."""
        return self.with_papers().order_by("-featured", "-paper__comment_count", "-trend_log", "-paper__arxiv_id")

    def newest(self) -> DailyEntryQuerySet:
        return self.with_papers().order_by("-day", "-created_at", "-paper__arxiv_id")

    def sorted_by(self, sort: str) -> DailyEntryQuerySet:
        """One of SORTS."""
        return {"trending": self.trending, "upvotes": self.most_upvoted, "discussed": self.most_discussed,
                "newest": self.newest}[sort]()


class DailyEntry(models.Model):
    """A paper's place on the daily list: one entry per paper, on the day it was announced or added."""

    class How(models.TextChoices):
        ANNOUNCED = "announced", "Announced by arXiv"
        SUBMITTED = "submitted", "Submitted by a reader"
        IMPORTED = "imported", "Imported from another list"

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="daily_entry")
    day = models.DateField(db_index=True)
    how = models.CharField(max_length=20, choices=How.choices, default=How.ANNOUNCED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    submitter_name = models.CharField(max_length=200, blank=True, help_text="For entries imported from elsewhere")
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator")
    featured = models.BooleanField(default=False)
    # log2 of the trending score against a fixed epoch; see papertide/papers/trending.py.
    trend_log = models.FloatField(default=0.0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DailyEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "daily entries"
        ordering = ["-day", "paper__arxiv_id"]
        indexes = [models.Index(fields=["day", "hidden"]), models.Index(fields=["trend_log"])]

    def __str__(self) -> str:
        return f"{self.day}: {self.paper.arxiv_id}"

    def set_initial_trend(self) -> None:
        """The score of a new entry: its listing alone (upvotes come later and refresh it)."""
        self.trend_log = trending.trend_log(self.day, self.paper.external_upvotes, self.paper.github_stars)

    @staticmethod
    def count_recent_upvotes(entries: list[DailyEntry]) -> None:
        """Set `recent_upvote_count` (upvotes of the last day) on these entries, in one query."""
        since = timezone.now() - trending.RECENT
        counts = dict(
            Upvote.objects.filter(paper__in=[e.paper_id for e in entries], created_at__gte=since)
            .values_list("paper").annotate(n=Count("pk")).order_by()
        )
        for entry in entries:
            entry.recent_upvote_count = counts.get(entry.paper_id, 0)

    def why_trending(self) -> trending.Why:
        """Needs `count_recent_upvotes` first."""
        return trending.Why(
            recent_upvotes=getattr(self, "recent_upvote_count", 0),
            upvotes=self.paper.upvote_count,
            external_upvotes=self.paper.external_upvotes,
            github_stars=self.paper.github_stars,
        )


class Upvote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upvotes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_upvote_per_user_and_paper")]
        indexes = [models.Index(fields=["paper", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} ▲ {self.paper.arxiv_id}"


class QueuedSubmission(models.Model):
    """A paper a reader submitted on the site whose metadata must first be fetched from arXiv: fetched off the web
    request (papers/submissions.py) while the reader's page shows its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        FETCHING = "fetching", "Fetching from arXiv"
        DONE = "done", "On the list"
        REFUSED = "refused", "Not added"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queued_submissions")
    arxiv_id = models.CharField("arXiv id", max_length=40)
    day = models.DateField(help_text="The list it goes on")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    message = models.TextField(blank=True, help_text="Why it was not added")
    entry = models.ForeignKey(DailyEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.BooleanField(default=False, help_text="False: the paper was on a list already")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.arxiv_id} by {self.user}: {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED)

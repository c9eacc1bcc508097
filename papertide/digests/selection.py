"""Which papers go into a digest: the period's list, trending first, within the subscriber's filters,
without any paper an earlier digest already brought them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from papertide.digests import follows
from papertide.digests.models import DigestItem, Frequency, Ranking, Subscriber
from papertide.papers.models import DailyEntry, Paper

FOR_YOU_PREFIX = "For you: "  # a reason "For you" gave (the subject then says so)


@dataclass(frozen=True)
class DigestPeriod:
    """A daily digest on day D brings the lists dated after the previous weekday, up to D (Monday's covers the
    weekend); a weekly digest sent in week W brings the lists of week W − 1."""

    frequency: str
    first: dt.date
    last: dt.date
    key: str

    @classmethod
    def of(cls, frequency: str, day: dt.date) -> DigestPeriod:
        if frequency == Frequency.WEEKLY:
            monday = day - dt.timedelta(days=day.weekday() + 7)
            year, week, _ = monday.isocalendar()
            return cls(frequency, monday, monday + dt.timedelta(days=6), f"weekly:{year}-W{week:02d}")
        previous = day - dt.timedelta(days=1)
        while previous.weekday() >= 5:
            previous -= dt.timedelta(days=1)
        return cls(frequency, previous + dt.timedelta(days=1), day, f"daily:{day.isoformat()}")

    def describe(self) -> str:
        if self.frequency == Frequency.WEEKLY:
            return f"the week of {self.first:%B} {self.first.day}"
        if self.first == self.last:
            return f"{self.last:%A, %B} {self.last.day}"
        return f"{self.first:%B} {self.first.day} to {self.last:%A, %B} {self.last.day}"


@dataclass
class Choice:
    papers: list[Paper]
    empty_reason: str = ""  # for readers, when there are no papers
    empty_kind: str = ""  # "nothing listed", "nothing matched" or "all sent before", for the log
    reasons: dict[int, str] = field(default_factory=dict)  # papers a follow brought: which one (Candidates.reasons)


@dataclass
class Candidate:
    paper: Paper
    searchable: str  # title and abstract, lower case, for keyword filters


class Candidates:
    """The period's papers, trending first, loaded once for all subscribers."""


    def __init__(self, period: DigestPeriod) -> None:
        self.period = period
        entries = list(DailyEntry.objects.in_period(period.first, period.last).trending())
        self.items = [Candidate(e.paper, f"{e.paper.title}\n{e.paper.abstract}".lower()) for e in entries]
        self.trend = {e.paper_id: e.trend_log for e in entries}  # for "for you" digests
        self._matching: dict[tuple, list[Paper]] = {}  # by filters: most subscribers share a few
        self._searches: dict[str, set[int]] = {}
        self._signals_of: dict = {}  # for "for you" subscribers, read a batch at a time (load_signals)
        self._titles: dict[int, str] = {}  # of their liked papers, which their reasons name
        self._ranked: dict = {}  # their rankings of the period, by account
        self._collected: dict[int, list[tuple[Paper, str]]] | None = None  # by reader: their followed collections'

    def matching(self, subscriber: Subscriber) -> list[Paper]:
        """The period's papers within the subscriber's filters, trending first."""
        chosen = subscriber.feed_filter
        key = (chosen, tuple(sorted(subscriber.keywords)), subscriber.min_score)
        if key not in self._matching:
            keywords = [k.lower() for k in subscriber.keywords]
            self._matching[key] = [
                c.paper for c in self.items
                if (not chosen or chosen.matches(c.paper.categories, c.paper.primary_category, c.paper.code_url))
                and (not keywords or any(k in c.searchable for k in keywords))
                and c.paper.total_upvotes >= subscriber.min_score
            ]
        return self._matching[key]

    def reasons(self, subscriber: Subscriber, papers: list[Paper]) -> dict[int, str]:
        """For each of these papers that a follow brings, what the digest says of it (the first follow's words)."""
        if not subscriber.follows:
            return {}
        found: set[int] = set()
        for follow in subscriber.follows:
            if follow["kind"] == "search":
                found |= self._searched(follow["value"])
        said = {}
        for paper in papers:
            bringing = next((f for f in subscriber.follows if follows.brings(f, paper, found)), None)
            if bringing is not None:
                said[paper.pk] = follows.reason(bringing)
        return said

    def collected(self, subscriber: Subscriber) -> list[tuple[Paper, str]]:
        """Papers added to the public collections the subscriber's account follows, with what the digest says of
        them. Each digest takes what was added on the day before each day of its period, so that successive digests
        take every addition, whatever the day it was listed on. Read once for all subscribers (two queries)."""
        if subscriber.user_id is None:
            return []
        if self._collected is None:
            self._collected = self._load_collected()
        return self._collected.get(subscriber.user_id, [])

    def _load_collected(self) -> dict[int, list[tuple[Paper, str]]]:
        from django.utils import timezone

        from papertide.collections.models import Following, Item

        start = timezone.make_aware(dt.datetime.combine(self.period.first - dt.timedelta(days=1), dt.time()))
        end = timezone.make_aware(dt.datetime.combine(self.period.last, dt.time()))
        added: dict[int, list[tuple[Paper, str]]] = {}
        for item in (Item.objects.filter(added_at__gte=start, added_at__lt=end, collection__public=True,
                                         collection__followers__isnull=False)
                     .select_related("paper", "collection").order_by("added_at").distinct()):
            added.setdefault(item.collection_id, []).append(
                (item.paper, f"Because you follow the collection “{item.collection.name}”"))
        by_reader: dict[int, list[tuple[Paper, str]]] = {}
        for user_id, collection_id in Following.objects.filter(collection_id__in=added).values_list(
                "user_id", "collection_id"):
            by_reader.setdefault(user_id, []).extend(added[collection_id])
        return by_reader

    def _searched(self, query: str) -> set[int]:
        """A followed search's papers among the period's (once per distinct query)."""
        if query not in self._searches:
            from papertide.search.service import search

            within = f"{query} from:{self.period.first.isoformat()} to:{self.period.last.isoformat()}"
            self._searches[query] = set(search(within, limit=200).paper_ids)
        return self._searches[query]

    def choose(self, subscriber: Subscriber, already_sent: set[int]) -> Choice:
        """The papers for this subscriber, or none and the reason why."""
        if not self.items:
            return Choice([], f"No new papers were listed for {self.period.describe()}: arXiv announces nothing on "
                        "weekends and holidays, and its announcement is sometimes late.", "nothing listed")
        # `.id`, not `.pk`, in the loops below: they run over every paper of the period for every subscriber.
        brought = self.reasons(subscriber, [c.paper for c in self.items])
        followed = [c.paper for c in self.items if c.paper.id in brought] if brought else []  # trending first
        if collected := self.collected(subscriber):
            followed = [paper for paper, _ in collected] + followed
            brought = {paper.id: reason for paper, reason in reversed(collected)} | brought
        matching = self.matching(subscriber)
        if followed:
            matching = list({paper.id: paper for paper in followed + matching}.values())  # each once
        if not matching:
            return Choice([], f"{len(self.items):,} new papers were listed for {self.period.describe()}, but none "
                              f"matched your filters ({describe_filters(subscriber)}).", "nothing matched")
        fresh = [paper for paper in matching if paper.id not in already_sent] if already_sent else list(matching)
        if not fresh:
            return Choice([], f"The {len(matching):,} papers that matched your filters were all in your earlier "
                              "digests.", "all sent before")
        if subscriber.ranking == Ranking.FOR_YOU and subscriber.user_id is not None:
            fresh, brought = self._for_you(subscriber, fresh, brought)
        return Choice(fresh[: subscriber.max_papers], reasons=brought)

    def load_signals(self, subscribers: list[Subscriber]) -> None:
        """What the "for you" subscribers among these like and dismissed, read together before choosing, and
        the period ranked for them together (recs.ranking.rank_many)."""
        from papertide.recs.foryou import recommend_many, signals_of_many

        wanted = [s.user_id for s in subscribers if s.ranking == Ranking.FOR_YOU and s.user_id is not None]
        self._signals_of = signals_of_many(wanted) if wanted else {}
        liked = {pk for signals in self._signals_of.values() for pk in signals.liked}
        self._titles = dict(Paper.objects.filter(pk__in=liked).values_list("pk", "title")) if liked else {}
        ranking = [(pk, signals) for pk, signals in self._signals_of.items() if signals.enough]
        self._ranked = dict(zip([pk for pk, _ in ranking], recommend_many(
            self.trend, [signals for _, signals in ranking], exclude_liked=False))) if ranking and self.trend else {}

    def _signals(self, subscriber: Subscriber):
        from papertide.recs.foryou import signals_of_many

        found = self._signals_of.get(subscriber.user_id)
        return found if found is not None else signals_of_many([subscriber.user_id])[subscriber.user_id]

    def for_you_reasons(self, subscriber: Subscriber, papers: list[Paper]) -> dict[int, str]:
        """For a digest chosen earlier and sent again (after a temporary failure): why each paper is there."""
        if subscriber.ranking != Ranking.FOR_YOU or subscriber.user_id is None or not papers:
            return {}
        return self._for_you(subscriber, papers, {})[1]

    def _for_you(self, subscriber: Subscriber, fresh: list[Paper], brought: dict[int, str]):
        """The fresh papers in the reader's "For you" order (what a follow brings still first), each chosen one with
        its reason; trending order when the reader has too few liked papers yet. Dismissed papers stay out.

        The whole period is ranked, then what is not fresh for this subscriber left out: every subscriber then
        ranks the same candidates, whose vectors the ranking keeps (recs/ranking.py), and the order is the one
        their "For you" page of the period shows."""
        from papertide.recs.foryou import explained, recommend

        signals = self._signals(subscriber)
        if not signals.enough:
            return fresh, brought
        ranked = self._ranked.get(subscriber.user_id)
        if ranked is None:
            ranked = recommend(self.trend, signals.liked, signals.disliked, interest_of=signals.interest_of,
                               exclude_liked=False, user=subscriber.user_id)
        by_id = {p.id: p for p in fresh}
        place = {pk: i for i, pk in enumerate(ranked.ids.tolist()) if pk in by_id}
        outside = [p.id for p in fresh if p.id in brought and p.id not in self.trend]  # from followed collections
        chosen = outside + [pk for pk in place if pk in brought] + [pk for pk in place if pk not in brought]
        chosen = chosen[:subscriber.max_papers]
        why = explained(ranked.at([place[pk] for pk in chosen if pk not in brought]), titles=self._titles)
        return [by_id[pk] for pk in chosen], {s.paper_id: f"{FOR_YOU_PREFIX}{reason}" for s, reason in why} | brought

    def already_sent(self, subscribers: list[Subscriber]) -> dict[int, set[int]]:
        """For each subscriber, which of this period's papers earlier digests brought them (one query)."""
        sent: dict[int, set[int]] = {s.pk: set() for s in subscribers}
        papers = {c.paper.pk for c in self.items} | {paper.pk for s in subscribers for paper, _ in self.collected(s)}
        for subscriber_id, paper_id in DigestItem.objects.filter(
            subscriber__in=subscribers, paper__in=papers
        ).values_list("subscriber_id", "paper_id"):
            sent[subscriber_id].add(paper_id)
        return sent


def describe_filters(subscriber: Subscriber) -> str:
    parts = []
    if subscriber.feed_filter:
        parts.append(subscriber.feed_filter.describe())
    if subscriber.keywords:
        parts.append("keywords " + ", ".join(subscriber.keywords))
    if subscriber.min_score:
        parts.append(f"at least {subscriber.min_score} upvotes")
    return "; ".join(parts) or "none"

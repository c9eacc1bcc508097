"""What part of the firehose a reader wants: categories to include and exclude, and "has code".

One filter serves the feeds, the RSS/Atom feeds, both APIs and digests, written the same way everywhere:
`cs.CV,cs.LG` (either category), `cs` (an archive: every cs.* category), `physics` (an arXiv group: every
physics archive), `hep-*` (a prefix), and `-hep-*` to exclude. A paper is included when any of its categories
(cross-lists count) matches an included term, and excluded when its primary category matches an excluded one:
"cs.LG, -cs.CV" keeps a machine-learning paper cross-listed to vision, and hides a vision paper cross-listed to
machine learning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from papertide.papers import taxonomy

MAX_TERMS = 50
MAX_API_CHARS = 500  # the longest `cat=` the APIs take: 50 terms fit, and any 500 characters fit a request line


class FilterError(ValueError):
    """A filter that names something arXiv does not have; the message says what and what would work."""


def _normalize(term: str) -> str:
    """A term in the taxonomy's spelling; FilterError when it names nothing."""
    if term.endswith("*"):
        prefix = term[:-1].strip().lower()
        spelled = sorted(c for c in taxonomy.CATEGORIES if c.lower().startswith(prefix)) if prefix else []
        if spelled:
            return spelled[0][: len(prefix)] + "*"
    else:
        if term.lower() in taxonomy.GROUPS:
            return term.lower()
        found = taxonomy.canonical(term)
        if found:
            return found
    raise FilterError(f"“{term[:40]}” is not an arXiv category, archive or group (e.g. cs.CV, cs, physics, hep-*)")


def _parts(term: str) -> tuple[list[str], list[str]]:
    """What a term matches: exact category names, and prefixes of category names."""
    if term.endswith("*"):
        return [], [term[:-1]]
    archives = taxonomy.GROUPS.get(term, (term,))
    return list(archives), [archive + "." for archive in archives if archive in taxonomy.ARCHIVES]


def term_matches(term: str, category: str) -> bool:
    exact, prefixes = _parts(term)
    return category in exact or category.startswith(tuple(prefixes))


def _json_patterns(term: str) -> list[str]:
    """Substrings of a paper's stored category list (JSON text) that mean a category matches the term."""
    exact, prefixes = _parts(term)
    return [f'"{name}"' for name in exact] + [f'"{prefix}' for prefix in prefixes]


def _primary_q(term: str, field: str) -> Q:
    exact, prefixes = _parts(term)
    q = Q(**{f"{field}__in": exact}) if exact else Q()
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


@dataclass(frozen=True)
class FeedFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    has_code: bool = False

    @classmethod
    def parse(cls, text: str, has_code: bool = False) -> FeedFilter:
        """`cs.CV,cs.LG -hep-*` (commas or spaces); FilterError names the first term that is not arXiv's."""
        found, unknown = cls.parse_lenient(text, has_code)
        if unknown:
            raise FilterError(unknown[0])
        return found

    @classmethod
    def parse_lenient(cls, text: str, has_code: bool = False) -> tuple[FeedFilter, list[str]]:
        """The filter made of the terms that could be read, and a message for each that could not."""
        include: list[str] = []
        exclude: list[str] = []
        unknown: list[str] = []
        for raw in text.replace(",", " ").split()[:MAX_TERMS]:
            negative = raw.startswith("-") and len(raw) > 1
            try:
                term = _normalize(raw[1:] if negative else raw)
            except FilterError as exc:
                unknown.append(str(exc))
                continue
            target = exclude if negative else include
            if term not in target:
                target.append(term)
        return cls(tuple(include), tuple(exclude), has_code), unknown

    @classmethod
    def from_param(cls, value: str) -> FeedFilter:
        """The form kept in cookies and profiles: the terms, then `;code` when only papers with code are wanted."""
        terms, _, flags = value.partition(";")
        return cls.parse_lenient(terms, has_code="code" in flags.split(","))[0]

    def to_param(self) -> str:
        return self.terms + (";code" if self.has_code else "")

    @property
    def query_params(self) -> dict[str, str]:
        """The address parameters that ask for this filter: `cat` (even empty: an explicit "no filter") and `code`."""
        return {"cat": self.terms, **({"code": "1"} if self.has_code else {})}

    @property
    def terms(self) -> str:
        return ",".join([*self.include, *("-" + term for term in self.exclude)])

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude or self.has_code)

    def toggled(self, term: str, exclude: bool = False) -> FeedFilter:
        """This filter with the term added (as an include or an exclude) or, if present, removed."""
        include = [t for t in self.include if t != term]
        excluded = [t for t in self.exclude if t != term]
        if term not in (self.exclude if exclude else self.include):
            (excluded if exclude else include).append(term)
        return FeedFilter(tuple(include), tuple(excluded), self.has_code)

    def with_code(self, has_code: bool) -> FeedFilter:
        return FeedFilter(self.include, self.exclude, has_code)

    def matches(self, categories: Iterable[str], primary: str, code_url: str) -> bool:
        """The same rule as `apply`, for papers already in memory (digests)."""
        if self.has_code and not code_url:
            return False
        if self.include and not any(term_matches(t, c) for t in self.include for c in categories):
            return False
        return not any(term_matches(t, primary) for t in self.exclude)

    def apply(self, queryset: QuerySet, paper: str = "") -> QuerySet:
        """Papers (paper="") or rows pointing to one (paper="paper__") within the filter."""
        if self.has_code:
            queryset = queryset.exclude(**{f"{paper}code_url": ""})
        if self.include:
            wanted = Q()
            for term in self.include:
                for pattern in _json_patterns(term):
                    wanted |= Q(**{f"{paper}categories__icontains": pattern})
            queryset = queryset.filter(wanted)
        for term in self.exclude:
            queryset = queryset.exclude(_primary_q(term, f"{paper}primary_category"))
        return queryset

    def describe(self) -> str:
        parts = []
        if self.include:
            parts.append(" or ".join(self.include))
        if self.exclude:
            parts.append("not " + ", ".join(self.exclude))
        if self.has_code:
            parts.append("with code")
        return "; ".join(parts) or "all categories"


@dataclass
class Chip:
    term: str
    label: str
    papers: int


def chips(rows: Iterable[tuple[list[str], int, int]], top: int = 12) -> tuple[list[Chip], list[Chip], int]:
    """From a period's papers counted by their list of categories, (categories, papers, papers with code): the
    groups with how many papers each, the most common categories, and how many papers have code."""
    groups: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    with_code = 0
    for paper_categories, papers, coded in rows:
        for group in {taxonomy.group_of(c) for c in paper_categories}:
            groups[group] += papers
        for category in set(paper_categories):
            categories[category] += papers
        with_code += coded
    group_chips = [Chip(g, taxonomy.GROUP_NAMES.get(g, g), n) for g, n in groups.most_common() if g in taxonomy.GROUPS]
    category_chips = [Chip(c, c, n) for c, n in categories.most_common(top)]
    return group_chips, category_chips, with_code

"""arXiv's category taxonomy (https://arxiv.org/category_taxonomy): the categories readers can filter by,
the archives they belong to, and the groups arXiv shows on its front page."""

from __future__ import annotations

_SUBJECTS = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL "
          "RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph "
               "geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MM PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
# Archives without subject classes: the archive is the category.
_SINGLE = ["gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th", "quant-ph"]

CATEGORIES: frozenset[str] = frozenset(
    [f"{archive}.{subject}" for archive, subjects in _SUBJECTS.items() for subject in subjects.split()] + _SINGLE
    + ["astro-ph", "cond-mat"]  # papers from before these archives had subject classes
)

# arXiv's groups, as on its front page; a group name in a filter stands for all of its archives.
GROUPS: dict[str, tuple[str, ...]] = {
    "cs": ("cs",),
    "econ": ("econ",),
    "eess": ("eess",),
    "math": ("math",),
    "physics": ("astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
                "nucl-ex", "nucl-th", "physics", "quant-ph"),
    "q-bio": ("q-bio",),
    "q-fin": ("q-fin",),
    "stat": ("stat",),
}
GROUP_NAMES = {"cs": "Computer Science", "econ": "Economics", "eess": "Electrical Engineering and Systems Science",
               "math": "Mathematics", "physics": "Physics", "q-bio": "Quantitative Biology",
               "q-fin": "Quantitative Finance", "stat": "Statistics"}

ARCHIVES: frozenset[str] = frozenset(category.split(".")[0] for category in CATEGORIES)
_BY_LOWER = {name.lower(): name for name in CATEGORIES | ARCHIVES}


def archive_of(category: str) -> str:
    return category.split(".")[0]


def group_of(category: str) -> str:
    """The group a category belongs to ("physics" for hep-th and cond-mat.soft); its archive when unknown."""
    archive = archive_of(category)
    return next((group for group, archives in GROUPS.items() if archive in archives), archive)


def canonical(name: str) -> str | None:
    """The taxonomy's spelling of a category or archive typed in any case (cs.cv → cs.CV); None if unknown."""
    return _BY_LOWER.get(name.strip().lower())

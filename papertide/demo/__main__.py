"""`python -m papertide.demo`: load and index the demo day in PAPERTIDE_DATA_DIR, then write its keyphrases and
map files."""

from papertide.cli import setup_django

setup_django(migrate=True)

from papertide.demo import load_demo_day, write_demo_keyphrases, write_demo_map  # noqa: E402
from papertide.papers.models import Paper  # noqa: E402
from papertide.search.indexer import run_index  # noqa: E402
from papertide.topics import projection  # noqa: E402

load_demo_day()
# load_demo_day stored the shipped phrases: forget them, or the index stage would keep them as up to date.
Paper.objects.update(keyphrases=[], keyphrases_hash="")
run_index()
print(f"{write_demo_keyphrases()} papers' keyphrases written")
projection.update(rebuild=True)  # not the shipped layout load_demo_day wrote: fitted again, with the new phrases
print(f"{write_demo_map()} papers' places on the map written")

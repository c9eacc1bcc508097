""""For you" on the real demo day: several interests kept apart, "not interested" with near-duplicates, the
community's co-saves, reasons for every paper, and interests found and kept across re-clustering."""

from __future__ import annotations

import pytest
from django.conf import settings

from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.recs import community, interests
from papertide.recs.foryou import candidates_between, explained, recommend, signals_of
from papertide.recs.models import Interest, Save
from papertide.search.indexer import run_index
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db

GALAXIES = ["2411.17775", "2411.17811", "2411.17813", "2411.17862", "2411.17888"]
GAUSSIAN_SPLATTING = ["2411.18066", "2411.18311", "2411.18473", "2411.17190", "2411.17772"]
PROTEIN_DESIGN = ["2411.17795", "2411.18568", "2411.16686"]


@pytest.fixture(autouse=True)
def _fresh_community(indexed_demo):
    community.forget()
    yield
    community.forget()


def pks(arxiv_ids):
    found = dict(Paper.objects.filter(arxiv_id__in=arxiv_ids).values_list("arxiv_id", "pk"))
    return [found[i] for i in arxiv_ids]


def categories_of(ranked, n):
    return [Paper.objects.get(pk=s.paper_id).primary_category for s in ranked[:n]]


def test_a_reader_with_two_interests_gets_both_not_their_average():
    ranked = recommend(candidates_between(None, None), pks(GALAXIES + GAUSSIAN_SPLATTING))
    top = categories_of(ranked, 20)
    assert top.count("cs.CV") >= 5, top
    assert sum(c.startswith("astro-ph") for c in top) >= 3, top
    # The mean of the two would rank papers halfway between; neither topic's papers may be crowded out.
    assert set(top) <= {"cs.CV", "cs.RO", "cs.GR", "astro-ph.GA", "astro-ph.CO", "astro-ph.SR", "astro-ph.HE",
                        "astro-ph.IM", "astro-ph.EP"}, top


def test_two_clusters_stay_two_interests_labelled_by_their_words(alice):
    for pk in pks(GAUSSIAN_SPLATTING + PROTEIN_DESIGN):
        Save.objects.create(user=alice, paper_id=pk)
    found = interests.refresh(alice)
    assert len(found) == 2
    by_size = sorted(found, key=lambda i: -i.size)
    assert set(by_size[0].papers) == set(pks(GAUSSIAN_SPLATTING))
    assert set(by_size[1].papers) == set(pks(PROTEIN_DESIGN))
    assert "splatting" in by_size[0].label or "gaussian" in by_size[0].label
    assert "protein" in by_size[1].label


def test_renamed_and_muted_interests_keep_that_choice_when_papers_change(alice):
    for pk in pks(GAUSSIAN_SPLATTING + PROTEIN_DESIGN):
        Save.objects.create(user=alice, paper_id=pk)
    protein = next(i for i in interests.refresh(alice) if "protein" in i.label)
    protein.name, protein.state = "Enzymes", Interest.State.MUTED
    protein.save()
    Save.objects.create(user=alice, paper=Paper.objects.get(arxiv_id="2411.17737"))  # one more paper
    again = next(i for i in interests.refresh(alice) if set(pks(PROTEIN_DESIGN)) <= set(i.papers))
    assert again.pk == protein.pk and again.name == "Enzymes" and again.state == Interest.State.MUTED
    signals = signals_of(alice)
    assert not set(pks(PROTEIN_DESIGN)) & set(signals.liked)  # a muted interest does not steer the ranking
    assert set(pks(GAUSSIAN_SPLATTING)) <= set(signals.liked)


def test_not_interested_removes_the_paper_and_its_near_duplicates():
    liked = pks(GAUSSIAN_SPLATTING)
    candidates = list(candidates_between(None, None))
    before = recommend(candidates, liked)
    first = Paper.objects.get(pk=before[0].paper_id)
    # The same paper listed again under another id (a re-submission): its embedding is the same.
    upsert_papers([PaperRecord(arxiv_id="2412.99999", source="arxiv-api", title=first.title, abstract=first.abstract,
                               categories=first.categories)])
    run_index(progress=False)
    copy = Paper.objects.get(arxiv_id="2412.99999").pk
    assert copy in [s.paper_id for s in recommend(candidates + [copy], liked)[:5]]
    after = [s.paper_id for s in recommend(candidates + [copy], liked, [first.pk])]
    assert first.pk not in after and copy not in after
    # Papers like it are pushed down, not removed.
    assert {s.paper_id for s in before[1:30]} - {copy} <= set(after)


def test_every_paper_has_a_reason_naming_a_paper_the_reader_liked():
    liked = pks(GAUSSIAN_SPLATTING)
    titles = set(Paper.objects.filter(pk__in=liked).values_list("title", flat=True))
    reasons = [reason for _, reason in explained(recommend(candidates_between(None, None), liked)[:30])]
    assert all(reasons)
    assert all(any(title in reason for title in titles) for reason in reasons if reason.startswith("Close to"))
    assert sum(reason.startswith("Close to") for reason in reasons) >= 20


def test_what_other_readers_keep_together_counts(django_user_model):
    """Readers who save the splatting papers also save one galaxy paper: a new reader with the splatting papers
    gets it near the top, with the community as the reason."""
    galaxy = pks(["2411.17888"])[0]
    for n in range(5):
        reader = django_user_model.objects.create_user(f"reader{n}")
        for pk in pks(GAUSSIAN_SPLATTING) + [galaxy]:
            Save.objects.create(user=reader, paper_id=pk)
    community.forget()
    ranked = recommend(candidates_between(None, None), pks(GAUSSIAN_SPLATTING[:3]))
    top = [s.paper_id for s in ranked[:5]]
    assert galaxy in top
    reason = {s.paper_id: why for s, why in explained(ranked[:5])}[galaxy]
    assert reason.startswith("Readers who keep")


def test_without_liked_papers_the_ranking_is_trending():
    ranked = recommend(list(candidates_between(None, None))[:50], [])
    assert ranked and all(s.reason.kind == "trending" for s in ranked)


def test_co_save_scores_match_the_formulas_by_hand():
    """Reader 1 keeps papers 10 and 11, reader 2 keeps 10 and 12 (saved and upvoted: counted once)."""
    import numpy as np

    from papertide.recs.community import Community

    shared = Community(np.array([[1, 10], [1, 11], [2, 10], [2, 12], [2, 12]]))
    scores = shared.scores([10])
    assert shared.pairs == 4 and list(scores.papers) == [10, 11, 12]
    # item-kNN: co-saves / (2 readers of 10)^0.7 / (1 reader of 11)^0.3
    assert scores.item_knn[1] == pytest.approx(1 / 2**0.7)
    # RP3beta: from 10 to each of its 2 readers (1/2), to each of their 2 papers (1/2), damped by 1^0.3
    assert scores.random_walk[1] == pytest.approx(0.25)
    # reader-kNN: both readers share paper 10 (cosine² ∝ 1² / 2 papers each), each adds that to what they keep
    assert list(scores.neighbours) == pytest.approx([1.0, 0.5, 0.5])
    # ... but a reader is never their own neighbour: reader 1 only hears from reader 2
    assert list(shared.scores([10], reader=1).neighbours) == pytest.approx([0.5, 0.0, 0.5])
    assert scores.best_links_of([10, 11, 12, 13, 9]) == {10: 10, 11: 10, 12: 10, 13: None, 9: None}
    assert len(Community(np.zeros((0, 2), np.int64)).scores([10]).papers) == 0


def test_readers_ranked_together_get_the_rankings_they_get_alone(django_user_model):
    """A digest run ranks a batch of subscribers at once (recs.ranking.rank_many): each must get exactly the order
    and reasons their ranking alone gives, and its scores, with the community's and the dismissed papers' parts in
    play."""
    from papertide.recs.foryou import Signals, recommend_many

    for n in range(3):
        reader = django_user_model.objects.create_user(f"keeper{n}")
        for pk in pks(GAUSSIAN_SPLATTING + GALAXIES[:1]):
            Save.objects.create(user=reader, paper_id=pk)
    community.forget()
    candidates = candidates_between(None, None)
    readers = [Signals(pks(GAUSSIAN_SPLATTING[:3]), pks(GALAXIES[2:3]), {}),
               Signals(pks(GALAXIES + PROTEIN_DESIGN), [], {}),
               Signals([], [], {}),
               Signals(pks(PROTEIN_DESIGN[:2]), pks(GAUSSIAN_SPLATTING[:1]), {})]
    together = recommend_many(candidates, readers, exclude_liked=False)
    for signals, batch in zip(readers, together):
        alone = recommend(candidates, signals.liked, signals.disliked, exclude_liked=False)
        assert batch.ids.tolist() == alone.ids.tolist()
        # The cosines are float32 matrix products, and BLAS sums a product of another shape in another order: on an
        # AVX2 EPYC scores differed by up to 2e-8 (on the Zen 4 not at all). Within float32's rounding, then.
        assert batch.scores == pytest.approx(alone.scores.tolist(), abs=1e-6)
        assert [s.reason for s in batch[:40]] == [s.reason for s in alone[:40]]
    assert together[0].ids.tolist() != together[1].ids.tolist()


def test_a_kept_ranking_blended_with_new_trending_scores_is_the_ranking_made_afresh(django_user_model):
    """A reader's ranking is kept for hours (its personal part, without the community's scores it was made from) and
    blended with the trending scores of each view: the order, scores and reasons must be those of ranking anew with
    those scores, the reader's own papers last, whatever the trend did meanwhile."""
    import pickle
    import random

    for n in range(3):
        reader = django_user_model.objects.create_user(f"keeper{n}")
        for pk in pks(GAUSSIAN_SPLATTING + GALAXIES[:1]):
            Save.objects.create(user=reader, paper_id=pk)
    community.forget()
    liked, disliked = pks(GAUSSIAN_SPLATTING[:3] + PROTEIN_DESIGN[:1]), pks(GALAXIES[2:3])
    morning = candidates_between(None, None)
    kept = pickle.loads(pickle.dumps(recommend(morning, liked, disliked, exclude_liked=False).portable()))
    rng = random.Random(4)
    noon = {paper: rng.uniform(-2, 6) for paper in morning}  # upvotes came in: another trending order
    fresh = recommend(noon, liked, disliked, exclude_liked=False)
    blended = kept.reblended(noon, settings.RECS_TRENDING_WEIGHT)
    assert blended.ids.tolist() == fresh.ids.tolist()
    assert blended.ids.tolist() != kept.ids.tolist()  # the trend moved papers
    assert blended.scores == pytest.approx(fresh.scores.tolist(), abs=1e-9)
    assert [s.reason for s in blended] == [s.reason for s in fresh]
    assert {s.reason.kind for s in blended} >= {"community", "close", "yours"}
    assert [s.paper_id for s in blended[-len(liked):]] == [s.paper_id for s in fresh[-len(liked):]]

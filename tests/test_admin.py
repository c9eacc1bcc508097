import pytest

from papertide.demo import load_demo_day


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "correct horse battery")
    client.force_login(admin)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/papers/paper/", "/admin/papers/dailyentry/", "/admin/papers/upvote/",
            "/admin/search/paperembedding/", "/admin/auth/user/"],
)
def test_an_admin_can_browse_every_model(staff_client, url):
    load_demo_day()
    assert staff_client.get(url).status_code == 200


@pytest.mark.django_db
def test_an_admin_can_open_a_paper(staff_client):
    load_demo_day()
    from papertide.papers.models import Paper

    paper = Paper.objects.get(arxiv_id="2411.17758")
    page = staff_client.get(f"/admin/papers/paper/{paper.pk}/change/").content.decode()
    assert "PP-LEM: Efficient and Privacy-Preserving Clearance Mechanism" in page
    assert page.index("Kamil Erdayandi") < page.index("Mustafa Asan Mustafa")


def test_readers_cannot_reach_the_admin(client):
    assert client.get("/admin/papers/paper/").status_code == 302


@pytest.mark.django_db
def test_an_admin_hides_and_features_entries_from_the_list(staff_client, client):
    load_demo_day()
    from papertide.papers.models import DailyEntry

    hidden = DailyEntry.objects.get(paper__arxiv_id="2411.18625")
    featured = DailyEntry.objects.get(paper__arxiv_id="2411.17758")
    for entry, action in [(hidden, "hide_entries"), (featured, "feature_entries")]:
        response = staff_client.post("/admin/papers/dailyentry/", {"action": action, "_selected_action": [entry.pk]})
        assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Textured Gaussians" not in page
    first_card = page[page.index('class="card"'):][:3000]
    assert "PP-LEM" in first_card and "Featured" in first_card


@pytest.mark.django_db
def test_upvotes_an_admin_adds_or_deletes_and_accounts_an_admin_deletes_are_counted(staff_client, django_user_model):
    """Every path that writes upvotes goes through papers/engagement.py: the admin's too."""
    load_demo_day()
    from papertide.papers.actions import upvote
    from papertide.papers.models import DailyEntry, Paper, Upvote

    paper = Paper.objects.get(arxiv_id="2411.17758")
    entry = DailyEntry.objects.filter(paper=paper).first()
    readers = [django_user_model.objects.create_user(f"reader{n}") for n in range(3)]
    upvote(readers[0], paper)

    added = staff_client.post("/admin/papers/upvote/add/", {"paper": paper.pk, "user": readers[1].pk})
    assert added.status_code == 302
    paper.refresh_from_db()
    assert paper.upvote_count == 2

    given = Upvote.objects.get(user=readers[1])
    staff_client.post(f"/admin/papers/upvote/{given.pk}/delete/", {"post": "yes"})
    paper.refresh_from_db()
    assert paper.upvote_count == 1

    upvote(readers[2], paper)
    before = DailyEntry.objects.get(pk=entry.pk).trend_log
    deleted = staff_client.post("/admin/auth/user/", {"action": "delete_selected", "post": "yes",
                                                     "_selected_action": [readers[0].pk, readers[2].pk]})
    assert deleted.status_code == 302
    assert not django_user_model.objects.filter(pk__in=[readers[0].pk, readers[2].pk]).exists()
    paper.refresh_from_db()
    assert paper.upvote_count == 0 == Upvote.objects.filter(paper=paper).count()
    assert DailyEntry.objects.get(pk=entry.pk).trend_log < before

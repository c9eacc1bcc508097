"""Papers stored before records were sanitized (sources/records.py) get the same treatment: control characters,
links that are not http(s), categories not shaped like arXiv's (a page linking to `cs/AI` could not be drawn)."""

from django.db import migrations

FIELDS = ("title", "abstract", "comments", "journal_ref", "doi", "authors", "categories", "primary_category",
          "code_url", "project_url", "license")


def sanitize(apps, schema_editor):
    from papertide.sources.records import keep_safe_links_and_categories, without_control_characters

    Paper = apps.get_model("papers", "Paper")
    changed = []
    for paper in Paper.objects.only("id", *FIELDS).iterator(chunk_size=5000):
        before = [getattr(paper, name) for name in FIELDS]
        for name in ("title", "abstract", "comments", "journal_ref", "doi"):
            setattr(paper, name, without_control_characters(getattr(paper, name)))
        paper.authors = [without_control_characters(a) for a in paper.authors if isinstance(a, str)]
        keep_safe_links_and_categories(paper)
        if [getattr(paper, name) for name in FIELDS] != before:
            changed.append(paper)
        if len(changed) >= 1000:
            Paper.objects.bulk_update(changed, FIELDS)
            changed = []
    Paper.objects.bulk_update(changed, FIELDS)


class Migration(migrations.Migration):
    dependencies = [("papers", "0004_queued_submission")]
    operations = [migrations.RunPython(sanitize, migrations.RunPython.noop)]

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_no_migrations_are_missing():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_every_setting_read_from_the_environment_is_documented():
    source = (ROOT / "papertide" / "settings.py").read_text()
    names = set(re.findall(r'conf\.env_\w+\(\s*"(\w+)"', source)) | {"DATA_DIR", "SECRET_KEY"}
    documented = (ROOT / "docs" / "settings.md").read_text()
    missing = sorted(name for name in names if f"PAPERTIDE_{name}" not in documented)
    assert missing == []

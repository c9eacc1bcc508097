"""deploy/compose.yaml and deploy/Dockerfile say what docs/deploy.md says: every command they run is one papertide
accepts, every setting they pass is a documented one, and the image installs what ./dev installs. (Docker itself
cannot run here: no daemon, no registry.)"""

import json
import re
from pathlib import Path

import click
import pytest
import yaml

from papertide.cli import cli

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
DOCUMENTED = set(re.findall(r"`(PAPERTIDE_[A-Z0-9_]+)`", (ROOT / "docs" / "settings.md").read_text()))


def _parses(arguments: list[str]) -> None:
    """Parse a command line as `papertide` would, without running it: an unknown command or option raises."""
    command, context = cli, None
    while isinstance(command, click.Group):  # papertide's groups take no options of their own
        context = click.Context(command, info_name="papertide", parent=context)
        name, *arguments = arguments
        command = command.get_command(context, name)
        assert command is not None, f"no command {name!r}"
    command.make_context(command.name, list(arguments), parent=context)


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _papertide_services() -> dict[str, dict]:
    return {name: service for name, service in _compose()["services"].items() if service.get("image") == "papertide"}


def test_every_papertide_service_runs_a_command_papertide_accepts():
    services = _papertide_services()
    assert {"migrate", "web-1", "web-2", "worker", "follow-2"} <= services.keys()
    for name, service in services.items():
        _parses(service["command"])
    with pytest.raises(click.UsageError):
        _parses(["serve", "--no-such-option"])  # the check can fail


def test_the_image_runs_serve_and_installs_what_dev_installs():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    _parses(json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M)[1]))
    assert re.search(r'^ENTRYPOINT \["papertide"\]$', dockerfile, re.M)
    for copied in re.findall(r"^COPY (.+) \./", dockerfile, re.M)[0].split() + ["papertide"]:
        assert (ROOT / copied).exists(), copied
    dev = (ROOT / "dev").read_text()
    assert re.search(r"TORCH_VERSION:-([\d.]+)", dev)[1] == re.search(r"TORCH_VERSION=([\d.]+)", dockerfile)[1]


def test_the_settings_passed_are_documented_and_the_web_processes_share_one_database():
    names = set(re.findall(r"^#?\s*(PAPERTIDE_[A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), re.M))
    services = _papertide_services()
    for service in services.values():
        names |= {name for name in service.get("environment", {}) if name.startswith("PAPERTIDE_")}
    assert names and names <= DOCUMENTED, names - DOCUMENTED
    urls = {service["environment"]["PAPERTIDE_DATABASE_URL"] for service in services.values()}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgres://")
    volumes = {name: service.get("volumes", []) for name, service in services.items()}
    assert volumes["web-1"] != volumes["web-2"]  # no shared folder between the web processes
    assert "pgvector" in _compose()["services"]["db"]["image"]

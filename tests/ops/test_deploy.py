"""The deploy files call foibot with arguments this foibot accepts, and use its health features."""

from __future__ import annotations

import re
import shlex

from bot.cli import build_parser
from tests.ops.conftest import REPO

DEPLOY = REPO / "deploy"


def foibot_commands(text: str) -> list[list[str]]:
    """Every `.../foibot ARGS` command line in a unit file (shell wrappers and $(...) included)."""
    commands = []
    for match in re.finditer(r"/foibot (.+?)(?:&&|'|$)", text, re.MULTILINE):
        args = shlex.split(re.sub(r"\$\([^)]*\)", "X", match.group(1)).replace("%%", "%"))
        commands.append(args)
    return commands


def test_unit_files_call_foibot_with_arguments_it_accepts():
    parser = build_parser()
    found = []
    for unit in ("foibot.service", "foibot-backup.service"):
        text = (DEPLOY / unit).read_text()
        service = text.split("[Service]", 1)[1]
        for args in foibot_commands(service):
            parser.parse_args(args)  # exits (SystemExit) on an unknown option
            found.append(args[0])
    assert found == ["run", "backup"]


def test_the_service_uses_notify_and_the_container_checks_healthz():
    unit = (DEPLOY / "foibot.service").read_text()
    assert "\nType=notify\n" in unit and "FOIBOT_OBSERVABILITY__PORT=" in unit
    container = (DEPLOY / "Containerfile").read_text()
    assert "/healthz" in container and "HEALTHCHECK" in container
    assert "OnCalendar=" in (DEPLOY / "foibot-backup.timer").read_text()

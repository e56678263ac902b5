"""Shared fixtures: the loaded pipeline (spaCy loads once per test session) and ../shared paths."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "000_124f1b8b2ac449a9.txt"
CORPUS = SHARED / "corpus" / "dev.jsonl"
LETTERS = REPO / "tests" / "fixtures" / "letters"


@pytest.fixture(scope="session")
def triager():
    from bot.triage import Triager

    return Triager()


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"the seed letter is not here ({SEED}): ../shared is absent")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _restore_logging():
    """CLI commands run in-process point structlog (and its level filter) and the root logger at
    the stderr of the moment: undo both after each test, so later tests' capture_logs see events."""
    import logging

    import structlog

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)

"""Case tests: a real state database per test, real triage of our own fixture emails.

Every authority, person, address and reference in tests/cases/fixtures/ is invented.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.service.casestore import CaseStore, MailIdentity
from bot.service.sender import message_id_of
from bot.service.state import State
from bot.triage import parse_message

FIXTURES = Path(__file__).resolve().parent / "fixtures"
UTC = dt.UTC
DANA = "dana.whitcombe@mail.example"
IDENTITY = MailIdentity("foibot@bot.example", "FOI bot")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def state(tmp_path):
    db = State(tmp_path / "state.sqlite3")
    yield db
    db.close()


@pytest.fixture
def store(state) -> CaseStore:
    return CaseStore(state)


class Feeder:
    """Does what the worker does with one reply: record the raw bytes, triage, add to its case."""

    def __init__(self, store: CaseStore, triager) -> None:
        self.store = store
        self.triager = triager

    def __call__(self, name: str, requester: str = DANA) -> tuple[str, int]:
        """Feed a fixture at the (frozen) current time."""
        raw = (FIXTURES / name).read_bytes()
        parsed = parse_message(raw, self.triager.limits)
        key = message_id_of(parsed.message_id) or name
        self.store.state.record(key, raw, message_id=key)
        triage = self.triager.triage_message(parsed, today=dt.date.today())
        return key, self.store.record_reply(key, parsed, triage, requester)


@pytest.fixture
def feed(store, triager) -> Feeder:
    return Feeder(store, triager)

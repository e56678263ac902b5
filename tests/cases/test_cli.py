"""`foibot cases`, `foibot digest` and `foibot corrections export` through the real command line (`bot.cli.main`)."""

from __future__ import annotations

import json

import pytest
import time_machine

from bot import cli
from bot.service.casestore import CaseStore
from bot.service.state import State

from .conftest import DANA, Feeder, at


@pytest.fixture
def foibot(monkeypatch):
    for name in ("FOIBOT_DATA_DIR", "FOIBOT_STATE_PATH", "FOIBOT_SEND__PATH"):
        monkeypatch.delenv(name, raising=False)
    return cli.main


@pytest.fixture
def data_dir(tmp_path, triager):
    state = State(tmp_path / "state.sqlite3")
    feed = Feeder(CaseStore(state), triager)
    with time_machine.travel(at(2026, 12, 1, 8, 45), tick=False):
        feed("brackwater_01_ack.eml")
    with time_machine.travel(at(2026, 12, 7, 9, 15), tick=False):
        feed("hartwell_01_ack.eml")
    state.close()
    return tmp_path


def test_cases_json_and_overdue_filter(foibot, data_dir, capsys):
    assert foibot(["cases", "--data-dir", str(data_dir), "--json", "--today", "2027-01-05"]) == 0
    cases = json.loads(capsys.readouterr().out)
    assert [(c["authority"], c["status"]) for c in cases] == [
        ("Brackwater Fire and Rescue Service", "acknowledged"),
        ("Hartwell District Council", "acknowledged"),
    ]
    assert cases[1]["deadlines"]["response_due"] == "2027-01-07"
    assert cases[0]["overdue"] == {"what": "response", "due": "2026-12-30", "working_days_late": 2}
    assert cases[0]["next_step"]["action"] == "chase"

    assert foibot(["cases", "--data-dir", str(data_dir), "--overdue", "--today", "2027-01-05"]) == 0
    table = capsys.readouterr().out
    assert "Brackwater" in table and "Hartwell" not in table and "Send a reminder" in table


def test_digest_now_dry_run_and_send(foibot, data_dir, capsys):
    with time_machine.travel(at(2027, 1, 5, 12), tick=False):
        assert foibot(["digest", "--data-dir", str(data_dir), "--now", "--dry-run"]) == 0
        text = capsys.readouterr().out
        assert text.startswith("Your FOI digest for Tue 5 January 2027")
        assert not (data_dir / "outbox" / "new").exists() or not list((data_dir / "outbox" / "new").iterdir())

        assert foibot(["digest", "--data-dir", str(data_dir), "--now", "--to", DANA]) == 0
        assert "1 digest sent" in capsys.readouterr().out
        assert len(list((data_dir / "outbox" / "new").iterdir())) == 1
        # a manual digest does not use up the day's scheduled one
        assert foibot(["digest", "--data-dir", str(data_dir)]) == 0
        assert "1 digest sent" in capsys.readouterr().out
        assert foibot(["digest", "--data-dir", str(data_dir)]) == 0
        assert "0 digests sent" in capsys.readouterr().out
    assert len(list((data_dir / "outbox" / "new").iterdir())) == 2

    assert foibot(["digest", "--data-dir", str(data_dir), "--now", "--to", "nobody@mail.example"]) == 2
    assert "no cases for nobody@mail.example" in capsys.readouterr().err


def test_corrections_export_with_nothing_to_export(foibot, data_dir, tmp_path, capsys):
    target = tmp_path / "out.jsonl"
    assert foibot(["corrections", "export", str(target), "--data-dir", str(data_dir)]) == 0
    assert target.read_text() == ""
    assert "0 corrections written" in capsys.readouterr().err


def test_a_wrong_data_dir_is_an_error_not_a_new_database(foibot, tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert foibot(["cases", "--data-dir", str(missing)]) == 2
    assert "no foibot state at" in capsys.readouterr().err
    assert not missing.exists()

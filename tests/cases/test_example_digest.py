"""The committed example digest (docs/examples/digest.*) is what the code renders today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "render_example_digest.py"


def test_example_digest_is_up_to_date(capsys):
    spec = importlib.util.spec_from_file_location("render_example_digest", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # a failure here means the classifier, the deadlines or the templates changed what a
    # requester reads: look at the diff, then re-run scripts/render_example_digest.py
    assert module.main(["--check"]) == 0, capsys.readouterr().err
    text = (SCRIPT.parents[1] / "docs" / "examples" / "digest.txt").read_text(encoding="utf-8")
    assert "You are following 10 requests." in text

"""The robustness tests reuse the service tests' real servers (Dovecot, aiosmtpd) and helpers."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED
from tests.service.conftest import dovecot, imap_folder, smtp_sink, spawn, triager  # noqa: F401 - pytest fixtures

ALAVETELI = SHARED / "fixtures" / "alaveteli"


def alaveteli_fixtures() -> list:
    """The third-party awkward emails, read in place (never copied into the repo)."""
    return sorted(ALAVETELI.glob("*.eml")) if ALAVETELI.is_dir() else []


def require_alaveteli() -> None:
    if not alaveteli_fixtures():
        pytest.skip(f"the Alaveteli fixtures are not here ({ALAVETELI}): ../shared is absent")

"""`foibot triage PATH [--json] [--jurisdiction CODE] [--today YYYY-MM-DD]`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from bot.errors import UserError
from bot.model import LimitExceeded
from bot.triage import Triager


def parse_day(value: str | None, option: str = "--today") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} must be a date like 2018-04-17, not {value!r}") from None


def cmd_triage(args: argparse.Namespace) -> int:
    today = parse_day(args.today)
    triager = Triager()
    if args.jurisdiction:
        triager.rulebook.law(args.jurisdiction)  # fails early with the list of known laws
    options = {"today": today, "jurisdiction": args.jurisdiction}
    try:
        if args.path == "-":
            result = triager.triage_bytes(sys.stdin.buffer.read(), **options)
        else:
            result = triager.triage_path(args.path, **options)
    except LimitExceeded as exc:
        raise UserError(f"{args.path}: too large or too deeply nested to read safely ({exc})") from None
    if args.json:
        json.dump(result.to_contract(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(result.summary)
    return 0

"""The `foibot` command line.

Each subcommand is registered by a small `add_*` function and implemented by a
`cmd_*` function in the module that owns the feature; this file only wires them.
A user mistake ends in one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from bot.commands.bench import add_bench
from bot.errors import UserError


def _add_triage(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("triage", help="triage one FOI reply (.eml, .txt, .pdf, .docx, or - for stdin)")
    p.add_argument("path", help="the reply: an .eml, .txt, .pdf or .docx file, or - for a raw email on stdin")
    p.add_argument("--json", action="store_true", help="print the JSON contract instead of the summary")
    p.add_argument("--jurisdiction", help="force the law (uk_foia, uk_eir, scotland_foisa, ...)")
    p.add_argument("--today", help="treat this date (YYYY-MM-DD) as today, for reproducible output")
    p.set_defaults(handler=_lazy("bot.commands.triage", "cmd_triage"))


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure accuracy on a labelled JSONL corpus")
    p.add_argument("path", help="JSONL file with text (or path/eml) and outcome/labels/exemptions")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--errors", action="store_true", help="also list each misclassified record")
    p.set_defaults(handler=_lazy("bot.eval", "cmd_eval"))


def _add_service(sub: argparse._SubParsersAction) -> None:
    for name, helptext in (
        ("run", "watch the mailbox and answer each FOI reply with a summary"),
        ("status", "show what the worker has seen, sent, queued and quarantined"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--config", help="TOML config file (default: embedded Maildir setup)")
        p.add_argument("--data-dir", help="where inbox, outbox and state live (default ./foibot-data)")
        if name == "run":
            p.add_argument("--once", action="store_true", help="process what is waiting, then exit")
        else:
            p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=_lazy("bot.service.commands", f"cmd_{name}"))


def _add_cases(sub: argparse._SubParsersAction) -> None:
    from bot.commands.cases import add_cases

    add_cases(sub)


def _add_ops(sub: argparse._SubParsersAction) -> None:
    from bot.commands.ops import add_ops

    add_ops(sub)


REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [_add_triage, _add_eval, _add_service, _add_cases, _add_ops, add_bench]


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """Import the implementation only when its subcommand runs (keeps `--help` fast)."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return importlib.import_module(module).__getattribute__(function)(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="foibot",
        description="Reads replies to Freedom of Information requests and says what to do next.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"foibot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("foibot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not a user mistake: still one line unless asked for details
        if os.environ.get("FOIBOT_DEBUG"):
            raise
        print(f"foibot: unexpected error: {type(exc).__name__}: {exc} (set FOIBOT_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

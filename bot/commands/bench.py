"""`foibot bench [--messages N] [--json]`: measure throughput, latency, memory and start-up (issue #9)."""

from __future__ import annotations

import argparse


def add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="build a realistic backlog and measure throughput, latency, memory and start-up")
    add_arguments(p)
    p.set_defaults(handler=cmd_bench)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench's options (here, not in bot.bench, so that `foibot run` does not import the bench)."""
    parser.add_argument("--messages", type=int, default=2000, help="replies in the built backlog (default 2000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--latency-messages", type=int, default=40, help="replies delivered one at a time in watch mode")
    parser.add_argument("--no-imap", action="store_true", help="skip the IMAP IDLE latency run")
    parser.add_argument("--keep", help="build and keep everything in this directory (default: a temporary one, removed)")


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import cmd_bench as run

    return run(args)

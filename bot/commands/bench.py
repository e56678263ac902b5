"""`foibot bench [--messages N] [--json]`: measure throughput, latency, memory and start-up (issue #9)."""

from __future__ import annotations

import argparse


def add_bench(sub: argparse._SubParsersAction) -> None:
    from bot.bench import add_arguments

    p = sub.add_parser("bench", help="build a realistic backlog and measure throughput, latency, memory and start-up")
    add_arguments(p)
    p.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import cmd_bench as run

    return run(args)

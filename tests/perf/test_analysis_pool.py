"""The backlog pool keeps the guard's promises per message: order, errors, time budget, crashes, stop."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot.service.analysis_pool import AnalysisPool
from bot.service.guard import CAN_FORK, ChildCrashed, OverBudget

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="the pool needs fork()")


def job(payload):
    kind, value = payload
    if kind == "double":
        return value * 2
    if kind == "raise":
        raise ValueError(value)
    if kind == "hang":
        time.sleep(value)
        return "woke"
    if kind == "crash":
        os.kill(os.getpid(), signal.SIGKILL)  # as a segfault would end it, without the fault handler's dump
    if kind == "pid":
        return os.getpid()
    raise AssertionError(kind)


def test_answers_come_back_in_input_order_from_few_long_lived_children():
    with AnalysisPool(job, processes=2, seconds=30) as pool:
        answers = list(pool.imap((n, ("double", n)) for n in range(20)))
        pids = {value for _, value in pool.imap((n, ("pid", 0)) for n in range(8))}
    assert answers == [(n, n * 2) for n in range(20)]
    assert 1 <= len(pids) <= 2  # forked once, not once per message


def test_a_job_error_is_that_message_s_answer_and_the_rest_go_on():
    with AnalysisPool(job, processes=2, seconds=30) as pool:
        answers = dict(pool.imap([("a", ("double", 1)), ("b", ("raise", "bad letter")), ("c", ("double", 3))]))
    assert answers["a"] == 2 and answers["c"] == 6
    assert isinstance(answers["b"], ValueError) and str(answers["b"]) == "bad letter"


def test_over_the_time_budget_is_overbudget_and_a_fresh_child_takes_the_next():
    with AnalysisPool(job, processes=1, seconds=0.5) as pool:
        answers = dict(pool.imap([("slow", ("hang", 30)), ("next", ("double", 5))]))
    assert isinstance(answers["slow"], OverBudget)
    assert answers["next"] == 10


def test_a_crash_is_childcrashed_for_that_message_only():
    with AnalysisPool(job, processes=2, seconds=30) as pool:
        answers = dict(pool.imap([("boom", ("crash", 0)), ("fine", ("double", 4)), ("after", ("double", 6))]))
    assert isinstance(answers["boom"], ChildCrashed) and "SIGKILL" in str(answers["boom"])
    assert answers["fine"] == 8 and answers["after"] == 12


def test_input_read_lazily_so_a_stop_ends_it_and_what_is_in_hand_is_finished():
    pulled = []

    def items():
        for n in range(50):
            if len(pulled) >= 3:  # a stop request after three were handed out
                return
            pulled.append(n)
            yield n, ("double", n)

    with AnalysisPool(job, processes=2, seconds=30) as pool:
        answers = list(pool.imap(items()))
    assert answers == [(0, 0), (1, 2), (2, 4)]


def test_close_leaves_no_child_behind():
    pool = AnalysisPool(job, processes=2, seconds=30)
    pool.start()
    pids = [child.pid for child in pool.children]
    pool.close()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

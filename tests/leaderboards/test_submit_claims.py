"""Claims about budget and cost are checked at submission, never taken on trust (issue 10, class 2).

The runs here are real: the ``ac/quick`` greedy run on the board (``leaderboards/ac/quick``), and
fresh greedy runs made by the harness. Each reported exploit is a regression test, followed by
variants of the same class.
"""

from __future__ import annotations

import copy
import json
import math

import pytest
from board_runs import board_run, write_doc
from mathgym.leaderboards import claims
from mathgym.leaderboards.submit import (
    MAX_SUBMISSION_BYTES,
    SubmissionError,
    submit,
    verify_results,
)

from mathgym.harness.benchmark import Benchmark


@pytest.fixture()
def real_run() -> dict:
    """The honest ac-greedy run of the ac/quick board (10 instances, 6 solved)."""
    return board_run("ac/quick", "ac-greedy")


def _solved(doc: dict) -> list[dict]:
    return [r for r in doc["results"] if r["solved"]]


def test_the_real_run_itself_is_accepted(real_run, tmp_path):
    path = submit(write_doc(tmp_path, real_run), root=tmp_path / "boards")
    assert json.loads(path.read_text())["metrics"]["solved"] == 6


def test_copy_with_budget_1e_9_and_zero_costs_is_refused(real_run, tmp_path):
    """The reported exploit: it was accepted and ranked #1."""
    doc = copy.deepcopy(real_run)
    doc["budget"]["amount"] = 1e-9
    for rec in doc["results"]:
        rec["cost"] = 0
    with pytest.raises(SubmissionError, match="counted in whole numbers"):
        submit(write_doc(tmp_path, doc), root=tmp_path / "boards")
    assert not (tmp_path / "boards").exists()


def test_budget_1_with_11_move_paths_is_refused(real_run, tmp_path):
    doc = copy.deepcopy(real_run)
    doc["budget"]["amount"] = 1
    for rec in doc["results"]:
        rec["cost"] = 1
    with pytest.raises(SubmissionError) as err:
        verify_results(doc)
    assert "is below" in str(err.value) and "least any agent could spend" in str(err.value)


@pytest.mark.parametrize("edit", [
    "zero-costs",            # budget kept, every cost 0: paths cost less than their length
    "cost-one-below-path",   # one solved record one node short of its path length
    "cost-over-budget",      # a solved record over the budget
    "unsolved-far-over",     # an unsolved record past budget + the documented overshoot
    "negative-cost",
    "fractional-budget",     # 10000.5 search nodes
    "zero-budget",
])
def test_impossible_costs_and_budgets_are_refused(real_run, edit):
    doc = copy.deepcopy(real_run)
    solved = _solved(doc)
    unsolved = [r for r in doc["results"] if not r["solved"]]
    if edit == "zero-costs":
        for rec in doc["results"]:
            rec["cost"] = 0
    elif edit == "cost-one-below-path":
        solved[0]["cost"] = len(solved[0]["certificate"]) - 1
    elif edit == "cost-over-budget":
        solved[0]["cost"] = doc["budget"]["amount"] + 1
    elif edit == "unsolved-far-over":
        unsolved[0]["cost"] = doc["budget"]["amount"] + 12
    elif edit == "negative-cost":
        unsolved[0]["cost"] = -1
    elif edit == "fractional-budget":
        doc["budget"]["amount"] = 10000.5
    elif edit == "zero-budget":
        doc["budget"]["amount"] = 0
    with pytest.raises(SubmissionError):
        verify_results(doc)


def test_a_cost_equal_to_the_path_length_is_possible(real_run):
    """The bound is tight, not a heuristic: cost == path length passes (a replay does that)."""
    doc = copy.deepcopy(real_run)
    for rec in _solved(doc):
        rec["cost"] = len(rec["certificate"])
    assert verify_results(doc)["metrics"]["solved"] == 6


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_the_file_are_refused(real_run, tmp_path, token):
    doc = copy.deepcopy(real_run)
    doc["results"][0]["cost"] = "__X__"
    text = json.dumps(doc).replace('"__X__"', token)
    assert token in text
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(SubmissionError):
        submit(path, root=tmp_path / "boards")
    doc = copy.deepcopy(real_run)
    doc["budget"]["amount"] = "__X__"
    path.write_text(json.dumps(doc).replace('"__X__"', token))
    with pytest.raises(SubmissionError):
        submit(path, root=tmp_path / "boards")
    assert not (tmp_path / "boards").exists()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "7", True, None])
def test_claims_refuse_non_numbers_even_past_the_schema(value):
    rec = {"instance": "i", "seed": 0, "solved": False, "cost": value}
    assert claims.cost_problems(rec, 10.0, 0.0, None)
    assert claims.budget_problems(value, "search_nodes")


def test_repeated_seeds_are_refused(real_run):
    doc = copy.deepcopy(real_run)
    doc["seeds"] = [0, 0]
    with pytest.raises((SubmissionError, ValueError)):
        verify_results(doc)


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:  # sparse: st_size says 400 MB, the disk holds nothing
        fh.truncate(400 * 1024 * 1024)
    assert path.stat().st_size > MAX_SUBMISSION_BYTES
    with pytest.raises(SubmissionError, match="submissions are at most"):
        submit(path, root=tmp_path / "boards")


def test_a_slow_certificate_check_is_stopped_and_refused(real_run, monkeypatch):
    import time

    def slow_check(self, instance, certificate):
        time.sleep(30)

    monkeypatch.setattr(Benchmark, "check", slow_check)
    start = time.perf_counter()
    with pytest.raises(SubmissionError, match=r"not verified within 0.2 s"):
        verify_results(copy.deepcopy(real_run), check_seconds=0.2)
    assert time.perf_counter() - start < 10


def test_a_check_that_swallows_exceptions_still_times_out():
    """The timeout is a BaseException: a verifier's ``except Exception`` cannot hide it."""
    from mathgym.leaderboards.time_limit import CheckTimeout, call_with_time_limit

    def stubborn():
        for _ in range(200):
            try:
                import time

                time.sleep(0.05)
            except Exception:  # noqa: BLE001  (the point of the test)
                pass
        return "finished"

    with pytest.raises(CheckTimeout):
        call_with_time_limit(stubborn, 0.2)

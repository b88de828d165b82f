"""The worker pool: hard timeouts with restart, thread safety, crash recovery, determinism."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest
from mathgym.verifiers.math import check, check_many, check_problem, score, score_many
from mathgym.verifiers.math.pool import VerifierPool

from mathgym.types import Problem


@pytest.fixture
def small_pool():
    pool = VerifierPool(workers=1, timeout=10.0)
    yield pool
    pool.close()


def _req(answer, reference, answer_type="integer", spec=None):
    return {"a": answer, "r": reference, "t": answer_type, "s": spec or {"variables": []}}


def test_timeout_kills_the_worker_and_the_batch_resumes(small_pool):
    small_pool.warm()
    first_pid = small_pool._workers[0].proc.pid
    # A 0.1 ms budget cannot fit a full parse + sympy comparison: the first check times out.
    verdicts = small_pool.run([_req("x^2 + 2x", "x*(x+2)", "expression")], timeout=1e-4)
    assert verdicts[0].code == "timeout" and verdicts[0].score == 0.0
    assert small_pool.restarts == 1
    assert small_pool._workers[0].proc.pid != first_pid
    # The replacement works, and a batch after a timeout keeps its order.
    verdicts = small_pool.run([_req("1", "1"), _req("2", "1"), _req("x(x+1)", "x**2 + x",
                                                                       "expression")])
    assert [v.score for v in verdicts] == [1.0, 0.0, 1.0]


def test_worker_killed_while_idle_is_replaced_transparently(small_pool):
    small_pool.warm()
    worker = small_pool._workers[0]
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait()
    verdicts = small_pool.run([_req("3", "3"), _req("4", "3")])
    assert [v.score for v in verdicts] == [1.0, 0.0]


def test_checks_from_many_threads_match_sequential_results():
    items = [(str(i % 7), str(i % 5), "integer", None) for i in range(60)]
    items += [(f"x^2 + {i}x", f"x*(x + {i % 4})", "expression", {"variables": ["x"]})
              for i in range(20)]
    expected = [v.score for v in check_many(items)]
    results: dict[int, float] = {}

    def worker(k: int) -> None:
        results[k] = check(*items[k]).score

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [results[k] for k in range(len(items))] == expected
    assert expected.count(1.0) == sum(1 for a, r, *_ in items[:60] if a == r) + 4


def test_large_batches_split_across_workers_keep_order():
    # The shared pool splits batches of >= 64 across its workers (when it has several).
    items = [(f"{i}/7", f"{i if i % 3 else i + 1}/7", "rational", None) for i in range(300)]
    verdicts = check_many(items)
    assert [v.score for v in verdicts] == [0.0 if i % 3 == 0 else 1.0 for i in range(300)]


def test_public_api_on_problems():
    p = Problem("m", 1, 0, 0, "What is 6*9 - 30 in terms of a?", "-30 + 54*a", "expression",
                {"variables": ["a"]})
    assert score("\\boxed{54a - 30}", p) == 1.0
    assert score("54a - 31", p) == 0.0
    v = check_problem("54a = 30", p)
    assert v.score == 0.0 and v.code == "wrong_type" and "expected an expression" in v.reason
    q = Problem("m", 1, 0, 1, "q", "3", "integer")
    assert score_many(["3", "2/6", "<answer>3</answer>"], [q, q, q]) == [1.0, 0.0, 1.0]
    assert check_problem("7/2", q).reason == "expected an integer"


def test_bad_problems_raise_clear_value_errors():
    with pytest.raises(ValueError, match="unknown answer_type"):
        check("3", "3", "number")
    with pytest.raises(ValueError, match="tolerance"):
        check("0.3", "1/3", "decimal", {})
    with pytest.raises(ValueError, match="tolerance"):
        check("0.3", "1/3", "decimal", {"tolerance": 0.01})
    with pytest.raises(ValueError, match="base"):
        check("ff", "ff", "base_n", {"base": 37})
    with pytest.raises(ValueError, match="element_type"):
        check("[1]", "[1]", "list", {"element_type": "matrix"})
    with pytest.raises(ValueError, match="variables"):
        check("x", "x", "expression", {"variables": ["__class__"]})
    with pytest.raises(ValueError, match="reference answer"):
        check("3", "3 +", "integer")
    with pytest.raises(ValueError, match="2 answers for 1 problems"):
        score_many(["1", "2"], [Problem("m", 1, 0, 0, "q", "1", "integer")])


def test_answer_that_is_not_text_scores_zero():
    assert check(None, "3", "integer").code == "parse_error"  # type: ignore[arg-type]
    assert check(3, "3", "integer").score == 0.0  # type: ignore[arg-type]


_DETERMINISM_SCRIPT = r"""
import json
from mathgym.verifiers.math.compare import check_local
items = [
    ("sin(x)^2 + cos(x)^2", "1", "expression", {}),
    ("x*exp(x) + sqrt(x)", "sqrt(x) + x*exp(x)", "expression", {}),
    ("{x, 2x, 3}", "{3, 2*x, x}", "set", {"element_type": "expression"}),
    ("[b, a]", "[a, b]", "unordered_list", {}),
    ("log(x^2)", "2*log(x)", "expression", {}),
    ("x = 2, y = 1", "y = 1, x = 2", "solution", {}),
    ("sqrt(2)", "1.4142", "decimal", {"tolerance": "1/1000"}),
    ("(x+y)^3", "x**3 + 3*x**2*y + 3*x*y**2 + y**3", "expression", {}),
]
print(json.dumps([check_local(*item).to_json() for item in items]))
"""


def test_verdicts_identical_across_processes_and_hash_seeds():
    outputs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", _DETERMINISM_SCRIPT], env=env,
                             capture_output=True, text=True, timeout=120, check=True)
        outputs.append(json.loads(out.stdout))
    assert outputs[0] == outputs[1]
    assert [v["score"] for v in outputs[0]] == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]

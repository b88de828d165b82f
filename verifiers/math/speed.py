"""``python -m mathgym.verifiers.math.speed``: verifier checks/s per answer type, as JSON.

Three numbers per answer type, each the median of ``--runs`` timed runs after a warm-up:

* ``in_worker``: ``check_local`` in this process -- the work a warm worker does per check;
* ``pool_single``: one ``check`` call per answer through the worker pool (pipe round trip);
* ``pool_batch``: ``check_many`` over the whole sample (streamed, split across workers).

The samples mix sympy-printed references with differently written answers (``54a - 30`` for
``-30 + 54*a``, ``\\frac{6}{8}`` for ``3/4``, ...), right and wrong, so the parser and the
comparison run, not only the literal fast path (reported separately as ``integer_literal``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

X = {"variables": ["x"]}
SAMPLES: dict[str, list[tuple]] = {
    "integer_literal": [(str(n), str(n + (n % 3 == 0)), "integer", {}) for n in range(-50, 50)],
    "integer": [(f"\\boxed{{{n * 2}/2}}", str(n), "integer", {}) for n in range(-50, 50)],
    "rational": [(f"\\frac{{{3 * n}}}{{{4 * n + 8}}}", f"{3 * n}/{4 * n + 8}", "rational", {})
                 for n in range(1, 101)],
    "decimal": [(f"{n}.{n % 7}", f"{n}.{n % 7}{n % 3}", "decimal", {"tolerance": "1/100"})
                for n in range(100)],
    "expression": [(f"{n}x^2 - {n + 1}x + 3", f"-{n + 1}*x + {n}*x**2 + 3", "expression", X)
                   for n in range(1, 101)],
    "equation": [(f"y = {n}x + 1", f"{n}*x - y + 1 = 0", "equation", {"variables": ["x", "y"]})
                 for n in range(1, 101)],
    "solution": [(f"y = {n}, x = -{n + 1}", f"x = -{n + 1}, y = {n}", "solution",
                  {"variables": ["x", "y"]}) for n in range(100)],
    "list": [(f"[{n}, {n + 1}, {n + 2}]", f"[{n}, {n + 1}, {n + 2}]", "list",
              {"element_type": "integer"}) for n in range(100)],
    "unordered_list": [(f"[{n + 2}, {n}, {n + 1}]", f"[{n}, {n + 1}, {n + 2}]",
                        "unordered_list", {"element_type": "integer"}) for n in range(100)],
    "set": [(f"\\{{{n + 2}, {n}, {n + 1}\\}}", f"{{{n}, {n + 1}, {n + 2}}}", "set",
             {"element_type": "integer"}) for n in range(100)],
    "boolean": [(("yes", "no", "True", "false")[n % 4], ("True", "False")[n % 2], "boolean", {})
                for n in range(100)],
    "base_n": [(format(n * 37, "x").upper(), format(n * 37, "x"), "base_n", {"base": 16})
               for n in range(100)],
}


def _rate(fn: Callable[[], int], runs: int, seconds: float) -> float:
    fn()  # warm-up
    rates = []
    for _ in range(runs):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            done += fn()
        rates.append(done / (time.perf_counter() - start))
    return round(statistics.median(rates), 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m mathgym.verifiers.math.speed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--types", nargs="*", default=list(SAMPLES))
    args = parser.parse_args(argv)  # None: the command line (sys.argv)

    from mathgym.verifiers.math import check, check_many, get_pool
    from mathgym.verifiers.math.compare import check_local

    pool = get_pool()
    pool.warm()
    report: dict = {
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": os.cpu_count()},
        "workers": pool.size,
        "timeout_s": pool.timeout,
        "checks_per_second": {},
    }
    for name in args.types:
        items = SAMPLES[name]

        def local(items=items) -> int:
            for item in items:
                check_local(*item)
            return len(items)

        def single(items=items) -> int:
            for item in items:
                check(*item)
            return len(items)

        def batch(items=items) -> int:
            check_many(items)
            return len(items)

        report["checks_per_second"][name] = {
            "in_worker": _rate(local, args.runs, args.seconds),
            "pool_single": _rate(single, args.runs, args.seconds),
            "pool_batch": _rate(batch, args.runs, args.seconds),
        }
    return report


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

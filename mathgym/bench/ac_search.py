"""``python -m mathgym.bench ac-search``: nodes/s of our compiled greedy/BFS vs AC-Solver's greedy.

Also times our symmetry-reduced greedy (``symmetry=True``: one node per orbit under the 16
relabelings), whose nodes cost more (canonicalization) but stand for up to 16 presentations.

Both are timed in the same run on the same presentations with the same node budget; AC-Solver
runs in a subprocess under its own interpreter (``--acsolver-python``, a throwaway venv with
``pip install --no-deps ac-solver numpy==1.24.3``; its package ``__init__`` imports torch, so the
subprocess loads only ``ac_solver.search`` / ``ac_solver.envs`` through stub parent packages).
AC-Solver's greedy does not return its node count, so the subprocess reads it from the line
greedy prints when the budget is reached; the presentations are chosen so that the budget is
reached (greedy does not solve them), which makes both sides count the same states.

Each figure is the median over ``--runs`` repetitions. Our searches are compiled before timing
(numba cache), and their time excludes that compilation.

Example::

    python -m mathgym.bench ac-search --acsolver-python /tmp/acsolver-venv/bin/python
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_ACSOLVER_PYTHON = "/tmp/acsolver-venv/bin/python"

#: Greedy-unsolved presentations at these budgets (so both sides generate exactly the budget):
#: AK(3) at cap 13 and two ac/ms1190 instances (ms-0353, ms-0862) at AC-Solver's caps.
BENCH_CASES: tuple[tuple[str, str, int], ...] = (
    ("AK(3) cap 13", "x^3 y^-4, x y x y^-1 x^-1 y^-1", 13),
    ("ms-0353 (n=3) cap 20", "x^-1 y^3 x y^-4, x^-1 y x y x^-1 y", 20),
    ("ms-0862 (n=6) cap 32", "x^-1 y^6 x y^-7, x^-1 y x y^2 x^-1", 32),
)

_ACSOLVER_SCRIPT = r'''
import contextlib, importlib.util, io, json, os, re, sys, time, types
spec = importlib.util.find_spec("ac_solver")
root = list(spec.submodule_search_locations)[0]
for name, sub in (("ac_solver", ""), ("ac_solver.envs", "envs"), ("ac_solver.search", "search")):
    mod = types.ModuleType(name)
    mod.__path__ = [os.path.join(root, sub) if sub else root]
    sys.modules[name] = mod
from ac_solver.search.greedy import greedy_search
job = json.load(sys.stdin)
out = []
for array in job["arrays"]:
    times, nodes, solved = [], None, None
    for _ in range(job["runs"]):
        buf = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(buf):
            ok, path = greedy_search(array, max_nodes_to_explore=job["max_nodes"])
        times.append(time.perf_counter() - t0)
        m = re.search(r"explored nodes = (\d+)", buf.getvalue())
        nodes = int(m.group(1)) if m else None
        solved = bool(ok)
    out.append({"seconds": times, "nodes": nodes, "solved": solved})
json.dump(out, sys.stdout)
'''


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def _cases() -> list[tuple[str, Any, int]]:
    from mathgym.envs.ac.presentation import Presentation

    return [(label, Presentation.parse(text), cap) for label, text, cap in BENCH_CASES]


def _time_ours(fn: Any, pres: Any, cap: int, max_nodes: int, runs: int) -> dict[str, Any]:
    fn(pres, max_nodes=min(max_nodes, 1000), max_relator_length=cap)  # compile / warm up
    seconds, nodes, solved = [], 0, False
    for _ in range(runs):
        r = fn(pres, max_nodes=max_nodes, max_relator_length=cap)
        seconds.append(r.seconds)
        nodes, solved = r.nodes, r.solved
    med = statistics.median(seconds)
    return {"nodes": nodes, "solved": solved, "seconds_median": med,
            "nodes_per_s": nodes / med if med > 0 else None}


def _time_acsolver(python: str, arrays: list[list[int]], max_nodes: int, runs: int,
                   timeout: float) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix="_acsolver_bench.py", delete=False) as fh:
        fh.write(_ACSOLVER_SCRIPT)
        script = fh.name
    try:
        proc = subprocess.run(
            [python, script], input=json.dumps({"arrays": arrays, "max_nodes": max_nodes,
                                                "runs": runs}),
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    finally:
        os.unlink(script)
    if proc.returncode != 0:
        raise RuntimeError(f"AC-Solver subprocess failed ({python}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and return the JSON-ready report."""
    parser = argparse.ArgumentParser(prog="python -m mathgym.bench ac-search")
    parser.add_argument("--acsolver-python", default=DEFAULT_ACSOLVER_PYTHON,
                        help="interpreter of a venv with ac-solver installed ('' to skip)")
    parser.add_argument("--max-nodes", type=int, default=20_000,
                        help="node budget per search, same for both (default 20000)")
    parser.add_argument("--ours-max-nodes", type=int, default=1_000_000,
                        help="extra budget for ours alone (the paper's 1M; default 1000000)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions; medians reported")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds before the AC-Solver subprocess is killed")
    args = parser.parse_args(argv)
    if args.max_nodes < 1 or args.runs < 1:
        raise ValueError("--max-nodes and --runs must be >= 1")

    from mathgym.agents.search import bfs, greedy_search

    cases = _cases()
    report: dict[str, Any] = {
        "suite": "ac-search", "machine": _machine(), "max_nodes": args.max_nodes,
        "runs": args.runs, "cases": [],
    }
    t0 = time.perf_counter()
    peer = None
    if args.acsolver_python:
        if not Path(args.acsolver_python).exists():
            raise ValueError(
                f"--acsolver-python {args.acsolver_python} does not exist; create it with "
                "python3 -m venv /tmp/acsolver-venv && /tmp/acsolver-venv/bin/pip install "
                "--no-deps ac-solver numpy==1.24.3 (or pass --acsolver-python '' to skip)"
            )
        peer = _time_acsolver(
            args.acsolver_python,
            [[int(v) for v in pres.to_array(cap)] for _, pres, cap in cases],
            args.max_nodes, args.runs, args.timeout,
        )
    ratios = []
    for idx, (label, pres, cap) in enumerate(cases):
        row: dict[str, Any] = {"case": label, "presentation": str(pres), "cap": cap}
        row["ours_greedy"] = _time_ours(greedy_search, pres, cap, args.max_nodes, args.runs)
        row["ours_bfs"] = _time_ours(bfs, pres, cap, args.max_nodes, args.runs)
        row["ours_greedy_symmetry"] = _time_ours(
            functools.partial(greedy_search, symmetry=True), pres, cap,
            args.ours_max_nodes or args.max_nodes, args.runs)
        if args.ours_max_nodes:
            row["ours_greedy_large"] = _time_ours(greedy_search, pres, cap,
                                                  args.ours_max_nodes, args.runs)
            row["ours_greedy_large"]["max_nodes"] = args.ours_max_nodes
        if peer is not None:
            p = peer[idx]
            med = statistics.median(p["seconds"])
            row["acsolver_greedy"] = {
                "nodes": p["nodes"], "solved": p["solved"], "seconds_median": med,
                "nodes_per_s": (p["nodes"] / med) if p["nodes"] and med > 0 else None,
            }
            row["same_node_count"] = p["nodes"] == row["ours_greedy"]["nodes"]
            if row["acsolver_greedy"]["nodes_per_s"]:
                ratio = row["ours_greedy"]["nodes_per_s"] / row["acsolver_greedy"]["nodes_per_s"]
                row["speedup_greedy"] = ratio
                ratios.append(ratio)
        report["cases"].append(row)
    report["median_speedup_greedy"] = statistics.median(ratios) if ratios else None
    report["ours_greedy_nodes_per_s_median"] = statistics.median(
        c["ours_greedy"]["nodes_per_s"] for c in report["cases"])
    report["ours_greedy_symmetry_nodes_per_s_median"] = statistics.median(
        c["ours_greedy_symmetry"]["nodes_per_s"] for c in report["cases"])
    if peer is not None:
        report["acsolver_greedy_nodes_per_s_median"] = statistics.median(
            c["acsolver_greedy"]["nodes_per_s"] for c in report["cases"]
            if c["acsolver_greedy"]["nodes_per_s"])
    report["wall_seconds"] = time.perf_counter() - t0
    return report


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(main(sys.argv[1:]), indent=2))

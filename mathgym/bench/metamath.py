"""``python -m mathgym.bench metamath``: full set.mm verification, ours vs the C program.

Each run is a fresh subprocess, so nothing is cached between runs:

* ours: ``python -m mathgym.verifiers.metamath DATABASE [--jobs N]`` (parse + verify every
  ``$p``); its JSON summary must report 0 failures;
* C: ``metamath 'read "DATABASE"' 'verify proof *' exit`` (read + verify), checked for no
  ``?Error`` in its output (it always exits 0).

Reports wall seconds and the child's CPU seconds (user + sys, from ``resource``) per run and
their medians, and the ratio ours / C. On a shared machine CPU seconds are the steadier number.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

from mathgym.verifiers.metamath.database import DEFAULT_DATABASE


def _timed(cmd: list[str], cwd: str | None = None, timeout: float = 1800) -> tuple:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, wall, cpu


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m mathgym.bench metamath")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--runs", type=int, default=3, help="runs each; medians are reported")
    parser.add_argument("--jobs", type=int, default=1, help="our verifier's processes")
    args = parser.parse_args(argv or [])
    if not os.path.exists(args.database):
        return {"skipped": f"{args.database} not found (make setup installs set.mm)"}
    report: dict = {
        "database": args.database,
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "jobs": args.jobs,
    }
    ours = []
    for _ in range(args.runs):
        proc, wall, cpu = _timed(
            [sys.executable, "-m", "mathgym.verifiers.metamath", args.database,
             "--jobs", str(args.jobs)]
        )
        summary = json.loads(proc.stdout)
        if summary.get("failed") != 0 or "error" in summary:
            raise RuntimeError(f"our verifier failed on {args.database}: {proc.stdout[-2000:]}")
        ours.append({"wall_seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
                     "parse_seconds": summary["parse_seconds"],
                     "verify_seconds": summary["verify_seconds"],
                     "verified": summary["verified"]})
    report["ours"] = {
        "runs": ours,
        "median_wall_seconds": statistics.median(r["wall_seconds"] for r in ours),
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in ours),
    }
    exe = shutil.which("metamath")
    if exe is None:
        report["c_metamath"] = {"skipped": "metamath program not installed (make setup)"}
        return report
    c_runs = []
    folder, name = os.path.split(os.path.abspath(args.database))
    for _ in range(args.runs):
        proc, wall, cpu = _timed([exe, f'read "{name}"', "verify proof *", "exit"], cwd=folder)
        if "?Error" in proc.stdout:
            raise RuntimeError("the C metamath program reported ?Error on the database")
        c_runs.append({"wall_seconds": round(wall, 3), "cpu_seconds": round(cpu, 3)})
    report["c_metamath"] = {
        "command": f"metamath 'read \"{name}\"' 'verify proof *' exit  (cwd {folder})",
        "runs": c_runs,
        "median_wall_seconds": statistics.median(r["wall_seconds"] for r in c_runs),
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in c_runs),
    }
    report["ratio_wall"] = round(
        report["ours"]["median_wall_seconds"] / report["c_metamath"]["median_wall_seconds"], 2
    )
    report["ratio_cpu"] = round(
        report["ours"]["median_cpu_seconds"] / report["c_metamath"]["median_cpu_seconds"], 2
    )
    report["target"] = "ours within 10x of the C program"
    return report

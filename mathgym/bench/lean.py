"""``python -m mathgym.bench lean``: overhead of the Lean client and env (no Lean needed).

What it measures (all on the recorded transcripts, so it is our code's cost, not Lean's):

* ``decode``: responses decoded per second (load every transcript pair, parse every response);
* ``replay_env``: Lean-v0 steps per second when the ``lean-replay`` agent proves every
  ``formal/lean-replay`` instance over the replay transport (env construction included);
* ``subprocess``: request round trips per second through :class:`SubprocessTransport` to a
  minimal Python child that answers every tactic at once (pipe, framing and thread overhead
  per request; a real REPL adds Lean's elaboration time on top).

Arguments: ``--repeat N`` (default 20) repetitions of the decode and env loops,
``--requests N`` (default 2000) subprocess round trips.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_RESPONDER = """\
import json, sys
n = 0
for line in sys.stdin:
    if not line.strip():
        continue
    sys.stdout.write(json.dumps({"proofState": n, "goals": ["⊢ True"],
                                 "proofStatus": "Incomplete: open goals remain"}) + "\\n\\n")
    sys.stdout.flush()
    n += 1
"""


def _decode(repeat: int) -> dict[str, Any]:
    from mathgym.envs.lean.transcripts import load_transcript, transcript_names

    names = transcript_names()
    count = 0
    start = time.perf_counter()
    for _ in range(repeat):
        for name in names:
            count += len(load_transcript(name).decoded())
    seconds = time.perf_counter() - start
    return {"responses": count, "seconds": round(seconds, 4),
            "responses_per_s": round(count / seconds, 1)}


def _replay_env(repeat: int) -> dict[str, Any]:
    from mathgym.harness.registry import get_agent, get_benchmark

    bench = get_benchmark("formal/lean-replay")
    agent = get_agent("lean-replay")
    steps = solved = 0
    start = time.perf_counter()
    for _ in range(repeat):
        for inst in bench.instances:
            attempt = agent.attempt(bench, inst, bench.default_budget, seed=0)
            steps += int(attempt.cost)
            solved += int(attempt.solved)
    seconds = time.perf_counter() - start
    return {"episodes": repeat * len(bench), "solved": solved, "env_steps": steps,
            "seconds": round(seconds, 4), "env_steps_per_s": round(steps / seconds, 1)}


def _subprocess(requests: int) -> dict[str, Any]:
    from mathgym.envs.lean.client import LeanClient
    from mathgym.envs.lean.transport import SubprocessTransport

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "responder.py"
        script.write_text(_RESPONDER, encoding="utf-8")
        client = LeanClient(SubprocessTransport([sys.executable, str(script)], timeout=30))
        try:
            client.tactic("skip", 0)  # start-up excluded
            start = time.perf_counter()
            for i in range(requests):
                client.tactic("skip", i)
            seconds = time.perf_counter() - start
        finally:
            client.close()
    return {"requests": requests, "seconds": round(seconds, 4),
            "round_trips_per_s": round(requests / seconds, 1),
            "us_per_round_trip": round(1e6 * seconds / requests, 1)}


def main(argv: list[str]) -> dict[str, Any]:
    """Run the Lean overhead measurements and return them as a JSON-ready dict."""
    parser = argparse.ArgumentParser(prog="python -m mathgym.bench lean")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)
    from mathgym.envs.lean.transcripts import default_transcripts_dir

    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
    }
    if default_transcripts_dir().is_dir():
        report["decode"] = _decode(args.repeat)
        report["replay_env"] = _replay_env(args.repeat)
    else:
        report["skipped"] = f"no transcripts at {default_transcripts_dir()}"
    report["subprocess"] = _subprocess(args.requests)
    return report

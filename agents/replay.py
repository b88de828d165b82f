"""``replay``: submit certificates read from a file (known solutions, or another run's results).

Config ``path`` names either a mathgym ``results.json`` (the certificate of each solved record
is used; the first solved seed wins) or a JSON object ``{"certificates": {instance_id:
certificate}}``. Instances without a certificate are reported unsolved. The cost of a replayed
certificate is its length when it is a list (for AC: the number of moves, i.e. env steps), else 0.
The harness verifies every replayed certificate like any other, so replay is also how a
certificate found elsewhere enters a results file and a leaderboard. It replays known solutions,
so it is ``privileged``: its results are marked ``agent.oracle`` and boards list them unranked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mathgym.harness.agent import Agent, Attempt
from mathgym.harness.benchmark import Benchmark, Instance


def load_certificates(path: str | Path) -> dict[str, Any]:
    """``instance id -> certificate`` from a results file or a ``{"certificates": ...}`` file."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"replay: no certificate file at {path}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"replay: {path} is not valid JSON: {err}") from None
    if isinstance(doc, dict) and isinstance(doc.get("certificates"), dict):
        return dict(doc["certificates"])
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        table: dict[str, Any] = {}
        for rec in doc["results"]:
            if rec.get("solved") and rec.get("certificate") is not None:
                table.setdefault(rec["instance"], rec["certificate"])
        return table
    raise ValueError(
        f"replay: {path} is neither a mathgym results file nor {{\"certificates\": {{id: cert}}}}"
    )


class ReplayAgent(Agent):
    """Replays the certificates in ``path``; claims exactly the instances that have one."""

    name = "replay"
    version = "2"  # 2: cost is at least the benchmark's cost floor
    #: Replays known certificates: results are marked oracle (mathgym.harness.views).
    privileged = True

    def __init__(self, *, path: str) -> None:
        super().__init__(path=str(path))
        self._table: dict[str, Any] | None = None

    def _certificates(self) -> dict[str, Any]:
        if self._table is None:
            self._table = load_certificates(self.config["path"])
        return self._table

    def attempt(
        self, benchmark: Benchmark, instance: Instance, budget: float, seed: int
    ) -> Attempt:
        cert = self._certificates().get(instance.id)
        if cert is None:
            return Attempt(False, None, 0, {"replayed": False})
        # A replay spends what finding the certificate costs at the least: the benchmark's
        # floor (one move per AC move, one step per proof line, one sample per answer).
        floor = benchmark.cost_floor(instance, cert) if hasattr(benchmark, "cost_floor") else 0
        cost = max(len(cert) if isinstance(cert, list) else 0, floor)
        return Attempt(True, cert, cost, {"replayed": True})


AGENTS = {"replay": ReplayAgent}

"""``mathgym train --agent ac-expert-iteration``: the loop of :mod:`.loop` as a learner.

Registered with :func:`mathgym.harness.learners.register_learner` by :func:`register` (run on
import, and by ``mathgym train`` before it looks a learner up), so the harness does what it does
for every plug-in learner: locks ``--out``, stores the run's identity in ``run.json`` and
refuses a ``--resume`` with other settings, and writes ``training.json`` with the sha256 of the
last round's ``nets/manifest.json``. ``--budget`` is the node budget of each search (per
presentation per round); the learner reports the rounds finished as its ``steps``.

    mathgym train --agent ac-expert-iteration --benchmark ac/ms1190 --budget 10000 \\
        --out runs/ei --config rounds=3
    mathgym train ... --out runs/ei --resume        # after a kill, even kill -9
    mathgym submit runs/ei/round-3                  # re-verifies every path
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mathgym.harness.learners import register_learner

NAME = "ac-expert-iteration"


def train_expert_iteration(benchmark_id: str, budget: int, seed: int, out: Path,
                           config: dict[str, Any], resume: bool) -> dict[str, Any]:
    """The plug-in learner contract of :mod:`mathgym.harness.learners`."""
    from mathgym.agents.search.expert_iteration.loop import run

    return run(benchmark_id, budget, seed, Path(out), config, resume)


def register() -> None:
    """Add the learner to ``mathgym train`` (idempotent: the same function again is a no-op;
    called by the command each time, so a replaced registry, as in tests, gets it too)."""
    register_learner(NAME, train_expert_iteration,
                     help="AC search -> verified paths -> retrain, by round (budget: nodes per "
                          "search)")


register()

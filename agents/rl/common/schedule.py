"""Which training presentation an env starts next: AC-Solver's selection schedule.

AC-Solver's PPO (``ac_solver/agents/``, Shehper et al., arXiv 2408.15332) trains on the
benchmark's presentations themselves. The *first pass* hands them out in order (env resets
take instance 0, 1, 2, ...). After the first pass, each reset draws an unsolved presentation
with probability ``p_unsolved`` (0.75) and a solved one otherwise, uniformly within the chosen
group (the other group when one is empty). The draws come from one seeded numpy ``Generator``
whose state is part of every checkpoint, so a resumed run draws exactly what an uninterrupted
one would.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class SelectionSchedule:
    """Seeded schedule over ``num_instances`` training presentations (state: :meth:`state`)."""

    def __init__(self, num_instances: int, seed: int, p_unsolved: float = 0.75) -> None:
        if num_instances < 1:
            raise ValueError(f"the schedule needs at least one instance, got {num_instances}")
        if not 0.0 <= p_unsolved <= 1.0:
            raise ValueError(f"p_unsolved must be in [0, 1], got {p_unsolved}")
        self.num_instances = int(num_instances)
        self.p_unsolved = float(p_unsolved)
        self.rng = np.random.default_rng(seed)
        self.next_in_order = 0  # position of the first pass; == num_instances once it is over
        self.solved = np.zeros(self.num_instances, dtype=bool)

    def mark_solved(self, index: int) -> None:
        """Record that instance ``index`` was solved (it moves to the solved group)."""
        self.solved[index] = True

    def draw(self) -> int:
        """The instance the next episode starts from."""
        if self.next_in_order < self.num_instances:
            self.next_in_order += 1
            return self.next_in_order - 1
        unsolved = np.flatnonzero(~self.solved)
        solved = np.flatnonzero(self.solved)
        want_unsolved = self.rng.random() < self.p_unsolved
        group = unsolved if (want_unsolved and unsolved.size) or not solved.size else solved
        return int(group[self.rng.integers(group.size)])

    def state(self) -> dict[str, Any]:
        """Everything needed to continue the schedule exactly (checkpointed)."""
        return {"rng": self.rng.bit_generator.state, "next_in_order": self.next_in_order,
                "solved": self.solved.copy()}

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state`."""
        self.rng.bit_generator.state = state["rng"]
        self.next_in_order = int(state["next_in_order"])
        self.solved = np.asarray(state["solved"], dtype=bool).copy()

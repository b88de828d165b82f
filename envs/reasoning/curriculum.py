"""A difficulty curriculum driven by recent solve rates.

``Curriculum`` keeps a sliding window of outcomes at the current level and moves the level up
when the window's solve rate reaches ``promote_at``, down when it falls to ``demote_at``
(both are parameters). After a move the window is cleared, so each decision is based on
``window`` fresh outcomes at the new level. Pure bookkeeping, no randomness.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from mathgym.envs.reasoning.registry import DIFFICULTIES


@dataclass
class Curriculum:
    """Moves a difficulty level in ``[min_level, max_level]`` from recent solve rates.

    Arguments:
        level: starting level.
        promote_at: solve rate at or above which the level goes up (default 0.8).
        demote_at: solve rate at or below which the level goes down (default 0.2).
        window: number of recent outcomes a decision needs (default 50).
        min_level, max_level: bounds (default 1 and 5).
    """

    level: int = 1
    promote_at: float = 0.8
    demote_at: float = 0.2
    window: int = 50
    min_level: int = DIFFICULTIES[0]
    max_level: int = DIFFICULTIES[-1]
    _recent: deque = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.demote_at < self.promote_at <= 1.0:
            raise ValueError(
                f"need 0 <= demote_at < promote_at <= 1, got demote_at={self.demote_at}, "
                f"promote_at={self.promote_at}"
            )
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        if not self.min_level <= self.level <= self.max_level:
            raise ValueError(
                f"level {self.level} outside [{self.min_level}, {self.max_level}]"
            )

    @property
    def solve_rate(self) -> float | None:
        """Solve rate over the current window, ``None`` before any outcome."""
        return sum(self._recent) / len(self._recent) if self._recent else None

    def update(self, solved: bool | float) -> int:
        """Record one outcome (bool, or a reward >= 0.5 counts as solved); return the level."""
        self._recent.append(1 if float(solved) >= 0.5 else 0)
        if len(self._recent) > self.window:
            self._recent.popleft()
        if len(self._recent) == self.window:
            rate = self.solve_rate
            if rate >= self.promote_at and self.level < self.max_level:
                self.level += 1
                self._recent.clear()
            elif rate <= self.demote_at and self.level > self.min_level:
                self.level -= 1
                self._recent.clear()
        return self.level

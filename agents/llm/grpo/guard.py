"""The stability guard: entropy explosion and reward collapse, against configured thresholds.

The two failure modes reported by people who train GRPO from scratch (issue 12): the token
entropy blows up (the policy turns to noise; often after the reward has saturated), or the
reward collapses from a level it had reached. :class:`Guard` reads each step's stats and
fires when a signal has been over its threshold for ``patience`` consecutive steps:

- ``entropy_max``: entropy > an absolute threshold (nats);
- ``entropy_ratio``: entropy > ratio x the first step's entropy (scale-free: the threshold
  follows the model and vocabulary);
- ``reward_collapse``: the moving mean of the reward over ``window`` steps is more than
  ``reward_drop`` below the best moving mean seen so far;
- a non-finite loss or gradient norm always fires (``non_finite``) at once.

It only *detects*; the trainer acts (``guard_action``: stop, roll back to the last checkpoint
taken while the guard was quiet, or warn) and records which signal fired, its value and its
threshold. Its state is a small dict saved in every checkpoint, so a resumed run's guard
continues exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GuardEvent:
    """A fired signal: which, at which step, the value and the threshold it crossed."""

    signal: str
    step: int
    value: float
    threshold: float

    def message(self) -> str:
        return (f"guard: {self.signal} at step {self.step}: value {self.value:.4g} crossed "
                f"threshold {self.threshold:.4g}")


class Guard:
    """Detects entropy explosion and reward collapse (see the module doc)."""

    def __init__(self, *, entropy_max: float | None = None, entropy_ratio: float | None = 3.0,
                 reward_drop: float | None = None, window: int = 5, patience: int = 2) -> None:
        if window < 1 or patience < 1:
            raise ValueError("guard window and patience must be >= 1")
        self.entropy_max = entropy_max
        self.entropy_ratio = entropy_ratio
        self.reward_drop = reward_drop
        self.window = window
        self.patience = patience
        self.entropy0: float | None = None
        self.rewards: list[float] = []
        self.best_mean: float | None = None
        self.streak: dict[str, int] = {}

    @classmethod
    def from_config(cls, cfg: Any) -> Guard:
        """The guard a :class:`~mathgym.agents.llm.grpo.config.GRPOConfig` describes."""
        return cls(entropy_max=cfg.guard_entropy_max, entropy_ratio=cfg.guard_entropy_ratio,
                   reward_drop=cfg.guard_reward_drop, window=cfg.guard_reward_window,
                   patience=cfg.guard_patience)

    @property
    def quiet(self) -> bool:
        """No signal is currently over its threshold (a checkpoint now is a good one)."""
        return not any(self.streak.values())

    def _over(self, name: str, over: bool) -> bool:
        self.streak[name] = self.streak.get(name, 0) + 1 if over else 0
        return self.streak[name] >= self.patience

    def check(self, stats: dict[str, float]) -> GuardEvent | None:
        """Update with one step's stats (``step``, ``entropy``, ``reward/mean``, ``loss``,
        ``grad_norm``); the first signal that fires, or None."""
        step = int(stats.get("step", 0))
        for key in ("loss", "grad_norm"):
            value = stats.get(key)
            if value is not None and not math.isfinite(float(value)):
                return GuardEvent("non_finite", step, float(value), math.inf)
        fired: GuardEvent | None = None
        entropy = stats.get("entropy")
        if entropy is not None and math.isfinite(entropy):
            if self.entropy0 is None:
                self.entropy0 = float(entropy)
            if self.entropy_max is not None and self._over("entropy_max",
                                                           entropy > self.entropy_max):
                fired = fired or GuardEvent("entropy_max", step, entropy, self.entropy_max)
            if self.entropy_ratio is not None and self.entropy0 > 0:
                limit = self.entropy_ratio * self.entropy0
                if self._over("entropy_ratio", entropy > limit):
                    fired = fired or GuardEvent("entropy_ratio", step, entropy, limit)
        reward = stats.get("reward/mean")
        if reward is not None and self.reward_drop is not None:
            self.rewards = (self.rewards + [float(reward)])[-self.window:]
            if len(self.rewards) == self.window:
                mean = sum(self.rewards) / self.window
                self.best_mean = mean if self.best_mean is None else max(self.best_mean, mean)
                limit = self.best_mean - self.reward_drop
                if self._over("reward_collapse", mean < limit):
                    fired = fired or GuardEvent("reward_collapse", step, mean, limit)
        return fired

    def state_dict(self) -> dict[str, Any]:
        return {"entropy0": self.entropy0, "rewards": list(self.rewards),
                "best_mean": self.best_mean, "streak": dict(self.streak)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.entropy0 = state["entropy0"]
        self.rewards = list(state["rewards"])
        self.best_mean = state["best_mean"]
        self.streak = dict(state["streak"])

    def reset_streaks(self) -> None:
        """After a rollback: the signals start counting again."""
        self.streak = {}

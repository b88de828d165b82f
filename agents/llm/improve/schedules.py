"""Schedules of the guidance weight λ of product sampling, q ∝ π(o|prompt)^λ π(o|prompt+hint)^(1-λ).

λ = 1 is plain sampling (the hint has no influence); λ = 0 samples from the hinted context only.
The issue's plan: start near 1/2 and anneal to 1. Four kinds:

- ``constant``: λ = start;
- ``linear``: λ_t = start + (end - start) * min(t / steps, 1);
- ``cosine``: λ_t = end - (end - start) * (1 + cos(π min(t / steps, 1))) / 2 (slow at both ends);
- ``adaptive``: λ moves toward the guidance the policy still needs. After each step the rolling
  reward rate ρ (the mean reward of the last ``window`` guided samples) is compared with
  ``target``; λ <- clip(λ + gain * (ρ - target), start, end). Succeeding more often than the
  target means less help is needed, so λ rises toward ``end``; failing lowers it toward
  ``start``.

The adaptive state (λ and the window) is plain data: ``state_dict`` / ``load_state_dict``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = ("constant", "linear", "cosine", "adaptive")


@dataclass
class LambdaSchedule:
    """λ as a function of the trainer step (or of the reward rate, ``adaptive``)."""

    kind: str = "linear"
    """constant | linear | cosine | adaptive"""
    start: float = 0.5
    """λ at step 0 (adaptive: also the lowest λ)"""
    end: float = 1.0
    """λ after ``steps`` (adaptive: the highest λ)"""
    steps: int = 100
    """steps over which linear and cosine go from start to end"""
    target: float = 0.5
    """adaptive: the reward rate λ is steered toward"""
    gain: float = 0.1
    """adaptive: λ change per unit of (rate - target) per step"""
    window: int = 64
    """adaptive: how many recent rewards the rate averages"""
    _lam: float | None = field(default=None, repr=False)
    _recent: deque = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"lambda schedule kind must be one of {KINDS}, got {self.kind!r}")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"lambda {name} must be in [0, 1], got {value!r}")
        if self.kind == "adaptive" and self.start > self.end:
            raise ValueError("adaptive lambda needs start <= end (they bound lambda)")
        if not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"steps must be an int >= 1, got {self.steps!r}")
        if not isinstance(self.window, int) or self.window < 1:
            raise ValueError(f"window must be an int >= 1, got {self.window!r}")
        if not self.gain > 0:
            raise ValueError(f"gain must be > 0, got {self.gain!r}")

    def value(self, step: int) -> float:
        """λ at trainer step ``step`` (adaptive: the current λ, whatever the step)."""
        if self.kind == "constant":
            return float(self.start)
        if self.kind == "adaptive":
            return float(self.start if self._lam is None else self._lam)
        frac = min(max(step, 0) / self.steps, 1.0)
        if self.kind == "linear":
            return float(self.start + (self.end - self.start) * frac)
        return float(self.end - (self.end - self.start) * (1 + math.cos(math.pi * frac)) / 2)

    def observe(self, rewards: Sequence[float]) -> None:
        """Feed the rewards of this step's guided samples (only ``adaptive`` uses them)."""
        if self.kind != "adaptive" or not rewards:
            return
        for r in rewards:
            self._recent.append(float(r))
        while len(self._recent) > self.window:
            self._recent.popleft()
        rate = sum(self._recent) / len(self._recent)
        lam = self.value(0) + self.gain * (rate - self.target)
        self._lam = min(max(lam, self.start), self.end)

    def state_dict(self) -> dict[str, Any]:
        return {"lam": self._lam, "recent": list(self._recent)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._lam = state.get("lam")
        self._recent = deque(float(r) for r in state.get("recent", []))

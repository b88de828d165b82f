"""The vector env of a training run: AC starts chosen by a schedule, every episode's path kept.

:class:`TrainingACVectorEnv` is :class:`~mathgym.envs.ac.vector_env.ACVectorEnv` (one numba
call steps every env) with three additions a learner needs to *solve while training*:

- **starts from a schedule.** At every reset and autoreset, env ``i`` starts from the training
  presentation :class:`~mathgym.agents.rl.common.schedule.SelectionSchedule` draws (envs in
  ascending order, so the draws are deterministic).
- **paths recorded in numpy.** Before each step the batch of actions is written into a
  ``(num_envs, horizon)`` int8 buffer at each env's step index (one fancy-indexed store, no
  per-env Python); when env ``i`` solves its presentation, row ``i`` up to its episode length
  is the path, handed to ``on_solved(instance_index, path, step)`` with ``step`` the run's
  env-step count after this step (the cost of that find). Only the envs that finished in a
  step are visited in Python.
- **reward clipping and scaling.** The env's reward (``reward="length"``: minus the total
  relator length each step, ``max_reward`` on solving) is clipped to ``reward_clip`` and then
  multiplied by ``reward_scale``, as AC-Solver feeds its learner (its env wrapper clips to
  ``[-10, 1000]``, its training loop divides by ``max_reward``): ``-min(length, 10) /
  max_reward`` a step, ``1000 / max_reward`` on solving.

:meth:`state` / :meth:`set_state` give every array that defines the run's future (states,
lengths, step counters, path buffer, current instances, step count, schedule), so a checkpoint
resumes bit for bit. ``cyclic_reduction=True`` is AC-Solver's env (every relator cyclically
reduced after each move); its paths are rewritten as plain AC paths by
:func:`~mathgym.agents.rl.common.cyclic.expand_cyclic_path` before they are verified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from mathgym.agents.rl.common.schedule import SelectionSchedule
from mathgym.envs.ac.vector_env import ACVectorEnv, kernels_lengths

#: ``on_solved(instance_index, path, step)``: env found ``path`` (int list) at run step ``step``.
SolvedHook = Callable[[int, list[int], int], None]


class TrainingACVectorEnv(ACVectorEnv):
    """``ACVectorEnv`` over training presentations ``starts`` (``(N, 2 * cap)`` int8 states)."""

    def __init__(
        self,
        starts: np.ndarray,
        schedule: SelectionSchedule,
        num_envs: int,
        max_relator_length: int,
        horizon: int,
        reward: str = "length",
        reward_scale: float = 1.0,
        reward_clip: tuple[float, float] | None = None,
        on_solved: SolvedHook | None = None,
        cyclic_reduction: bool = False,
    ) -> None:
        starts = np.asarray(starts, dtype=np.int8)
        if starts.ndim != 2 or starts.shape[1] != 2 * max_relator_length:
            raise ValueError(f"starts must be (N, {2 * max_relator_length}) AC states at cap "
                             f"{max_relator_length}, got shape {starts.shape}")
        if schedule.num_instances != len(starts):
            raise ValueError("the schedule and the starts cover different instance counts")
        self._setup(num_envs, 2, max_relator_length, horizon, cyclic_reduction, reward, False,
                    True, None)
        self.starts = starts
        self.start_lengths = kernels_lengths(starts, 2, self.cap)
        self.schedule = schedule
        self.reward_scale = float(reward_scale)
        self.reward_clip = None if reward_clip is None else (float(reward_clip[0]),
                                                             float(reward_clip[1]))
        self.on_solved = on_solved
        self.total_steps = 0
        self.instance = np.zeros(self.num_envs, dtype=np.int64)
        self._paths = np.zeros((self.num_envs, self.horizon), dtype=np.int8)
        self._rows = np.arange(self.num_envs)
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self._default_states = np.zeros((self.num_envs, 2 * self.cap), dtype=np.int8)
        self._next_states[:] = self._default_states
        self._next_lengths[:] = 0

    def _start(self, envs: Any) -> None:
        """Give each env of ``envs`` (ascending) the schedule's next presentation."""
        for i in envs:
            j = self.schedule.draw()
            self.instance[i] = j
            self._states[i] = self.starts[j]
            self._lengths[i] = self.start_lengths[j]

    def reset(self, *, seed: Any = None, options: dict[str, Any] | None = None):
        if options:
            raise ValueError("TrainingACVectorEnv takes its starts from its schedule: no options")
        obs, info = super().reset(seed=seed if isinstance(seed, int | None) else None)
        self._start(range(self.num_envs))
        return self._obs(), self._reset_info()

    def step(self, actions: Any):
        actions = np.asarray(actions)
        self._t = self._steps.copy()  # this step's index in each env's episode
        # ALGO LOGIC: the path of every env, recorded as one vectorised store (before the step:
        # the autoreset hook inside it reads the paths of the envs that finish)
        if actions.shape == (self.num_envs,) and actions.dtype.kind in "iu":
            self._paths[self._rows, self._t] = actions
        obs, rewards, terminated, truncated, info = super().step(actions)
        self.total_steps += self.num_envs
        if self.reward_clip is not None:  # AC-Solver: its env wrapper clips the raw reward,
            rewards = np.clip(rewards, *self.reward_clip)
        if self.reward_scale != 1.0:  # then its training loop divides by max_reward
            rewards = rewards * self.reward_scale
        return obs, rewards, terminated, truncated, info

    def _after_autoreset(self, idx: np.ndarray, info: dict[str, Any]) -> None:
        # called by ACVectorEnv.step after the kernel step, before the observation is taken
        step = self.total_steps + self.num_envs
        for i in idx.tolist():
            if self._terminated[i]:
                j = int(self.instance[i])
                self.schedule.mark_solved(j)
                if self.on_solved is not None:
                    length = int(self._t[i]) + 1
                    self.on_solved(j, self._paths[i, :length].tolist(), step)
        self._start(idx.tolist())

    def _obs(self) -> np.ndarray:
        return self._states.copy()

    def state(self) -> dict[str, Any]:
        """Every array that defines the run's future (for checkpoints)."""
        return {
            "states": self._states.copy(), "lengths": self._lengths.copy(),
            "steps": self._steps.copy(), "paths": self._paths.copy(),
            "instance": self.instance.copy(), "total_steps": int(self.total_steps),
            "schedule": self.schedule.state(), "started": bool(self._started),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state`."""
        self._states[:] = state["states"]
        self._lengths[:] = state["lengths"]
        self._steps[:] = state["steps"]
        self._paths[:] = state["paths"]
        self.instance[:] = state["instance"]
        self.total_steps = int(state["total_steps"])
        self.schedule.set_state(state["schedule"])
        self._started = bool(state["started"])

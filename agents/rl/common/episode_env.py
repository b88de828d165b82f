"""The vector env of a training run over Python envs (ProgSynth, Metamath): scheduled starts,
recorded episodes, and a state that resumes bit for bit.

:class:`TrainingEpisodeVecEnv` is SB3's ``DummyVecEnv`` over ``n_envs`` copies of one Python
env (built by ``make_env``), with what :class:`~mathgym.agents.rl.common.training_env.
TrainingACVectorEnv` gives the numba AC env:

- **starts from a schedule.** Every reset (the first and each autoreset) starts env ``i`` on
  training instance ``j`` drawn by the shared :class:`~mathgym.agents.rl.common.schedule.
  SelectionSchedule`, reset with ``reset_options(j)`` (the instance's options, e.g. ``{"theorem":
  label}``). ``DummyVecEnv`` steps and autoresets the envs in index order, so the draws are
  deterministic.
- **episodes recorded.** Each env keeps the actions of its current episode; when an episode
  ends with ``info["is_success"]`` the instance is marked solved in the schedule and
  ``on_solved(j, actions, step)`` is called, ``step`` being the run's env-step count after
  this vector step (the cost of that find, as for AC).
- **state by replay.** The envs are deterministic given the instance and the actions, so
  :meth:`state` is just ``(instance, actions)`` per env, the step count and the schedule;
  :meth:`set_state` resets each env on its instance and replays its actions. A checkpoint
  therefore needs no pickled env (a Metamath prover, sympy objects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from mathgym.agents.rl.common.schedule import SelectionSchedule
from mathgym.agents.rl.common.training_env import SolvedHook
from stable_baselines3.common.vec_env import DummyVecEnv


class ScheduledEpisodes(gym.Wrapper):
    """One env of a :class:`TrainingEpisodeVecEnv`: scheduled resets, the episode recorded."""

    def __init__(self, env: gym.Env, owner: TrainingEpisodeVecEnv) -> None:
        super().__init__(env)
        self._owner = owner
        self.instance = -1
        self.actions: list[int] = []

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        return self.start(self._owner.schedule.draw(), seed=seed)

    def start(self, instance: int, seed: int | None = None) -> tuple[Any, dict[str, Any]]:
        """Begin an episode on training instance ``instance``."""
        self.instance = int(instance)
        self.actions = []
        return self.env.reset(seed=seed, options=self._owner.reset_options(self.instance))

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        action = int(action)
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.actions.append(action)
        if terminated and info.get("is_success"):
            self._owner.solved(self.instance, list(self.actions))
        return obs, reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        return np.asarray(self.env.get_wrapper_attr("action_masks")(), dtype=bool)


class TrainingEpisodeVecEnv(DummyVecEnv):
    """``DummyVecEnv`` over ``n_envs`` envs from ``make_env()``, started by ``schedule``."""

    def __init__(self, make_env: Callable[[], gym.Env], n_envs: int,
                 reset_options: Callable[[int], dict[str, Any]], schedule: SelectionSchedule,
                 on_solved: SolvedHook | None = None) -> None:
        self.schedule = schedule
        self.reset_options = reset_options
        self.on_solved = on_solved
        self.total_steps = 0
        super().__init__([lambda: ScheduledEpisodes(make_env(), self) for _ in range(n_envs)])

    def solved(self, instance: int, actions: list[int]) -> None:
        """An env's episode solved ``instance`` with ``actions`` during the current step."""
        self.schedule.mark_solved(instance)
        if self.on_solved is not None:
            self.on_solved(instance, actions, self.total_steps + self.num_envs)

    def step_wait(self):
        out = super().step_wait()
        self.total_steps += self.num_envs
        return out

    def state(self) -> dict[str, Any]:
        """What defines the run's future: each env's instance and actions, steps, schedule."""
        return {"episodes": [(env.instance, list(env.actions)) for env in self.envs],
                "total_steps": int(self.total_steps), "schedule": self.schedule.state()}

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state`: each env replays its episode so far."""
        for env, (instance, actions) in zip(self.envs, state["episodes"], strict=True):
            env.start(instance)
            for action in actions:
                _, _, terminated, truncated, _ = env.env.step(int(action))
                if terminated or truncated:
                    raise ValueError("a checkpointed episode ended during its replay: the env "
                                     "is not deterministic, or the checkpoint is of another run")
            env.actions = [int(a) for a in actions]
        self.total_steps = int(state["total_steps"])
        self.schedule.set_state(state["schedule"])

"""numba-batched vector envs: ``gym.make_vec("mathgym/AC-v0", num_envs=N,
vectorization_mode="vector_entry_point", ...)`` returns :class:`ACVectorEnv`.

One call of the kernel :func:`mathgym.envs.ac.kernels.vector_step` advances all ``N`` envs,
computes rewards and terminations and autoresets finished envs in the same step, so the
Python overhead is paid once per batch. Env ``i`` behaves exactly like the single env
(:mod:`mathgym.envs.ac.env`) with the same arguments (for Miller–Schupp: seeded with
``seed + i``) — the tests check this step by step.

Autoreset is ``SAME_STEP`` (declared in ``metadata["autoreset_mode"]``): when env ``i``
terminates or truncates, the returned observation is already the next episode's start, and
``info["final_obs"][i]`` (object array, mask ``info["_final_obs"]``) holds the last
observation, ``info["final_info"]`` its ``solved`` / ``is_success`` / ``total_length``.
``info["is_success"]`` (bool array) says which envs solved their presentation in this step.
``action_masks()`` returns the ``(N, n_moves)`` bool array of moves that change each state.
For Stable-Baselines3, :class:`mathgym.agents.rl.SB3VecEnv` wraps these envs as an SB3
``VecEnv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from mathgym.envs.ac import kernels
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp
from mathgym.envs.ac.env import (
    DEFAULT_CAP,
    DEFAULT_HORIZON,
    check_config,
    fit_presentation,
    ms_dataset_array,
)
from mathgym.envs.ac.moves import num_moves
from mathgym.envs.ac.presentation import as_presentation


class ACVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`~mathgym.envs.ac.env.ACEnv`, stepped by one numba call.

    Arguments are those of ``ACEnv`` plus ``num_envs``; ``presentations`` (a list of
    ``num_envs`` presentations) gives each env its own start instead of ``presentation``.
    ``reset(options={"presentation": p})`` or ``{"presentations": [...]}`` changes the start of
    the next episode only; autoresets return to the constructor's presentations.
    ``copy=False`` returns the internal observation buffer instead of a copy.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        presentation: Any = None,
        max_relator_length: int = DEFAULT_CAP,
        horizon: int = DEFAULT_HORIZON,
        cyclic_reduction: bool = False,
        reward: str = "sparse",
        inversions: bool = False,
        presentations: Sequence[Any] | None = None,
        copy: bool = True,
        render_mode: str | None = None,
    ) -> None:
        if presentations is not None and presentation is not None:
            raise ValueError("give either presentation (all envs) or presentations (one each)")
        if presentations is None:
            first = as_presentation(akbulut_kirby(2) if presentation is None else presentation)
            starts = [first] * _check_num_envs(num_envs)
        else:
            if isinstance(presentations, str) or len(presentations) != num_envs:
                raise ValueError(f"presentations must be a list of num_envs={num_envs} entries")
            starts = [as_presentation(p) for p in presentations]
        self._setup(num_envs, starts[0].num_relators, max_relator_length, horizon,
                    cyclic_reduction, reward, inversions, copy, render_mode)
        self._default_states = self._stack(starts, "presentations")
        self._next_states[:] = self._default_states
        self._next_lengths[:] = kernels_lengths(self._next_states, self.k, self.cap)

    # -- construction helpers ---------------------------------------------------------------
    def _setup(self, num_envs, k, cap, horizon, cyclic, reward, inversions, copy,
               render_mode) -> None:
        _check_num_envs(num_envs)
        check_config(cap, horizon, reward)
        if render_mode is not None:
            raise ValueError("the vector env does not render; use the single env's 'ansi' mode")
        self.num_envs = int(num_envs)
        self.k, self.cap, self.horizon = k, int(cap), int(horizon)
        self.max_relator_length = self.cap
        self.cyclic_reduction = bool(cyclic)
        self.reward_mode = reward
        self.inversions = bool(inversions)
        self.copy = bool(copy)
        self.render_mode = None
        self.n_moves = num_moves(k, self.inversions)
        self.max_reward = float(self.horizon * self.cap * k)
        self.single_observation_space = spaces.Box(-k, k, shape=(k * self.cap,), dtype=np.int8)
        self.single_action_space = spaces.Discrete(self.n_moves)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        n, width = self.num_envs, k * self.cap
        self._states = np.zeros((n, width), dtype=np.int8)
        self._lengths = np.zeros((n, k), dtype=np.int32)
        self._next_states = np.zeros((n, width), dtype=np.int8)
        self._next_lengths = np.zeros((n, k), dtype=np.int32)
        self._final_states = np.zeros((n, width), dtype=np.int8)
        self._final_lengths = np.zeros((n, k), dtype=np.int32)
        self._steps = np.zeros(n, dtype=np.int64)
        self._rewards = np.zeros(n, dtype=np.float64)
        self._terminated = np.zeros(n, dtype=np.bool_)
        self._truncated = np.zeros(n, dtype=np.bool_)
        self._totals = np.zeros(n, dtype=np.int64)
        self._started = False

    def _stack(self, starts: Sequence[Any], what: str) -> np.ndarray:
        return np.stack([
            fit_presentation(p, self.k, self.cap, f"{what}[{i}]").to_array(self.cap)
            for i, p in enumerate(starts)
        ])

    # -- Gymnasium API ----------------------------------------------------------------------
    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed if isinstance(seed, int | None) else None)
        options = options or {}
        if "presentation" in options and "presentations" in options:
            raise ValueError('give options["presentation"] or options["presentations"], not both')
        if "presentation" in options:
            self._states[:] = self._stack([options["presentation"]], 'options["presentation"]')
        elif "presentations" in options:
            ps = options["presentations"]
            if isinstance(ps, str) or len(ps) != self.num_envs:
                raise ValueError(f'options["presentations"] needs {self.num_envs} entries')
            self._states[:] = self._stack(ps, 'options["presentations"]')
        else:
            self._states[:] = self._default_states
        self._lengths[:] = kernels_lengths(self._states, self.k, self.cap)
        self._steps[:] = 0
        self._started = True
        return self._obs(), self._reset_info()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or actions.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be {self.num_envs} integer move ids, got shape {actions.shape} "
                f"dtype {actions.dtype}"
            )
        done = kernels.vector_step(
            self._states, self._lengths, self._steps, actions, self.n_moves - 1,
            self._next_states, self._next_lengths, self.k, self.cap, self.cyclic_reduction,
            self.horizon, self.reward_mode == "length", self.max_reward, self._rewards,
            self._terminated, self._truncated, self._totals, self._final_states,
            self._final_lengths,
        )
        if done < 0:
            bad = -done - 1
            raise ValueError(
                f"actions[{bad}] = {actions[bad]} is not a move id in 0..{self.n_moves - 1}"
            )
        info: dict[str, Any] = {
            "total_length": self._totals.copy(),
            "is_success": self._terminated.copy(),
        }
        if done:
            finished = self._terminated | self._truncated
            idx = np.flatnonzero(finished)
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in idx:
                final_obs[i] = self._final_states[i].copy()
            info["final_obs"] = final_obs
            info["_final_obs"] = finished
            info["final_info"] = {
                "solved": self._terminated.copy(),
                "is_success": self._terminated.copy(),
                "total_length": self._final_lengths.sum(axis=1),
                "_solved": finished,
                "_is_success": finished,
                "_total_length": finished,
            }
            info["_final_info"] = finished
            self._after_autoreset(idx, info)
        return (self._obs(), self._rewards.copy(), self._terminated.copy(),
                self._truncated.copy(), info)

    def _after_autoreset(self, idx: np.ndarray, info: dict[str, Any]) -> None:
        """Hook for subclasses: envs ``idx`` have just restarted from their next start."""

    def _obs(self) -> np.ndarray:
        return self._states.copy() if self.copy else self._states

    def _reset_info(self) -> dict[str, Any]:
        totals = self._lengths.sum(axis=1).astype(np.int64)
        return {"total_length": totals, "is_success": totals == self.k}

    def action_masks(self) -> np.ndarray:
        """``(num_envs, n_moves)`` bool: the moves that change each env's state."""
        out = np.zeros((self.num_envs, self.n_moves), dtype=np.bool_)
        kernels.action_masks_batch(self._states, self._lengths, self.k, self.cap,
                                   self.cyclic_reduction, self.n_moves, out)
        return out

    @property
    def steps(self) -> np.ndarray:
        """Steps taken in each env's current episode."""
        return self._steps.copy()


class ACMillerSchuppVectorEnv(ACVectorEnv):
    """``num_envs`` copies of :class:`~mathgym.envs.ac.env.ACMillerSchuppEnv`.

    Env ``i`` draws its starts with its own RNG seeded ``seed + i`` (as
    ``SyncVectorEnv`` seeds its sub-envs), so it replays exactly like the single env
    ``ACMillerSchuppEnv`` reset with ``seed + i``. ``reset(options={"index": i})`` starts every
    env at the ``i``-th presentation (``{"indices": [...]}``: one each);
    ``info["index"]`` is each env's current dataset index.
    """

    def __init__(
        self,
        num_envs: int = 1,
        n_max: int = 7,
        max_w_len: int = 7,
        max_relator_length: int = DEFAULT_CAP,
        horizon: int = DEFAULT_HORIZON,
        cyclic_reduction: bool = False,
        reward: str = "sparse",
        inversions: bool = False,
        copy: bool = True,
        render_mode: str | None = None,
    ) -> None:
        self.dataset = miller_schupp(n_max, max_w_len)
        self.dataset_states = ms_dataset_array(self.dataset, max_relator_length)
        self._setup(num_envs, 2, max_relator_length, horizon, cyclic_reduction, reward,
                    inversions, copy, render_mode)
        self.dataset_lengths = kernels_lengths(self.dataset_states, 2, self.cap)
        self._rngs = [seeding.np_random(None)[0] for _ in range(self.num_envs)]
        self._index = np.zeros(self.num_envs, dtype=np.int64)
        self._next_index = np.zeros(self.num_envs, dtype=np.int64)

    def _draw_next(self, envs: Sequence[int]) -> None:
        for i in envs:
            j = int(self._rngs[i].integers(len(self.dataset)))
            self._next_index[i] = j
            self._next_states[i] = self.dataset_states[j]
            self._next_lengths[i] = self.dataset_lengths[j]

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is not None:
            seeds = [seed + i for i in range(self.num_envs)] if isinstance(seed, int) else seed
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed list needs {self.num_envs} entries, got {len(seeds)}")
            self._rngs = [seeding.np_random(int(s))[0] for s in seeds]
        options = dict(options or {})
        n = len(self.dataset)
        if "index" in options or "indices" in options:
            chosen = options.pop("indices", None)
            if chosen is None:
                chosen = [options.pop("index")] * self.num_envs
            if isinstance(chosen, str) or len(chosen) != self.num_envs:
                raise ValueError(f'options["indices"] needs {self.num_envs} entries')
            for i, j in enumerate(chosen):
                if isinstance(j, bool) or not isinstance(j, int | np.integer) or not 0 <= j < n:
                    raise ValueError(f"dataset index {j!r} for env {i} is not in 0..{n - 1}")
            self._index[:] = chosen
        elif "presentation" in options or "presentations" in options:
            self._index[:] = -1
        else:
            self._index[:] = [int(rng.integers(n)) for rng in self._rngs]
        if options.get("presentation") is None and options.get("presentations") is None:
            self._default_states = self.dataset_states[np.maximum(self._index, 0)]
        obs, info = super().reset(seed=None, options=options)
        self._draw_next(range(self.num_envs))
        info["index"] = self._index.copy()
        return obs, info

    def _after_autoreset(self, idx: np.ndarray, info: dict[str, Any]) -> None:
        self._index[idx] = self._next_index[idx]
        self._draw_next(idx)

    def step(self, actions: Any):
        obs, rewards, terminated, truncated, info = super().step(actions)
        info["index"] = self._index.copy()
        return obs, rewards, terminated, truncated, info


def kernels_lengths(states: np.ndarray, k: int, cap: int) -> np.ndarray:
    """``(N, k)`` int32 relator lengths of ``(N, k*cap)`` AC-Solver states."""
    return np.count_nonzero(states.reshape(states.shape[0], k, cap), axis=2).astype(np.int32)


def _check_num_envs(num_envs: Any) -> int:
    if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer) or num_envs < 1:
        raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
    return int(num_envs)

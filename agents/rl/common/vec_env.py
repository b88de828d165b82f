"""``SB3VecEnv``: Stable-Baselines3's ``VecEnv`` over mathgym's numba vector envs.

SB3 steps a ``DummyVecEnv`` one env at a time in Python: for the AC envs that is 100-1000x
slower than the env itself. :class:`SB3VecEnv` hands the whole batch of actions to one
:class:`~mathgym.envs.ac.vector_env.ACVectorEnv` step (one numba call for all envs, same-step
autoreset, as SB3 expects) and converts the result with numpy over the batch. The only
per-env Python left is the list of info dicts that SB3's ``VecEnv`` API itself requires, and a
loop over the envs that finished in this step to attach their ``terminal_observation``.

Each env behaves as SB3's ``DummyVecEnv`` over single envs with the same seeds does:
observations, rewards (float32), dones, and the infos ``is_success``, ``TimeLimit.truncated``,
``total_length`` and (done envs) ``terminal_observation`` agree step for step, resets included
(tests/rl/test_sb3_vec_env.py checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnv,
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

#: Per-env option keys of a single env reset and the vector env's batched key for them.
_BATCHED_OPTIONS = {"index": "indices", "presentation": "presentations"}


class SB3VecEnv(VecEnv):
    """SB3 ``VecEnv`` over a numba vector env (``mathgym/AC-v0``, ``mathgym/AC-MillerSchupp-v0``).

    ``SB3VecEnv("mathgym/AC-MillerSchupp-v0", n_envs=1024, seed=0, n_max=3)`` builds the vector
    env with ``gym.make_vec(..., vectorization_mode="vector_entry_point")`` and the keyword
    arguments of the single env; ``SB3VecEnv(vector_env)`` wraps one already built. Wrap it in
    ``VecMonitor`` for SB3's episode statistics (``ep_rew_mean``, ``ep_len_mean``).

    ``seed`` (or ``seed()``) seeds env ``i`` with ``seed + i`` at the next ``reset()``, as
    ``DummyVecEnv`` seeds its envs. ``set_options`` is applied at the next reset; options that
    differ per env are passed batched (``{"index": j}`` per env becomes ``{"indices": [...]}``).
    ``render_mode="rgb_array"`` makes ``get_images()`` (and SB3's video recorder) draw each env's
    state (:mod:`mathgym.envs.ac.render`).

    The envs share one vector env, so ``get_attr`` returns the vector env's attribute once per
    index, ``set_attr`` sets it for all envs (``indices`` must be ``None`` or all envs), and
    ``env_method`` calls the vector env's method once and returns its result per index;
    ``env_method("action_masks")`` (sb3-contrib's ``MaskablePPO``) returns the
    ``(len(indices), n_actions)`` mask array, whose rows are the envs' masks. ``reset_infos``
    (``total_length``, ``is_success``) is set by ``reset()``; unlike ``DummyVecEnv``, an
    autoreset does not update it.
    """

    def __init__(
        self,
        env: str | VectorEnv,
        n_envs: int | None = None,
        seed: int | None = None,
        render_mode: str | None = None,
        **env_kwargs: Any,
    ) -> None:
        if isinstance(env, str):
            if n_envs is None:
                raise ValueError(f"SB3VecEnv({env!r}) needs n_envs, the number of envs")
            import mathgym  # noqa: F401  (registers the ids)

            env = gym.make_vec(env, num_envs=n_envs, vectorization_mode="vector_entry_point",
                               **env_kwargs)
        elif env_kwargs or (n_envs is not None and n_envs != getattr(env, "num_envs", None)):
            raise ValueError(
                "SB3VecEnv(vector_env) takes the env as built: pass env keyword arguments and "
                "n_envs only with an env id"
            )
        self.venv = _check_vector_env(env)
        # SB3 keeps the last observation while it steps again: a vector env built with
        # copy=False returns one buffer every step, which would overwrite it
        self._copy_obs = not getattr(self.venv.unwrapped, "copy", True)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"SB3VecEnv: render_mode must be None or 'rgb_array', got "
                             f"{render_mode!r}")
        self._render_mode = render_mode
        self._actions = np.zeros(self.venv.num_envs, dtype=np.int64)
        self._obs: np.ndarray | None = None
        super().__init__(self.venv.num_envs, self.venv.single_observation_space,
                         self.venv.single_action_space)
        if seed is not None:
            self.seed(seed)

    # ------------------------------------------------------------------ stepping
    def reset(self) -> VecEnvObs:
        seeds = None if all(s is None for s in self._seeds) else list(self._seeds)
        if seeds is not None and any(s is None for s in seeds):
            raise ValueError("SB3VecEnv: seed all envs or none (the vector env seeds as a batch)")
        options = _batched_options(self._options)
        obs, info = self.venv.reset(seed=seeds, options=options)
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = _per_env_infos(self.num_envs, info)
        self._obs = obs.copy() if self._copy_obs else obs
        return self._obs

    def step_async(self, actions: np.ndarray) -> None:
        actions = np.asarray(actions)
        if actions.size != self.num_envs:
            raise ValueError(f"SB3VecEnv: expected {self.num_envs} actions, got shape "
                             f"{actions.shape}")
        self._actions = actions.reshape(self.num_envs)

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        dones = terminated | truncated
        time_limit = truncated & ~terminated
        totals = info["total_length"]
        finished = np.flatnonzero(dones)
        if finished.size:
            # the vector env reports the restarted state's length; SB3 wants the final one's
            totals = np.where(dones, info["final_info"]["total_length"], totals)
        infos = [
            {"is_success": s, "TimeLimit.truncated": t, "total_length": n}
            for s, t, n in zip(info["is_success"].tolist(), time_limit.tolist(),
                               totals.tolist(), strict=True)
        ]
        final_obs = info.get("final_obs")
        for i in finished.tolist():
            infos[i]["terminal_observation"] = final_obs[i]
        self._obs = obs.copy() if self._copy_obs else obs
        return self._obs, rewards.astype(np.float32), dones, infos

    def action_masks(self) -> np.ndarray:
        """``(n_envs, n_actions)`` bool: the valid actions of every env."""
        return np.asarray(self.venv.action_masks(), dtype=bool)

    def close(self) -> None:
        self.venv.close()

    # ------------------------------------------------------------------ rendering
    @property
    def render_mode(self) -> str | None:  # type: ignore[override]
        return self._render_mode

    @render_mode.setter
    def render_mode(self, value: str | None) -> None:
        # VecEnv.__init__ assigns what get_attr("render_mode") returned, i.e. ours
        self._render_mode = value

    def get_images(self) -> Sequence[np.ndarray | None]:
        if self._render_mode != "rgb_array" or self._obs is None:
            return [None] * self.num_envs
        from mathgym.envs.ac.render import render_rgb

        venv = self.venv.unwrapped
        return [render_rgb(state, venv.k, venv.cap) for state in self._obs]

    # ------------------------------------------------------------------ attributes
    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        if attr_name == "render_mode":
            value = self._render_mode
        else:
            value = getattr(self.venv.unwrapped, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        if sorted(self._get_indices(indices)) != list(range(self.num_envs)):
            raise ValueError(
                f"SB3VecEnv: its envs share one vector env, so set_attr({attr_name!r}) sets it "
                "for all of them: pass indices=None"
            )
        setattr(self.venv.unwrapped, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any] | np.ndarray:
        index = list(self._get_indices(indices))
        if method_name == "action_masks":
            return self.action_masks()[index]
        result = getattr(self.venv.unwrapped, method_name)(*method_args, **method_kwargs)
        return [result for _ in index]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        """Always False: the batched envs are not Gymnasium-wrapped (use ``VecMonitor``)."""
        return [False for _ in self._get_indices(indices)]


def _check_vector_env(env: Any) -> VectorEnv:
    if not isinstance(env, VectorEnv):
        raise TypeError(
            f"SB3VecEnv wraps a Gymnasium VectorEnv with same-step autoreset (mathgym's AC vector "
            f"envs), got {type(env).__name__}; for a single env use SB3's make_vec_env"
        )
    mode = env.metadata.get("autoreset_mode")
    if mode != AutoresetMode.SAME_STEP:
        raise ValueError(
            f"SB3VecEnv needs same-step autoreset (SB3's convention); {env} has {mode}. Build it "
            "with vectorization_mode='vector_entry_point' or pass a SAME_STEP vector env"
        )
    return env


def _batched_options(options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One vector-env ``options`` dict from SB3's per-env list (None when all are empty)."""
    if not any(options):
        return None
    if all(o == options[0] for o in options):
        return dict(options[0])
    keys = {key for o in options for key in o}
    if all(set(o) == keys for o in options) and len(keys) == 1 and keys <= set(_BATCHED_OPTIONS):
        (key,) = keys
        return {_BATCHED_OPTIONS[key]: [o[key] for o in options]}
    raise ValueError(
        "SB3VecEnv: per-env reset options must be equal for all envs or give every env one "
        f"of the keys {sorted(_BATCHED_OPTIONS)}; got {options}"
    )


def _per_env_infos(n: int, info: dict[str, Any]) -> list[dict[str, Any]]:
    """Split a vector env's reset info (arrays of length ``n``) into ``n`` dicts."""
    columns = {key: value.tolist() for key, value in info.items()
               if isinstance(value, np.ndarray) and value.shape[:1] == (n,)}
    return [{key: column[i] for key, column in columns.items()} for i in range(n)]

"""Gymnasium environments ``mathgym/AC-v0`` and ``mathgym/AC-MillerSchupp-v0``.

Both step with the numba kernel :func:`mathgym.envs.ac.kernels.apply_move`, whose semantics
are AC-Solver's (see :mod:`mathgym.envs.ac.reference`).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from mathgym.envs.ac import kernels
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp
from mathgym.envs.ac.moves import num_moves
from mathgym.envs.ac.presentation import Presentation, as_presentation
from mathgym.envs.ac.render import render_rgb
from mathgym.envs.ac.text import render_state
from mathgym.envs.wrappers.compat import check_render_mode

REWARD_MODES = ("sparse", "length")
DEFAULT_HORIZON = 2000  # AC-Solver's PPO default (--horizon-length)
DEFAULT_CAP = 36  # AC-Solver's PPO setting for the Miller–Schupp benchmark


def check_config(max_relator_length: Any, horizon: Any, reward: Any) -> None:
    """Shared argument checks of the single and vector envs (clear ``ValueError``s)."""
    for name, value in (("max_relator_length", max_relator_length), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if max_relator_length > 127:
        raise ValueError(f"max_relator_length={max_relator_length} > 127 does not fit int8 arrays")
    if reward not in REWARD_MODES:
        raise ValueError(f"reward must be one of {REWARD_MODES}, got {reward!r}")


def fit_presentation(obj: Any, num_relators: int, cap: int, what: str) -> Presentation:
    """Read ``obj`` as a presentation with ``num_relators`` relators that fits the cap."""
    p = as_presentation(obj, num_relators)
    if p.num_relators != num_relators:
        raise ValueError(
            f"{what} has {p.num_relators} relators but this env was built for {num_relators}"
        )
    if p.max_length > cap:
        raise ValueError(
            f"{what} has a relator of length {p.max_length} > max_relator_length={cap}; "
            f"build the env with max_relator_length >= {p.max_length}"
        )
    return p


class ACEnv(gym.Env):
    """Andrews–Curtis moves on one balanced presentation (AC-Solver semantics).

    ## Description
    Trivialise a balanced presentation ``<x, y | r0, r1>`` (or ``k`` generators and relators)
    with AC' moves: ``r_i <- r_i r_j^±1`` and ``r_i <- g r_i g^-1``. Words are freely reduced;
    a move whose reduced result is longer than ``max_relator_length`` is a no-op (the step
    still counts). Semantics and move ids are AC-Solver's (Shehper et al., arXiv 2408.15332).

    ## Action Space
    ``Discrete(4k^2 - 2k)`` (12 for k = 2, ids as in AC-Solver; see
    :mod:`mathgym.envs.ac.moves`), ``+ k`` inversion moves with ``inversions=True``.

    ## Observation Space
    ``Box(-k, k, (k * max_relator_length,), int8)``: AC-Solver's flat layout, relator ``i``
    left-aligned in block ``i``, zero-padded.

    ## Rewards
    ``"sparse"`` (default): 1 on solving, else 0. ``"length"`` (AC-Solver's):
    ``horizon * max_relator_length * k`` on solving, else minus the total relator length.

    ## Starting State
    ``presentation`` (default AK(2)); ``reset(options={"presentation": p})`` uses ``p`` for that
    episode only.

    ## Episode End
    Terminated when every relator has length 1 (solved); truncated after ``horizon`` steps.

    ## Info
    ``solved`` and ``is_success`` (bool, the same: SB3 logs ``is_success`` as its success rate),
    ``total_length`` (int), ``action_mask`` (bool array: moves that change the state),
    ``steps`` (int).

    ## Rendering
    ``"ansi"``: the relators as text. ``"rgb_array"``: a uint8 ``(k * 12, cap * 12, 3)`` picture,
    one row of cells per relator and one coloured cell per letter, a colour per generator and a
    light shade of it for its inverse (:mod:`mathgym.envs.ac.render`).

    ## Arguments
    ``presentation`` (text, Presentation, relator lists or AC-Solver array),
    ``max_relator_length=36``, ``horizon=2000``, ``cyclic_reduction=False`` (AC-Solver's search
    setting; ``True`` cyclically reduces after every move as AC-Solver's ``ACEnv`` does),
    ``reward="sparse"``, ``inversions=False``, ``render_mode=None | "ansi" | "rgb_array"``.

    ## Version History
    * v0: initial version; ``is_success`` and ``"rgb_array"`` added for Stable-Baselines3.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        presentation: Any = None,
        max_relator_length: int = DEFAULT_CAP,
        horizon: int = DEFAULT_HORIZON,
        cyclic_reduction: bool = False,
        reward: str = "sparse",
        inversions: bool = False,
        render_mode: str | None = None,
    ) -> None:
        check_config(max_relator_length, horizon, reward)
        check_render_mode(type(self).__name__, render_mode, self.metadata["render_modes"])
        if presentation is None:
            presentation = akbulut_kirby(2)
        start = as_presentation(presentation)
        self._setup(start.num_relators, int(max_relator_length), int(horizon),
                    bool(cyclic_reduction), reward, bool(inversions))
        self.presentation = fit_presentation(start, self.k, self.cap, "presentation")
        self.render_mode = render_mode
        self._load(self.presentation)

    def _setup(self, k: int, cap: int, horizon: int, cyclic: bool, reward: str,
               inversions: bool) -> None:
        self.k, self.cap, self.horizon = k, cap, horizon
        self.max_relator_length = cap
        self.cyclic_reduction = cyclic
        self.reward_mode = reward
        self.inversions = inversions
        self.n_moves = num_moves(k, inversions)
        self.max_reward = float(horizon * cap * k)
        self.observation_space = spaces.Box(-k, k, shape=(k * cap,), dtype=np.int8)
        self.action_space = spaces.Discrete(self.n_moves)
        self._state = np.zeros(k * cap, dtype=np.int8)
        self._lengths = np.zeros(k, dtype=np.int32)
        self._scratch = np.zeros(k * cap, dtype=np.int8)
        self._scratch_lengths = np.zeros(k, dtype=np.int32)
        self._mask = np.zeros(self.n_moves, dtype=np.bool_)
        self._steps = 0
        self._extra: dict[str, Any] = {}

    def _load(self, p: Presentation) -> None:
        self._state[:] = p.to_array(self.cap)
        self._lengths[:] = p.lengths
        self._steps = 0
        kernels.action_mask(self._state, self._lengths, self.k, self.cap, self.cyclic_reduction,
                            self.n_moves, self._mask, self._scratch, self._scratch_lengths)

    def _info(self, total: int | None = None) -> dict[str, Any]:
        if total is None:
            total = int(self._lengths.sum())
        solved = total == self.k  # every relator non-empty: solved iff all have length 1
        return {
            "solved": solved,
            "is_success": solved,
            "total_length": total,
            "action_mask": self._mask.copy(),
            "steps": self._steps,
        }

    def _start_for_episode(self, options: dict[str, Any]) -> tuple[Presentation, dict]:
        if "presentation" in options:
            return fit_presentation(options["presentation"], self.k, self.cap,
                                    'options["presentation"]'), {}
        return self.presentation, {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        start, self._extra = self._start_for_episode(options or {})
        self._load(start)
        return self._state.copy(), {**self._info(), **self._extra}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        try:
            move = int(action)
        except (TypeError, ValueError):
            raise ValueError(f"action must be a move id, got {action!r}") from None
        if not 0 <= move < self.n_moves or isinstance(action, bool):
            raise ValueError(f"action {action!r} is not a move id in 0..{self.n_moves - 1}")
        total = kernels.step_and_mask(self._state, self._lengths, move, self.k, self.cap,
                                      self.cyclic_reduction, self.n_moves, self._mask,
                                      self._scratch, self._scratch_lengths)
        self._steps += 1
        info = self._info(int(total))
        if self._extra:
            info.update(self._extra)
        solved = info["solved"]
        if self.reward_mode == "sparse":
            reward = 1.0 if solved else 0.0
        else:
            reward = self.max_reward if solved else -float(info["total_length"])
        return self._state.copy(), reward, solved, self._steps >= self.horizon, info

    def action_masks(self) -> np.ndarray:
        """Moves that change the current state (sb3-contrib ``MaskablePPO`` convention)."""
        return self._mask.copy()

    @property
    def state_presentation(self) -> Presentation:
        """The current state as a :class:`Presentation`."""
        return Presentation.from_array(self._state, self.k)

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            return render_state(self.state_presentation)
        if self.render_mode == "rgb_array":
            return render_rgb(self._state, self.k, self.cap)
        return None


class ACMillerSchuppEnv(ACEnv):
    """Andrews–Curtis moves on the Miller–Schupp benchmark (1190 presentations).

    ## Description
    As :class:`ACEnv`, but each episode starts from a Miller–Schupp presentation ``MS(n, w)``
    (:func:`mathgym.envs.ac.datasets.miller_schupp`, AC-Solver's 1190 in AC-Solver's order),
    drawn uniformly with the env's seeded RNG. One cap serves every episode, so the
    observation space is fixed.

    ## Action Space
    ``Discrete(12)`` (``+ 2`` with ``inversions=True``), AC-Solver's ids.

    ## Observation Space
    ``Box(-2, 2, (2 * max_relator_length,), int8)`` in AC-Solver's layout.

    ## Rewards
    As :class:`ACEnv` (``"sparse"`` or AC-Solver's ``"length"``).

    ## Starting State
    A uniformly drawn MS presentation; ``reset(options={"index": i})`` picks the ``i``-th,
    ``options={"presentation": p}`` any presentation (``info["index"] = -1``).

    ## Episode End
    Terminated when solved; truncated after ``horizon`` steps.

    ## Info
    As :class:`ACEnv`, plus ``index`` and ``n`` of the starting presentation.

    ## Arguments
    ``n_max=7``, ``max_w_len=7`` (dataset), ``max_relator_length=36`` (AC-Solver's PPO
    setting; every presentation must fit), ``horizon=2000``, ``cyclic_reduction=False``,
    ``reward="sparse"``, ``inversions=False``, ``render_mode=None | "ansi" | "rgb_array"``.

    ## Version History
    * v0: initial version; ``is_success`` and ``"rgb_array"`` added for Stable-Baselines3.
    """

    def __init__(
        self,
        n_max: int = 7,
        max_w_len: int = 7,
        max_relator_length: int = DEFAULT_CAP,
        horizon: int = DEFAULT_HORIZON,
        cyclic_reduction: bool = False,
        reward: str = "sparse",
        inversions: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.dataset = miller_schupp(n_max, max_w_len)
        self.dataset_states = ms_dataset_array(self.dataset, max_relator_length)
        super().__init__(self.dataset[0].presentation, max_relator_length, horizon,
                         cyclic_reduction, reward, inversions, render_mode)
        self._index = 0

    def _start_for_episode(self, options: dict[str, Any]) -> tuple[Presentation, dict]:
        if "presentation" in options:
            start, _ = super()._start_for_episode(options)
            return start, {"index": -1, "n": -1}
        if "index" in options:
            index = options["index"]
            if isinstance(index, bool) or not isinstance(index, int | np.integer) or not (
                0 <= index < len(self.dataset)
            ):
                raise ValueError(
                    f'options["index"] must be an int in 0..{len(self.dataset) - 1}, got {index!r}'
                )
            index = int(index)
        else:
            index = int(self.np_random.integers(len(self.dataset)))
        self._index = index
        ms = self.dataset[index]
        return ms.presentation, {"index": index, "n": ms.n}


def ms_dataset_array(dataset: list, cap: int) -> np.ndarray:
    """The dataset's presentations as AC-Solver arrays (rows), all at one cap."""
    check_config(cap, 1, "sparse")
    too_long = [i for i, ms in enumerate(dataset) if ms.presentation.max_length > cap]
    if too_long:
        need = max(dataset[i].presentation.max_length for i in too_long)
        raise ValueError(
            f"{len(too_long)} Miller–Schupp presentations (first: index {too_long[0]}) do not fit "
            f"max_relator_length={cap}; use max_relator_length >= {need} or a smaller n_max"
        )
    return np.stack([ms.presentation.to_array(cap) for ms in dataset])

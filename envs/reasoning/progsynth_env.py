"""``mathgym/MathProgSynth-v0``: answer a math question by building a typed compute graph."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from mathgym.envs.reasoning.progsynth_graph import MAX_ELEMENTS, GraphBuilder
from mathgym.envs.reasoning.progsynth_ops import OPERATORS
from mathgym.envs.reasoning.registry import DIFFICULTIES, episode_problem, module_infos
from mathgym.envs.wrappers.compat import check_render_mode

from mathgym.types import Problem

#: Modules whose problems carry formal elements and a program-typed answer.
PROGSYNTH_MODULES: tuple[str, ...] = (
    "algebra__linear_1d",
    "algebra__linear_2d",
    "algebra__polynomial_roots",
    "algebra__sequence_next_term",
    "algebra__sequence_nth_term",
    "arithmetic__add_or_sub",
    "arithmetic__div",
    "arithmetic__mul",
    "arithmetic__nearest_integer_root",
    "calculus__differentiate",
    "comparison__kth_biggest",
    "comparison__sort",
    "numbers__div_remainder",
    "numbers__gcd",
    "numbers__is_factor",
    "numbers__is_prime",
    "numbers__lcm",
    "numbers__list_prime_factors",
    "numbers__place_value",
    "polynomials__compose",
    "polynomials__evaluate",
    "polynomials__expand",
)

# ------------------------------------------------------------------ vocabulary (our own)
PAD, SEP, HOLE, UNK = 0, 1, 2, 3
_CHARS = "".join(chr(c) for c in range(32, 127)) + "\n"
_CHAR_BASE = 4
_OP_BASE = _CHAR_BASE + len(_CHARS)
_ELEM_BASE = _OP_BASE + len(OPERATORS)
#: Token names, indexed by id: special tokens, characters, operators, element references.
VOCAB: tuple[str, ...] = (
    ("<pad>", "<sep>", "<hole>", "<unk>")
    + tuple(_CHARS)
    + tuple(f"<op:{op.name}>" for op in OPERATORS)
    + tuple(f"<elem:{j}>" for j in range(MAX_ELEMENTS))
)
_CHAR_ID = {c: _CHAR_BASE + i for i, c in enumerate(_CHARS)}
assert set(_CHARS) >= set(string.printable) - set("\t\r\x0b\x0c")


def encode_question(text: str, length: int) -> list[int]:
    """Character token ids of ``text``, truncated to ``length``."""
    return [_CHAR_ID.get(c, UNK) for c in text[:length]]


class MathProgSynthEnv(gym.Env):
    """Build a compute graph of typed sympy operators whose value answers a math question.

    ## Description
    A problem from ``mathgym.envs.reasoning`` (one of ``PROGSYNTH_MODULES``) is posed. Its
    formal elements (numbers, variables, expressions, equations, number lists; listed in
    ``info["elements"]``) and the typed operators of ``progsynth_ops.OPERATORS`` (solve, roots,
    solve_system, differentiate, expand, factor, substitute, evaluate, add, sub, mul, div, gcd,
    lcm, mod, is_prime, divides, prime_factors, nearest_root, digit, next_term, nth_term,
    sort_ascending, sort_descending, kth_largest, kth_smallest) are the actions. Each action adds
    one node in prefix order (an operator opens slots for its arguments; the first open slot is
    filled next). When no slot is open the graph is evaluated by calling the operators on sympy
    values, and its value, printed in the verifier's grammar, is scored by
    ``mathgym.verifiers.math.score``. This is math_prog_synth_env (arXiv 2107.07373) on the
    Gymnasium API, with a correct observation space, seeded sampling and no ``eval``.

    ## Action Space
    ``Discrete(len(OPERATORS) + MAX_ELEMENTS)``: ``i < len(OPERATORS)`` adds operator ``i``;
    ``len(OPERATORS) + j`` adds element ``j``. ``action_masks()`` (also ``info["action_mask"]``)
    marks the actions whose type fits the next open slot and that still allow a complete graph
    within ``max_nodes``. A masked-out action ends the episode with reward 0
    (``info["invalid_action"] = True``).

    ## Observation Space
    ``Box(0, len(VOCAB) - 1, (question_tokens + 1 + max_nodes,), int64)``: the question as
    character tokens (truncated to ``question_tokens``), ``<sep>``, then the graph's node tokens
    in prefix order; ``<pad>`` elsewhere. ``info["text"]`` has the raw question and
    ``info["graph"]`` the program text, e.g. ``solve(3*x + 5 = 2, x)``.

    ## Rewards
    1 when the completed graph's value scores 1 with the verifier; 0 otherwise (incomplete,
    wrong, an operator refused its inputs, or an invalid action).

    ## Starting State
    ``reset(options={"module", "difficulty", "seed", "index"})`` chooses the problem; keys not
    given are drawn from ``np_random`` (module uniformly from ``modules``, index in
    ``[0, 2**31)``); difficulty and seed default to the constructor's. The graph is empty.

    ## Episode End
    Terminated when the graph is complete (at most ``max_nodes`` nodes, guaranteed by the mask)
    or after an invalid action. Never truncated.

    ## Info
    ``is_success`` (bool, every step: the episode ended with reward 1; SB3 logs it as its success
    rate), ``action_mask``, ``text``, ``graph``, ``elements``, ``module``, ``difficulty``,
    ``seed``, ``index``, ``answer_type``, ``num_nodes``; at the end ``solved`` and
    ``program_answer`` (or ``invalid_action``).

    ## Arguments
    ``modules`` (default ``PROGSYNTH_MODULES``), ``difficulty`` (1-5, default 1),
    ``problem_seed`` (default 0), ``problem_index`` (default ``None``: drawn per reset; an int
    fixes the problem, as benchmarks do), ``max_nodes`` (default 10), ``question_tokens``
    (default 320), ``render_mode`` (``None`` or ``"ansi"``).

    ## Version History
    * v0: initial version; ``info["is_success"]`` added for Stable-Baselines3.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        modules: Sequence[str] | None = None,
        difficulty: int = 1,
        problem_seed: int = 0,
        problem_index: int | None = None,
        max_nodes: int = 10,
        question_tokens: int = 320,
        render_mode: str | None = None,
    ) -> None:
        self.modules = tuple(modules) if modules is not None else PROGSYNTH_MODULES
        bad = [m for m in self.modules if m not in PROGSYNTH_MODULES]
        if bad or not self.modules:
            known = module_infos()
            what = "not program-synthesis modules" if all(m in known for m in bad) else "unknown"
            raise ValueError(
                f"MathProgSynthEnv: modules {bad or '[]'} are {what}; choose from "
                "mathgym.envs.reasoning.progsynth_env.PROGSYNTH_MODULES"
            )
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"difficulty must be in {DIFFICULTIES}, got {difficulty}")
        if not isinstance(max_nodes, int) or not 1 <= max_nodes <= 64:
            raise ValueError(f"max_nodes must be an int in 1..64, got {max_nodes!r}")
        check_render_mode("MathProgSynthEnv", render_mode, self.metadata["render_modes"])
        self.difficulty = difficulty
        self.problem_seed = int(problem_seed)
        self.problem_index = None if problem_index is None else int(problem_index)
        self.max_nodes = max_nodes
        self.question_tokens = int(question_tokens)
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(len(OPERATORS) + MAX_ELEMENTS)
        self.observation_space = spaces.Box(
            0, len(VOCAB) - 1, (self.question_tokens + 1 + max_nodes,), dtype=np.int64
        )
        self.problem: Problem | None = None
        self.builder: GraphBuilder | None = None
        self._done = False

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.problem = episode_problem(
            "MathProgSynthEnv", options, self.np_random, self.modules,
            (self.difficulty, self.problem_seed, self.problem_index), allowed=PROGSYNTH_MODULES,
        )
        self.builder = GraphBuilder(self.problem, self.max_nodes)
        self._done = False
        return self._obs(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.builder is None or self._done:
            raise RuntimeError("step called before reset() or after the episode ended")
        action = int(action)
        if not self.action_space.contains(np.int64(action)) or not self.action_masks()[action]:
            self._done = True
            info = self._info()
            info["invalid_action"] = True
            info["is_success"] = False
            return self._obs(), 0.0, True, False, info
        self.builder.apply(action)
        reward = 0.0
        info_extra: dict[str, Any] = {}
        if self.builder.complete:
            self._done = True
            text = self.builder.answer()
            info_extra["program_answer"] = text
            if text is not None:
                from mathgym.verifiers.math import score

                reward = float(score(text, self.problem))
            info_extra["solved"] = reward >= 1.0
        info = self._info()
        info.update(info_extra)
        info["is_success"] = reward >= 1.0
        return self._obs(), reward, self._done, False, info

    def action_masks(self) -> np.ndarray:
        """Valid actions now (sb3-contrib's MaskablePPO reads this)."""
        assert self.builder is not None, "call reset() first"
        if self._done:
            return np.zeros(self.action_space.n, dtype=bool)
        return self.builder.action_mask()

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self.builder is not None:
            return f"{self.problem.question}\n  {self.builder.text()}\n"
        return None

    # ------------------------------------------------------------------ helpers
    def _obs(self) -> np.ndarray:
        assert self.builder is not None and self.problem is not None
        obs = np.zeros(self.observation_space.shape, dtype=np.int64)
        q = encode_question(self.problem.question, self.question_tokens)
        obs[: len(q)] = q
        pos = self.question_tokens
        obs[pos] = SEP
        for k, a in enumerate(self.builder.actions):
            obs[pos + 1 + k] = _OP_BASE + a if a < len(OPERATORS) else _ELEM_BASE + (
                a - len(OPERATORS)
            )
        return obs

    def _info(self) -> dict[str, Any]:
        assert self.builder is not None and self.problem is not None
        p = self.problem
        return {
            "text": p.question,
            "graph": self.builder.text(),
            "elements": [f"{e.type}: {e.text}" for e in self.builder.elements],
            "action_mask": self.action_masks(),
            "module": p.module,
            "difficulty": p.difficulty,
            "seed": p.seed,
            "index": p.index,
            "answer_type": p.answer_type,
            "num_nodes": len(self.builder.actions),
            "is_success": False,
        }

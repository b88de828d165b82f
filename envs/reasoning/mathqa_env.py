"""``mathgym/MathQA-v0``: answer a generated math question in text; reward from the verifier."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
from mathgym.envs.reasoning.registry import DIFFICULTIES, episode_problem, module_infos
from mathgym.envs.wrappers.compat import ShortText, TextSpace, check_render_mode

from mathgym.types import Problem

#: Characters that may appear in observations and actions: printable ASCII and newline.
CHARSET: str = "".join(sorted(set(string.printable) - set("\t\r\x0b\x0c")))
#: Longest observation (question plus feedback lines), in characters.
MAX_OBSERVATION_CHARS: int = 4096
#: Longest action (answer text) the action space samples; longer answers are still scored.
MAX_ACTION_CHARS: int = 2000

_TYPE_NOUN = {
    "integer": "an integer",
    "rational": "an exact rational number such as 3/4",
    "decimal": "a decimal number",
    "expression": "an expression",
    "equation": "the solutions of an equation",
    "solution": "an assignment such as x = 3, y = -1",
    "list": "an ordered list such as [1, 2, 3]",
    "unordered_list": "a list such as [1, 2, 3] (any order)",
    "set": "a set such as {1, 2}",
    "tuple": "a tuple such as (1, 2)",
    "interval": "an interval such as (1, 2] or [0, oo)",
    "boolean": "True or False",
    "base_n": "a numeral in base {base}",
}


def expected_form(problem: Problem) -> str:
    """A short phrase naming the answer's declared type, e.g. ``"an integer"``."""
    # plain replace, not str.format: the phrases hold literal braces ("a set such as {1, 2}")
    return _TYPE_NOUN[problem.answer_type].replace("{base}", str(problem.spec.get("base", "")))


def judge(answer_text: str, problem: Problem) -> tuple[float, str]:
    """``(score, feedback)`` of one answer with a single verifier call.

    The feedback is the verifier's typed critique (``check_problem(...).reason``, e.g. "expected an
    integer") when it says more than "incorrect", else "incorrect; expected <declared form>".
    It never reveals the reference answer.
    """
    from mathgym.verifiers import math as verifier

    check = getattr(verifier, "check_problem", None)
    if callable(check):
        verdict = check(answer_text, problem)
        value, reason = float(verdict.score), str(getattr(verdict, "reason", "") or "")
    else:  # the documented minimum API
        value, reason = float(verifier.score(answer_text, problem)), ""
    if value >= 1.0:
        return value, "correct"
    if reason and reason not in ("correct", "incorrect"):
        return value, reason
    return value, f"incorrect; expected {expected_form(problem)}"


def critique(answer_text: str, problem: Problem) -> str:
    """Short typed feedback on an answer (see :func:`judge`)."""
    return judge(answer_text, problem)[1]


class MathQAEnv(gym.Env):
    """A generated math question answered in free text, scored by the exact verifier.

    ## Description
    Each episode poses one problem from ``mathgym.envs.reasoning`` (a pure function of
    module, difficulty, seed and index). The agent, typically a language model, answers in
    text; ``mathgym.verifiers.math.score`` compares the answer with the reference by the
    problem's declared answer type (exact rationals, symbolic equivalence, sets in any order,
    ...). Model output is parsed by a whitelisted grammar, never executed.

    ## Action Space
    ``gymnasium.spaces.Text(MAX_ACTION_CHARS, charset=CHARSET)``: the answer text. A final
    ``\\boxed{...}`` or ``<answer>...</answer>`` is extracted, otherwise the whole text is the
    answer. Longer or non-ASCII answers are accepted and scored too (they simply score 0 when
    they do not parse).

    ## Observation Space
    ``gymnasium.spaces.Text(MAX_OBSERVATION_CHARS, min_length=1, charset=CHARSET)``: the
    question; in multi-turn episodes, after a wrong answer, followed by a feedback line such
    as ``"Attempt 1 of 3: incorrect; expected an integer"``. (A ``TextSpace``: a ``Text``
    whose missing array shape raises an error naming ``HashedTextFeatures`` in SB3.)

    ## Rewards
    The verifier's score of the answer, in ``[0, 1]`` (1 for a correct answer).

    ## Starting State
    ``reset(options={"module", "difficulty", "seed", "index"})`` selects the problem; keys not
    given are drawn from the env's ``np_random`` (module uniformly from ``modules``, index
    uniformly in ``[0, 2**31)``), difficulty and seed default to the constructor's.

    ## Episode End
    Terminated after a correct answer or after ``max_attempts`` answers. Never truncated.

    ## Info
    ``is_success`` (bool, every step: the last answer was correct; SB3 logs it as its success
    rate), ``module``, ``difficulty``, ``seed``, ``index``, ``answer_type``, ``attempt``,
    ``max_attempts``; after an answer ``solved``, then ``feedback`` (more attempts left) or
    ``answer`` (episode over).

    ## Stable-Baselines3
    Observations and actions are text, which SB3's policies cannot read or write: this env is for
    language-model agents. :class:`mathgym.envs.wrappers.HashedTextFeatures` turns the question
    into a fixed-size feature vector, but the answer stays text.

    ## Arguments
    ``modules`` (default: all of ``MODULES``), ``difficulty`` (1-5, default 1),
    ``problem_seed`` (default 0), ``problem_index`` (default ``None``: drawn per reset; an int
    fixes the problem, as benchmarks do), ``max_attempts`` (default 1: single turn),
    ``render_mode`` (``None`` or ``"ansi"``).

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
        max_attempts: int = 1,
        render_mode: str | None = None,
    ) -> None:
        infos = module_infos()
        self.modules = tuple(modules) if modules is not None else tuple(infos)
        unknown = [m for m in self.modules if m not in infos]
        if unknown or not self.modules:
            raise ValueError(
                f"MathQAEnv: unknown or empty modules {unknown or list(self.modules)}; "
                "choose from mathgym.envs.reasoning.MODULES"
            )
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"MathQAEnv: difficulty must be in {DIFFICULTIES}, got {difficulty}")
        if not isinstance(max_attempts, int) or not 1 <= max_attempts <= 16:
            raise ValueError(
                f"MathQAEnv: max_attempts must be an int in 1..16, got {max_attempts!r}"
            )
        check_render_mode("MathQAEnv", render_mode, self.metadata["render_modes"])
        self.difficulty = difficulty
        self.problem_seed = int(problem_seed)
        self.problem_index = None if problem_index is None else int(problem_index)
        self.max_attempts = max_attempts
        self.render_mode = render_mode
        self.observation_space = TextSpace(
            MAX_OBSERVATION_CHARS, min_length=1, charset=CHARSET
        )
        self.action_space = ShortText(MAX_ACTION_CHARS, min_length=0, charset=CHARSET)
        self.problem: Problem | None = None
        self._attempts = 0
        self._observation = ""
        self._done = False

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self.problem = episode_problem(
            "MathQAEnv", options, self.np_random, self.modules,
            (self.difficulty, self.problem_seed, self.problem_index),
        )
        if len(self.problem.question) > MAX_OBSERVATION_CHARS // 2:  # pragma: no cover
            raise ValueError(
                f"question of {self.problem.module} longer than the observation space allows"
            )
        self._attempts = 0
        self._done = False
        self._observation = self.problem.question
        return self._observation, self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.problem is None or self._done:
            raise RuntimeError("MathQAEnv.step called before reset() or after the episode ended")
        if not isinstance(action, str):
            raise ValueError(
                f"MathQAEnv.step: the action must be the answer text (str), got "
                f"{type(action).__name__}"
            )
        reward, feedback = judge(action, self.problem)
        self._attempts += 1
        solved = reward >= 1.0
        terminated = solved or self._attempts >= self.max_attempts
        self._done = terminated
        info = self._info()
        info["solved"] = solved
        info["is_success"] = solved
        if not terminated:
            line = f"Attempt {self._attempts} of {self.max_attempts}: {feedback}"
            line = "".join(c if c in CHARSET else "?" for c in line)[:200]
            self._observation = f"{self._observation}\n{line}"
            info["feedback"] = feedback
        else:
            info["answer"] = self.problem.answer
        return self._observation, reward, terminated, False, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._observation + "\n"
        return None

    # ------------------------------------------------------------------ helpers
    def _info(self) -> dict[str, Any]:
        p = self.problem
        assert p is not None
        return {
            "module": p.module,
            "difficulty": p.difficulty,
            "seed": p.seed,
            "index": p.index,
            "answer_type": p.answer_type,
            "attempt": self._attempts,
            "max_attempts": self.max_attempts,
            "is_success": False,
        }

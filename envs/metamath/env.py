"""``mathgym/Metamath-v0``: GPT-f style backward proving on set.mm, checked by our kernel."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from mathgym.envs.metamath.library import SPLITS, load_library
from mathgym.envs.metamath.prover import ActionError, ProofState, Prover
from mathgym.envs.wrappers.compat import TextSpace, check_render_mode
from mathgym.verifiers.metamath.database import DEFAULT_DATABASE, MetamathError
from mathgym.verifiers.metamath.kernel import check_proof

#: Characters an observation may contain (set.mm is ASCII).
CHARSET = frozenset(string.printable)
MAX_OBS_CHARS = 16384


class MetamathEnv(gym.Env):
    """Prove one Metamath theorem backwards, one theorem application at a time.

    ## Description
    An episode is one ``$p`` theorem of a Metamath database (default: Debian's set.mm), chosen
    by label (``theorem=`` or ``reset(options={"theorem": ...})``) or sampled from a split.
    A proof may use only what the theorem's own proof in the database may use (the usage
    rule of :mod:`mathgym.verifiers.metamath.usage`): axioms and definitions in its axiom
    closure, earlier theorems that are not discouraged, not flagged inconsistent (``...BAD``)
    and rest on no other axioms; the candidate list and the reward both apply it (the rule
    reveals which axioms the stored proof rests on, never its steps). Each step
    applies a theorem (or one of the theorem's own ``$e`` hypotheses) to the first open goal,
    GPT-f style: the label's conclusion is unified with the goal and its hypotheses become new
    goals. Syntax goals (``wff``/``class``/``setvar``) are discharged automatically by parsing.

    ## Action Space
    ``Discrete(max_candidates)``: index into ``info["candidates"]``, the labels whose
    conclusion unifies with the current goal (the theorem's hypotheses first, then by how often
    train-split proofs use them); ``info["action_mask"]`` (int8) and :meth:`action_masks` (bool,
    for SB3's ``MaskablePPO``) mark valid indices. A ``str`` action
    is also accepted: ``"label"`` or ``"label ; var := expr ; ..."`` giving expressions for
    variables that unification leaves free (otherwise they become work variables ``&W1``
    (wff), ``&C1`` (class), ``&S1`` (setvar), fixed later by unification).

    ## Observation Space
    ``Text``: one line ``goal |- <expr>`` per open goal (current goal first), then one line
    ``hyp <label> |- <expr>`` per hypothesis of the theorem.

    ## Rewards
    1 when the last goal closes *and* the assembled proof verifies in mathgym's Metamath
    kernel (``$d`` included); 0 otherwise. The proof is then in ``info["proof"]`` (normal
    Metamath format, space-separated labels). ``info["is_success"]`` is in every info: True
    exactly when the episode has just ended with an accepted proof.

    ## Starting State
    One goal: the theorem's conclusion.

    ## Episode End
    Terminated when no goal is open (reward 1 iff the kernel accepts the proof). Truncated
    after ``max_steps`` steps. Invalid actions (unknown/later label, no unification, violated
    ``$d``, bad substitution) leave the state unchanged and put the reason in
    ``info["error"]``; they still count as a step.

    ## Arguments
    ``theorem`` (label or None), ``split`` (train/valid/test/easy, used when no theorem is
    given), ``database`` (path), ``max_steps`` (64), ``max_candidates`` (64).

    ## Version History
    * v0: initial version; the usage rule (axiom closure, no ``BAD`` statements),
      ``info["is_success"]`` in every info and :meth:`action_masks` added without a new id.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        theorem: str | None = None,
        split: str = "easy",
        database: str = DEFAULT_DATABASE,
        max_steps: int = 64,
        max_candidates: int = 64,
        render_mode: str | None = None,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
        if max_steps < 1 or max_candidates < 1:
            raise ValueError("max_steps and max_candidates must be positive")
        check_render_mode("MetamathEnv", render_mode, self.metadata["render_modes"])
        self.lib = load_library(database)
        if theorem is not None:
            self.lib.theorem(theorem)  # validates the label
        self.theorem = theorem
        self.split = split
        self.max_steps = max_steps
        self.max_candidates = max_candidates
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(max_candidates)
        self.observation_space = TextSpace(
            max_length=MAX_OBS_CHARS, min_length=0, charset="".join(sorted(CHARSET))
        )
        self.prover: Prover | None = None
        self.state: ProofState | None = None
        self._candidates: list = []
        self._candidates_of: ProofState | None = None  # the state _candidates belong to
        self._mask = np.zeros(max_candidates, dtype=np.int8)
        self._steps = 0

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        label = (options or {}).get("theorem", self.theorem)
        if label is None:
            labels = self.lib.split(self.split)
            label = labels[int(self.np_random.integers(len(labels)))]
        if self.prover is None or self.prover.label != label:
            self.prover = Prover(self.lib, label)
        self.state = self.prover.initial_state()
        self._steps = 0
        return self._obs(), self._info()

    def step(self, action: Any):
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        self._steps += 1
        info_extra: dict = {}
        try:
            label, subs = self._decode(action)
            self.state = self.prover.apply(self.state, label, subs)
            info_extra["applied"] = label
        except ActionError as err:
            info_extra["error"] = str(err)
        reward = 0.0
        terminated = False
        if self.state.proved:
            terminated = True
            proof, error = self.finish(self.state)
            if error is None:
                reward = 1.0
                info_extra["proof"] = " ".join(proof)
            else:
                info_extra["error"] = error
        truncated = not terminated and self._steps >= self.max_steps
        info = self._info()
        info.update(info_extra)
        info["is_success"] = reward == 1.0
        return self._obs(), reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return f"theorem {self.prover.label}\n{self._obs()}\n"
        return None

    def action_masks(self) -> np.ndarray:
        """The current action mask as a bool array (``True``: a valid candidate index)."""
        return self._mask.astype(bool)

    # ------------------------------------------------------------------ helpers
    def finish(self, state: ProofState) -> tuple[list | None, str | None]:
        """(proof labels, None) if the kernel accepts the assembled proof under the usage rule,
        else (None, why)."""
        try:
            proof = self.prover.assemble_proof(state)
            check_proof(self.lib.db, self.prover.thm, tuple(proof), self.lib.rule)
        except (ActionError, MetamathError) as err:
            return None, f"assembled proof rejected: {err}"
        return proof, None

    def _decode(self, action: Any) -> tuple[str, dict]:
        if isinstance(action, str):
            return self.prover.parse_action(action)
        try:
            index = int(action)
        except (TypeError, ValueError):
            raise ActionError(f"action {action!r} is neither an index nor text") from None
        if not 0 <= index < len(self._candidates):
            raise ActionError(
                f"action index {index} is not a valid candidate "
                f"(there are {len(self._candidates)}; see info['action_mask'])"
            )
        return self._candidates[index], {}

    def _obs(self) -> str:
        text = self.prover.observation(self.state)
        return text[:MAX_OBS_CHARS]

    def _info(self) -> dict:
        if self.state is not self._candidates_of:  # states are immutable: same object, same list
            self._candidates = self.prover.candidates(self.state, self.max_candidates)
            self._candidates_of = self.state
        mask = np.zeros(self.max_candidates, dtype=np.int8)
        mask[: len(self._candidates)] = 1
        self._mask = mask
        return {
            "theorem": self.prover.label,
            "candidates": list(self._candidates),
            "action_mask": mask,
            "goals": len(self.state.goals),
            "steps": self._steps,
            "is_success": False,
        }

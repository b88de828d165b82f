"""``ProgSynthFeatures``: MathProgSynth-v0 seen through features an MLP can read."""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from mathgym.envs.wrappers.hashed_text import stable_bucket

_SALT_QUESTION = b"ps-question"
#: Words, numbers and single punctuation marks: "Is 89 prime?" -> Is, 89, prime, ?
_TOKEN = re.compile(r"[A-Za-z]+|\d+|\S")


class ProgSynthFeatures(gym.Wrapper):
    """Fixed-size features of a ``mathgym/MathProgSynth-v0`` state (uint8), ending with the mask.

    ## Description
    The env observes the question as character ids and the graph as token ids, which an MLP
    reads as magnitudes (character 'e' is not "half of" 'J'). This wrapper gives instead:
    hashed counts of the question's tokens (what kind of question it is), the program's root
    type and each element slot's type (what the actions refer to), the graph built so far as a
    one-hot per node position, the type of the next open slot, and the action mask. The mask
    comes *last*, so a learner that reads it from the observation (``MaskedDQN``,
    ``agents/rl/dqn/masked.py``) stores it with every transition of its replay buffer.

    ## Action Space
    The env's (``Discrete(len(OPERATORS) + MAX_ELEMENTS)``); ``action_masks()`` passes the env's
    mask through (sb3-contrib's ``MaskablePPO`` reads it).

    ## Observation Space
    ``Box(0, 255, (n_features + T + E * T + N * A + T + A,), uint8)`` with ``T`` types
    (``progsynth_ops.TYPES``), ``E`` element slots, ``N = max_nodes``, ``A`` actions, in this
    order: counts (at most 255) of question-token buckets (BLAKE2b, the same in every process and
    for every ``PYTHONHASHSEED``); root type one-hot; per element slot its type one-hot (zeros
    for an empty slot); per node position the action one-hot (zeros past the graph); next open
    slot's type one-hot (zeros when complete); the action mask (1 = allowed).

    uint8 keeps a replay buffer small (SB3 casts observations to float for the network).

    ## Rewards, Starting State, Episode End
    The env's, unchanged; so are termination and ``info``.

    ## Arguments
    ``env`` (a ``MathProgSynthEnv``, possibly wrapped), ``n_features=256`` (question buckets).

    ## Version History
    * v0: initial version.
    """

    def __init__(self, env: gym.Env, n_features: int = 256) -> None:
        super().__init__(env)
        from mathgym.envs.reasoning.progsynth_env import MathProgSynthEnv
        from mathgym.envs.reasoning.progsynth_graph import MAX_ELEMENTS
        from mathgym.envs.reasoning.progsynth_ops import TYPES

        if not isinstance(env.unwrapped, MathProgSynthEnv):
            raise TypeError(f"ProgSynthFeatures wraps mathgym/MathProgSynth-v0, not {env}")
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"n_features must be an int >= 1, got {n_features!r}")
        self.n_features = n_features
        self._types = {t: i for i, t in enumerate(TYPES)}
        self._n_types = len(TYPES)
        self._n_elements = MAX_ELEMENTS
        self._n_actions = int(env.action_space.n)
        self._max_nodes = int(env.unwrapped.max_nodes)
        t, a = self._n_types, self._n_actions
        size = n_features + t + MAX_ELEMENTS * t + self._max_nodes * a + t + a
        self.observation_space = spaces.Box(0, 255, (size,), dtype=np.uint8)
        self._question_cache: tuple[str, np.ndarray] | None = None

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        _, info = self.env.reset(seed=seed, options=options)
        return self.features(), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        _, reward, terminated, truncated, info = self.env.step(action)
        return self.features(), reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """The env's type mask (bool)."""
        return np.asarray(self.env.unwrapped.action_masks(), dtype=bool)

    def features(self) -> np.ndarray:
        """The feature vector of the env's current state."""
        env = self.env.unwrapped
        builder, t, a = env.builder, self._n_types, self._n_actions
        out = np.zeros(self.observation_space.shape, dtype=np.uint8)
        out[: self.n_features] = self._question(env.problem.question)
        pos = self.n_features
        out[pos + self._types[builder.root_type]] = 1
        pos += t
        for j, element in enumerate(builder.elements):
            out[pos + j * t + self._types[element.type]] = 1
        pos += self._n_elements * t
        for k, action in enumerate(builder.actions):
            out[pos + k * a + int(action)] = 1
        pos += self._max_nodes * a
        if builder.slots:
            out[pos + self._types[builder.slots[-1]]] = 1
        pos += t
        out[pos:] = self.action_masks()
        return out

    def _question(self, question: str) -> np.ndarray:
        if self._question_cache is None or self._question_cache[0] != question:
            counts = np.zeros(self.n_features, dtype=np.int64)
            for token in _TOKEN.findall(question):
                counts[stable_bucket(token, self.n_features, _SALT_QUESTION)] += 1
            self._question_cache = (question, np.minimum(counts, 255).astype(np.uint8))
        return self._question_cache[1]

"""``HashedTextFeatures``: a Text-space env seen through a fixed-size vector of hashed tokens."""

from __future__ import annotations

import hashlib
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

#: Salts of the three feature groups, so that one token lands in unrelated buckets in each.
_SALT_TEXT, _SALT_FIRST_LINE, _SALT_CANDIDATE = b"text", b"first-line", b"candidate"


def stable_bucket(token: str, n_buckets: int, salt: bytes = b"") -> int:
    """Bucket of ``token`` in ``0..n_buckets-1`` from BLAKE2b: the same in every process.

    Python's ``hash`` of a ``str`` changes with ``PYTHONHASHSEED``; a policy trained in one
    process would then read different features in the next. BLAKE2b does not.
    """
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8, person=salt[:16]).digest()
    return int.from_bytes(digest, "little") % n_buckets


class HashedTextFeatures(gym.Wrapper):
    """Hashed token counts of a Text observation, for Stable-Baselines3's ``MlpPolicy``.

    ## Description
    SB3 cannot feed text to a network (its buffers need an array shape; a ``Text`` space has
    none). This wrapper replaces the text by a fixed-size float vector: the text is split on
    whitespace and every token adds 1 to the count of its bucket, a stable BLAKE2b hash of the
    token modulo ``n_features`` (the same buckets in every process and for every
    ``PYTHONHASHSEED``). The first line counts a second time in its own salted buckets, since
    for Metamath it is the current goal and for MathQA the question. When the env lists the
    actions' meanings in ``info["candidates"]`` (Metamath: the labels that unify with the goal,
    action ``i`` applies ``candidates[i]``) and has a ``Discrete`` action space, each action
    slot also gets ``candidate_features`` features: a one-hot of its label's hash (zeros for an
    empty slot), so the policy can tell which label each action applies.

    ## Action Space
    The env's, unchanged. ``action_masks()`` passes the env's own mask through (sb3-contrib's
    ``MaskablePPO`` reads it); an env without ``action_masks()`` but with ``info["action_mask"]``
    (the last one returned) is masked by that.

    ## Observation Space
    ``Box(0, inf, (n_features + n_actions * candidate_features,), float32)``: ``log(1 + count)``
    of the text's and the first line's buckets (both in the first ``n_features``), then the
    per-action candidate features (``n_actions * candidate_features`` is 0 without
    candidates). The text itself stays in ``info["text"]``.

    ## Rewards
    The env's, unchanged; so are termination, truncation and ``info``.

    ## Starting State
    The env's.

    ## Episode End
    The env's.

    ## Arguments
    ``env`` (an env with a ``Text`` observation space, e.g. ``gym.make("mathgym/Metamath-v0")``),
    ``n_features=1024`` (buckets of the text), ``candidate_features=16`` (buckets per action
    slot; 0 turns the candidate features off), ``candidates_key="candidates"`` (the info key
    listing what each action does).

    ## Example
    ``MaskablePPO("MlpPolicy", HashedTextFeatures(gym.make("mathgym/Metamath-v0"))).learn(...)``

    ## Version History
    * v0: initial version.
    """

    def __init__(
        self,
        env: gym.Env,
        n_features: int = 1024,
        candidate_features: int = 16,
        candidates_key: str = "candidates",
    ) -> None:
        super().__init__(env)
        if not isinstance(env.observation_space, spaces.Text):
            raise TypeError(
                f"HashedTextFeatures reads Text observations, but {env} has observation space "
                f"{env.observation_space}; use the env as it is"
            )
        for name, value, low in (("n_features", n_features, 1),
                                 ("candidate_features", candidate_features, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        self.n_features = n_features
        self.candidate_features = candidate_features
        self.candidates_key = candidates_key
        self._slots = env.action_space.n if isinstance(env.action_space, spaces.Discrete) else 0
        if candidate_features == 0:
            self._slots = 0
        size = n_features + self._slots * candidate_features
        self.observation_space = spaces.Box(0.0, np.inf, (size,), dtype=np.float32)
        self._buckets: dict[tuple[bytes, str, int], int] = {}
        self._last_mask: np.ndarray | None = None

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        text, info = self.env.reset(seed=seed, options=options)
        return self._observe(text, info), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        text, reward, terminated, truncated, info = self.env.step(action)
        return self._observe(text, info), reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """Valid actions: the env's ``action_masks()``, else its last ``info["action_mask"]``."""
        try:
            masks = self.env.get_wrapper_attr("action_masks")
        except AttributeError:
            if self._last_mask is None:
                raise AttributeError(
                    f"{self.env} has neither action_masks() nor info['action_mask']: it has no "
                    "mask to pass on (use PPO rather than MaskablePPO)"
                ) from None
            return self._last_mask.copy()
        return np.asarray(masks(), dtype=bool)

    # ------------------------------------------------------------------ features
    def features(self, text: str, candidates: Any = None) -> np.ndarray:
        """The feature vector of ``text`` (and of the action slots' ``candidates``, if any)."""
        out = np.zeros(self.observation_space.shape, dtype=np.float32)
        counts = out[: self.n_features]
        for token in text.split():
            counts[self._bucket(token, self.n_features, _SALT_TEXT)] += 1.0
        first_line = text.split("\n", 1)[0]
        for token in first_line.split():
            counts[self._bucket(token, self.n_features, _SALT_FIRST_LINE)] += 1.0
        np.log1p(counts, out=counts)
        if self._slots and candidates is not None:
            width = self.candidate_features
            for slot, label in enumerate(list(candidates)[: self._slots]):
                base = self.n_features + slot * width
                out[base + self._bucket(str(label), width, _SALT_CANDIDATE)] = 1.0
        return out

    def _observe(self, text: str, info: dict[str, Any]) -> np.ndarray:
        if not isinstance(text, str):
            raise TypeError(f"HashedTextFeatures: the env returned {type(text).__name__}, not text")
        if "action_mask" in info:
            self._last_mask = np.asarray(info["action_mask"], dtype=bool)
        return self.features(text, info.get(self.candidates_key))

    def _bucket(self, token: str, n: int, salt: bytes) -> int:
        key = (salt, token, n)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 1_000_000:  # bound the memo on endless vocabularies
                self._buckets.clear()
            bucket = self._buckets[key] = stable_bucket(token, n, salt)
        return bucket

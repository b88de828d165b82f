"""Space checks before an SB3 model is built: clear errors where SB3 would crash on text.

SB3 needs array-shaped spaces. Given a ``Text`` observation space (Metamath, MathQA, Lean) it
fails deep inside ``DummyVecEnv`` with ``TypeError: 'NoneType' object is not iterable`` (a
``Text`` space has no shape); given a ``Text`` action space it asserts in the algorithm.
:func:`check_sb3_env` raises a ``TypeError`` that says what to do instead.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium import spaces

WRAPPER = "mathgym.envs.wrappers.HashedTextFeatures"


def text_subspaces(space: spaces.Space) -> list[str]:
    """Paths of the ``Text`` spaces inside ``space`` (``""`` for the space itself)."""
    if isinstance(space, spaces.Text):
        return [""]
    if isinstance(space, spaces.Dict):
        children = space.spaces.items()
    elif isinstance(space, spaces.Tuple):
        children = enumerate(space.spaces)
    else:
        return []
    return [f"[{key!r}]{sub}" for key, child in children for sub in text_subspaces(child)]


def check_sb3_spaces(observation_space: spaces.Space, action_space: spaces.Space,
                     what: str = "this env") -> None:
    """Raise ``TypeError`` if SB3's array policies cannot read or write these spaces."""
    if text_subspaces(action_space):
        raise TypeError(
            f"{what} answers in text (Text action space), which no Stable-Baselines3 algorithm "
            f"can produce; it is an env for language-model agents (the harness's LLM policies). "
            f"{WRAPPER} only turns its observations into features"
        )
    text_obs = text_subspaces(observation_space)
    if text_obs:
        where = "" if text_obs == [""] else f" (at {', '.join(text_obs)})"
        raise TypeError(
            f"{what} has a Text observation space{where}, which Stable-Baselines3 cannot feed to "
            f"a network: wrap it in {WRAPPER} (hashed token counts, action masks passed "
            f"through), e.g. MaskablePPO('MlpPolicy', HashedTextFeatures(env))"
        )


def check_sb3_env(env: Any) -> None:
    """Check an env, a vector env or an env id before handing it to an SB3 algorithm."""
    if isinstance(env, str):
        import mathgym  # noqa: F401  (registers the ids)

        spec = gym.spec(env)
        probe = gym.make(spec.id)
        try:
            check_sb3_spaces(probe.observation_space, probe.action_space, spec.id)
        finally:
            probe.close()
        return
    observation_space = getattr(env, "single_observation_space", None) or env.observation_space
    action_space = getattr(env, "single_action_space", None) or env.action_space
    check_sb3_spaces(observation_space, action_space, str(env))

"""Every registered env's spaces print in one short line (issue 15: Lean-v0's printed its
whole 4,896-character charset)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium import spaces
from mathgym.envs.wrappers.compat import ShortText, TextSpace

import mathgym  # noqa: F401  (registers the mathgym/* ids)

ENV_IDS = sorted(k for k in gym.registry if k.startswith("mathgym/"))
REPR_LIMIT = 200
DEMO_MM = Path("/usr/share/metamath/databases/demo0.mm")


def _spaces(env_id: str) -> tuple[gym.Space, gym.Space]:
    if env_id == "mathgym/Lean-v0":
        # no Lean toolchain here; the env's spaces do not depend on the backend, so build them
        # exactly as LeanEnv.__init__ does (its constants), which a Lean test pins separately
        from mathgym.envs.lean.env import LEAN_CHARSET, MAX_ACTION_CHARS, MAX_OBSERVATION_CHARS

        return (TextSpace(MAX_OBSERVATION_CHARS, min_length=0, charset=LEAN_CHARSET),
                ShortText(MAX_ACTION_CHARS, min_length=1, charset=LEAN_CHARSET))
    kwargs = {}
    if env_id == "mathgym/Metamath-v0" and DEMO_MM.is_file():
        kwargs["database"] = str(DEMO_MM)  # same spaces as on set.mm, without its 8 s of parsing
    env = gym.make(env_id, **kwargs)
    try:
        return env.observation_space, env.action_space
    finally:
        env.close()


def test_the_registry_has_the_text_envs():
    assert {"mathgym/Lean-v0", "mathgym/MathQA-v0", "mathgym/Metamath-v0"} <= set(ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_spaces_print_short(env_id):
    for space in _spaces(env_id):
        text = repr(space)
        assert len(text) < REPR_LIMIT, (env_id, text[:300])
        assert "\n" not in text
        if isinstance(space, spaces.Text):
            assert text == (f"Text(min_length={space.min_length}, max_length={space.max_length}, "
                            f"charset=<{len(space.character_set)} chars>)")


def test_lean_space_repr_and_equality():
    from mathgym.envs.lean.env import LEAN_CHARSET, MAX_OBSERVATION_CHARS

    obs, _ = _spaces("mathgym/Lean-v0")
    assert repr(obs) == (
        f"Text(min_length=0, max_length={MAX_OBSERVATION_CHARS}, charset=<4896 chars>)")
    assert len(LEAN_CHARSET) == 4896
    # gymnasium's own repr is thousands of characters long: the reason for this class
    plain = spaces.Text(MAX_OBSERVATION_CHARS, min_length=0, charset=LEAN_CHARSET)
    assert len(spaces.Text.__repr__(plain)) > 4000
    assert obs == plain  # still equal to a plain Text with the same arguments
    assert str(obs) == repr(obs)

"""Small pieces that let mathgym's envs meet Stable-Baselines3's expectations.

SB3 builds an env from its id with ``gym.make(id, render_mode="rgb_array")`` and falls back on
``gym.make(id)`` only when that raises ``TypeError`` (``PPO("MlpPolicy", id)``,
``make_vec_env(id)``). An env that cannot draw pictures therefore rejects an unsupported render
mode with :class:`UnsupportedRenderMode`, a ``ValueError`` (bad argument value, as before) that
is also a ``TypeError`` (so SB3 retries without a render mode).
"""

from __future__ import annotations

from collections.abc import Sequence


class UnsupportedRenderMode(ValueError, TypeError):
    """A render mode the env does not have; a ``TypeError`` too, so SB3 retries without one."""


def check_render_mode(owner: str, render_mode: str | None, supported: Sequence[str]) -> None:
    """Raise :class:`UnsupportedRenderMode` unless ``render_mode`` is None or in ``supported``."""
    if render_mode is not None and render_mode not in supported:
        choices = " or ".join(repr(m) for m in supported)
        raise UnsupportedRenderMode(
            f"{owner}: render_mode must be None or {choices}, got {render_mode!r}"
        )

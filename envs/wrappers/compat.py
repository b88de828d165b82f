"""Small pieces that let mathgym's envs meet Stable-Baselines3's expectations.

SB3 builds an env from its id with ``gym.make(id, render_mode="rgb_array")`` and falls back on
``gym.make(id)`` only when that raises ``TypeError`` (``PPO("MlpPolicy", id)``,
``make_vec_env(id)``). An env that cannot draw pictures therefore rejects an unsupported render
mode with :class:`UnsupportedRenderMode`, a ``ValueError`` (bad argument value, as before) that
is also a ``TypeError`` (so SB3 retries without a render mode).

SB3 sizes its buffers from ``observation_space.shape``, which a ``Text`` space lacks; the
Text-space envs use :class:`TextSpace`, whose ``shape`` raises an error that names the feature
wrapper where SB3 would otherwise crash with ``'NoneType' object is not iterable``. Text action
spaces use :class:`ShortText`; both print in one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from gymnasium import spaces


class UnsupportedRenderMode(ValueError, TypeError):
    """A render mode the env does not have; a ``TypeError`` too, so SB3 retries without one."""


def check_render_mode(owner: str, render_mode: str | None, supported: Sequence[str]) -> None:
    """Raise :class:`UnsupportedRenderMode` unless ``render_mode`` is None or in ``supported``."""
    if render_mode is not None and render_mode not in supported:
        choices = " or ".join(repr(m) for m in supported)
        raise UnsupportedRenderMode(
            f"{owner}: render_mode must be None or {choices}, got {render_mode!r}"
        )


class TextHasNoShape(TypeError, AttributeError):
    """Raised by :attr:`TextSpace.shape`: text has no array shape (names the feature wrapper).

    It is an ``AttributeError`` too, so ``hasattr(space, "shape")`` is False and
    ``getattr(space, "shape", None)`` is None, as for any space without a shape.
    """


class ShortText(spaces.Text):
    """Gymnasium's ``Text`` space with a one-line repr.

    ``Text``'s own repr prints the whole character set: 4,896 characters for ``Lean-v0``, so
    ``print(env.observation_space)`` buried everything else. This one counts the characters
    instead: ``Text(min_length=0, max_length=4096, charset=<4896 chars>)``. It compares equal
    to a ``Text`` with the same arguments.
    """

    def __repr__(self) -> str:
        return (f"Text(min_length={self.min_length}, max_length={self.max_length}, "
                f"charset=<{len(self.character_set)} chars>)")


class TextSpace(ShortText):
    """Gymnasium's ``Text`` space, whose missing array shape explains itself.

    Stable-Baselines3 reads ``observation_space.shape`` to size its buffers; a plain ``Text``
    space answers None and SB3 then crashes with ``TypeError: 'NoneType' object is not
    iterable``. This subclass raises :class:`TextHasNoShape` instead, saying to wrap the env in
    :class:`mathgym.envs.wrappers.HashedTextFeatures`. Everything else is ``Text``'s (it
    compares equal to a ``Text`` with the same arguments); its repr is :class:`ShortText`'s.
    """

    @property
    def shape(self) -> None:  # type: ignore[override]
        raise TextHasNoShape(
            f"this observation space is Text (up to {self.max_length} characters), which has no "
            "array shape: Stable-Baselines3 cannot feed text to a network. Wrap the env in "
            "mathgym.envs.wrappers.HashedTextFeatures "
            "(hashed token counts, action masks passed through); an env that also answers in "
            "text (MathQA, Lean) is for language-model agents"
        )

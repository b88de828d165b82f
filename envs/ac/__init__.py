"""Andrews–Curtis environments with AC-Solver's exact semantics, compiled with numba.

Re-exports are lazy (PEP 562): ``import mathgym.envs.ac.presentation`` or ``.reference`` never
imports numba; only touching a kernel-backed name (``ACEnv``, ``ACVectorEnv``, ...) does.

Modules: ``presentation`` (Presentation, parsing, AC-Solver arrays), ``words`` (free-group
words and their text), ``moves`` (move table and numbering), ``reference`` (plain-Python
semantics), ``kernels`` (numba), ``datasets`` (Miller–Schupp, Akbulut–Kirby), ``env``,
``vector_env``, ``text`` (text view for language-model policies). See docs/ac.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Presentation": "presentation",
    "as_presentation": "presentation",
    "MillerSchupp": "datasets",
    "miller_schupp": "datasets",
    "ms_max_relator_length": "datasets",
    "akbulut_kirby": "datasets",
    "num_moves": "moves",
    "move_name": "moves",
    "move_table": "moves",
    "inverse_move": "moves",
    "apply_move": "reference",
    "ACEnv": "env",
    "ACMillerSchuppEnv": "env",
    "ACVectorEnv": "vector_env",
    "ACMillerSchuppVectorEnv": "vector_env",
    "render_state": "text",
    "parse_move": "text",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

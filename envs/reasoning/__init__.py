"""Procedural math problems for verifiable-reward RL (``mathgym.envs.reasoning``).

``MODULES`` names every generator as ``<category>__<name>`` (``algebra__linear_1d``); the
category is the file under ``generators/`` that defines it. ``generate(module, difficulty,
seed, index)`` returns a :class:`mathgym.types.Problem`, a pure function of its arguments.
"""

from __future__ import annotations

from mathgym.envs.reasoning.curriculum import Curriculum
from mathgym.envs.reasoning.interop import to_dataset, to_rows, write_jsonl
from mathgym.envs.reasoning.registry import DIFFICULTIES, generate, module_infos

#: Every module name, sorted.
MODULES: tuple[str, ...] = tuple(module_infos())

__all__ = [
    "DIFFICULTIES",
    "MODULES",
    "Curriculum",
    "generate",
    "module_infos",
    "to_dataset",
    "to_rows",
    "write_jsonl",
]

"""Plug-in learners for ``mathgym train``: bring your own training loop (docs/tutorial.md).

A plug-in module listed in ``MATHGYM_EXTRA_MODULES`` calls :func:`register_learner` when it is
imported; ``mathgym train --agent NAME`` then runs that learner through :func:`run_learner`.

The contract of a learner's ``train_fn(benchmark_id, budget, seed, out, config, resume)``:

- ``benchmark_id``: the benchmark's full id (``"tutorial/ac-easy@1"``; ``get_benchmark`` takes
  it); ``budget``: training env steps (a whole number >= 1; never train past it); ``seed``;
  ``out``: the output folder (already created and locked); ``config``: the ``--config`` settings
  as a dict (refuse unknown keys with a ``ValueError`` naming the known ones); ``resume``: the
  run in ``out`` is being continued (a learner without mid-run checkpoints may start over).
- It writes its checkpoint inside ``out`` and returns a JSON-ready dict with at least
  ``"steps"`` (int, env steps trained, at most ``budget``) and ``"checkpoint"`` (the file's path
  relative to ``out``). Errors in the user's input are raised as ``ValueError``.

What the harness does around it, as for the built-in learners (``agents/rl/common/train.py``):
an :class:`~mathgym.harness.outdir.OutDirLock` on ``out`` for the whole run; ``out/run.json``
holds the run's identity (benchmark and content hash, learner, config, budget, seed) and a
``--resume`` with other settings is refused; a folder holding another run is refused; finally
``out/training.json`` is written atomically: the learner's dict plus ``learner``,
``benchmark``, ``budget``, ``seed``, ``finished`` and ``checkpoint_sha256`` (computed here from
the file, so it names the exact model). ``--resume`` of a finished run returns its
``training.json`` without training again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathgym.harness.results import sha256_file

#: ``mathgym train``'s own learners (``agents/rl/common/train.py`` and ``agents/llm/grpo``).
BUILTIN_LEARNERS: tuple[str, ...] = ("sb3-ppo", "sb3-maskable-ppo", "sb3-dqn", "llm-grpo")

RUN_NAME = "run.json"
TRAINING_NAME = "training.json"

#: ``train_fn(benchmark_id, budget, seed, out, config, resume) -> training block``.
TrainFn = Callable[[str, int, int, Path, dict[str, Any], bool], dict[str, Any]]


@dataclass(frozen=True)
class Learner:
    """A registered plug-in learner."""

    name: str
    """the ``--agent`` name of ``mathgym train``"""
    train: TrainFn
    """the training function (contract in the module docstring)"""
    help: str = ""
    """one line for the unknown-learner message"""


_learners: dict[str, Learner] = {}


def register_learner(name: str, train_fn: TrainFn, *, help: str = "") -> None:  # noqa: A002
    """Add ``name`` to ``mathgym train``. Refuses a built-in name or one already registered to
    another function (registering the same function again is a no-op)."""
    from mathgym.harness.registry import check_agent_name

    check_agent_name(name, "learner")
    if not callable(train_fn):
        raise TypeError(f"learner {name!r}: train_fn must be callable, got "
                        f"{type(train_fn).__name__}")
    if name in BUILTIN_LEARNERS:
        raise ValueError(f"learner {name!r} is one of mathgym train's built-in learners; "
                         "register yours under another name")
    held = _learners.get(name)
    if held is not None and held.train is not train_fn:
        raise ValueError(f"learner {name!r} is already registered (by "
                         f"{getattr(held.train, '__module__', '?')}."
                         f"{getattr(held.train, '__qualname__', '?')}); rename one of them")
    _learners[name] = Learner(name, train_fn, help)


def load_plugins() -> None:
    """Import the ``MATHGYM_EXTRA_MODULES`` plug-ins (as ``mathgym eval`` does), so that the
    learners they register are known."""
    from mathgym.harness.registry import _extra_modules, _import_optional

    for module_name in _extra_modules():
        _import_optional(module_name)


def registered_learners() -> dict[str, Learner]:
    """The plug-in learners registered in this process, sorted by name."""
    return dict(sorted(_learners.items()))


def unknown_learner_message(name: str) -> str:
    """The error line for an unknown ``--agent``: built-in and registered learners."""
    plugins = ", ".join(f"{n} ({lr.help})" if lr.help else n
                        for n, lr in registered_learners().items()) or "(none)"
    return (f"unknown learner {name!r}; built-in learners: {', '.join(BUILTIN_LEARNERS)}; "
            f"plug-in learners: {plugins} (a plug-in module listed in MATHGYM_EXTRA_MODULES "
            "adds one with mathgym.harness.learners.register_learner)")


def get_learner(name: str) -> Learner:
    """The registered learner ``name``, or a ``ValueError`` listing every learner."""
    if name not in _learners:
        raise ValueError(unknown_learner_message(name))
    return _learners[name]


def _checked_block(name: str, block: Any, budget: int, out: Path) -> tuple[dict[str, Any], Path]:
    """The learner's returned dict, checked against the contract; and its checkpoint file."""
    if not isinstance(block, dict):
        raise TypeError(f"learner {name!r} returned {type(block).__name__}; it must return a "
                        "dict with 'steps' and 'checkpoint' (mathgym/harness/learners.py)")
    steps, checkpoint = block.get("steps"), block.get("checkpoint")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= budget:
        raise ValueError(f"learner {name!r} returned steps={steps!r}: it must be a whole number "
                         f"of env steps from 0 to the budget {budget}")
    if not isinstance(checkpoint, str) or not checkpoint:
        raise ValueError(f"learner {name!r} returned checkpoint={checkpoint!r}: it must be the "
                         "path of its checkpoint file relative to --out")
    path = (out / checkpoint).resolve()
    if not path.is_relative_to(out.resolve()) or not path.is_file():
        raise ValueError(f"learner {name!r} returned checkpoint={checkpoint!r}, which is not a "
                         f"file inside {out}; write the checkpoint there and return its name")
    return block, path


def run_learner(name: str, benchmark: str, budget: int, seed: int, out: str | Path,
                config: dict[str, Any], resume: bool = False) -> dict[str, Any]:
    """Run (or resume) the plug-in learner ``name``; returns the block written to training.json."""
    from mathgym.harness.outdir import OutDirLock
    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.results import atomic_write_text, dumps

    learner = get_learner(name)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"--budget {budget!r}: give a whole number of env steps >= 1")
    bench = get_benchmark(benchmark)
    out = Path(out)
    try:
        identity = json.loads(dumps({
            "benchmark": bench.full_id, "content_hash": bench.content_hash, "learner": name,
            "config": config, "budget": budget, "seed": seed}))
    except (TypeError, ValueError) as err:
        raise ValueError(f"--config is not JSON-ready ({err})") from None
    lock = OutDirLock(out).acquire()
    try:
        run_file, training_file = out / RUN_NAME, out / TRAINING_NAME
        if run_file.exists() and not resume:
            raise ValueError(f"{run_file} already exists: pass --resume to continue that run, "
                             "or choose another --out")
        if run_file.exists():
            stored = json.loads(run_file.read_text(encoding="utf-8"))
            diff = sorted(k for k in set(stored) | set(identity)
                          if stored.get(k) != identity.get(k))
            if diff:
                raise ValueError(f"--resume with other settings than the run in {out} "
                                 f"(differs in: {', '.join(diff)}); use the original command "
                                 "or another --out")
            if training_file.exists():
                done = json.loads(training_file.read_text(encoding="utf-8"))
                if done.get("finished"):
                    return done
        elif training_file.exists():
            raise ValueError(f"{out} holds another run's files ({training_file}); choose "
                             "another --out")
        else:
            atomic_write_text(run_file, dumps(identity))
        returned = learner.train(bench.full_id, budget, seed, out, dict(config), resume)
        block, checkpoint = _checked_block(name, returned, budget, out)
        sha = sha256_file(checkpoint)
        claimed = block.get("checkpoint_sha256")
        if claimed is not None and claimed != sha:
            raise ValueError(f"learner {name!r} returned checkpoint_sha256={claimed!r}, but "
                             f"{checkpoint} has sha256 {sha}")
        block = {**block, "learner": name, "benchmark": bench.full_id, "budget": budget,
                 "seed": seed, "finished": True, "checkpoint_sha256": sha}
        try:
            text = dumps(block)
        except (TypeError, ValueError) as err:
            raise ValueError(f"learner {name!r} returned a block that is not JSON-ready "
                             f"({err})") from None
        atomic_write_text(training_file, text)
        return json.loads(text)
    finally:
        lock.release()

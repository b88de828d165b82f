"""Where the harness finds benchmarks and agents, by name.

Benchmark modules define ``BENCHMARKS: dict[str, Callable[[], Benchmark]]`` (id without version
-> zero-argument factory); agent modules define ``AGENTS: dict[str, type]`` (name -> agent
class). The lists below name those modules. A module that does not exist (a family not written
yet) is skipped; an import error *inside* an existing module is raised, so bugs are not hidden.

Users plug in their own modules without editing this file by listing them, comma-separated, in
the environment variable ``MATHGYM_EXTRA_MODULES`` (each may define ``BENCHMARKS``, ``AGENTS`` or
both). Worker processes (multiprocessing, Ray) inherit the variable, so plug-ins work there too.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from mathgym.harness.benchmark import Benchmark, parse_benchmark_spec
from mathgym.harness.results import AGENT_NAME_PATTERN, AGENT_NAME_RULE

#: Modules defining ``BENCHMARKS``; one per environment family.
BENCHMARK_MODULES: tuple[str, ...] = (
    "mathgym.envs.ac.benchmarks",
    "mathgym.envs.reasoning.benchmarks",
    "mathgym.envs.metamath.benchmarks",
    "mathgym.envs.lean.benchmarks",
)

#: Modules defining ``AGENTS``. Missing ones are skipped (families still being written).
AGENT_MODULES: tuple[str, ...] = (
    "mathgym.agents.random_agent",
    "mathgym.agents.replay",
    "mathgym.agents.search",
    "mathgym.agents.reasoning",
    "mathgym.agents.metamath",
    "mathgym.agents.lean",
    "mathgym.agents.rl",
    "mathgym.agents.llm",
)

#: Environment variable listing extra plug-in modules (comma-separated).
EXTRA_MODULES_ENV = "MATHGYM_EXTRA_MODULES"

_runtime_benchmarks: dict[str, Callable[[], Benchmark]] = {}
_runtime_agents: dict[str, type] = {}
_benchmark_cache: dict[str, Benchmark] = {}


def _import_optional(module_name: str) -> ModuleType | None:
    """Import ``module_name``; ``None`` if it (or a parent package) does not exist."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        missing = err.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            return None
        raise


def _extra_modules() -> list[str]:
    raw = os.environ.get(EXTRA_MODULES_ENV, "")
    return [m.strip() for m in raw.split(",") if m.strip()]


def _collect(attr: str, modules: tuple[str, ...], extra: bool = True) -> dict[str, Any]:
    found: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for module_name in [*modules, *(_extra_modules() if extra else [])]:
        module = _import_optional(module_name)
        if module is None:
            continue
        table = getattr(module, attr, None)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise TypeError(f"{module_name}.{attr} must be a dict, got {type(table).__name__}")
        for key, value in table.items():
            if key in found and found[key] is not value:
                raise ValueError(
                    f"{attr[:-1].lower()} {key!r} is defined twice: in {origin[key]} and "
                    f"{module_name}; rename one of them"
                )
            found[key] = value
            origin[key] = module_name
    return found


def check_agent_name(name: Any, where: str = "agent") -> str:
    """``name`` if it matches :data:`~mathgym.harness.results.AGENT_NAME_PATTERN`, else a
    ``ValueError`` stating the rule (results files refuse other names, so the registry does)."""
    if not isinstance(name, str) or not re.fullmatch(AGENT_NAME_PATTERN, name):
        raise ValueError(f"{where} name {name!r} is not allowed: {AGENT_NAME_RULE}")
    return name


def benchmark_factories() -> dict[str, Callable[[], Benchmark]]:
    """Every registered benchmark id (without version) -> its factory, sorted by id."""
    table = _collect("BENCHMARKS", BENCHMARK_MODULES)
    table.update(_runtime_benchmarks)
    return dict(sorted(table.items()))


def agent_classes(extra_modules: bool = True) -> dict[str, type]:
    """Every registered agent name -> its class, sorted by name.

    ``extra_modules=False``: mathgym's own agents only (no ``MATHGYM_EXTRA_MODULES`` plug-in is
    imported, none registered at runtime), for a process that holds a sealed split's secret.
    """
    table = _collect("AGENTS", AGENT_MODULES, extra=extra_modules)
    if extra_modules:
        table.update(_runtime_agents)
    for name, cls in table.items():
        check_agent_name(name, "registered agent")
        declared = getattr(cls, "name", name)
        if declared != name:
            raise ValueError(f"agent class {getattr(cls, '__qualname__', cls)!r} is registered "
                             f"as {name!r} but its name attribute is {declared!r}; make them equal")
    return dict(sorted(table.items()))


def register_benchmark(benchmark_id: str, factory: Callable[[], Benchmark]) -> None:
    """Register a benchmark factory in this process (tests, notebooks). Not seen by Ray workers."""
    _runtime_benchmarks[benchmark_id] = factory
    _benchmark_cache.pop(benchmark_id, None)


def register_agent(name: str, cls: type) -> None:
    """Register an agent class in this process (tests, notebooks). Not seen by Ray workers."""
    _runtime_agents[check_agent_name(name)] = cls


def list_benchmarks() -> list[str]:
    """Registered benchmark ids (without version), sorted."""
    return list(benchmark_factories())


def get_benchmark(spec: str) -> Benchmark:
    """The benchmark named ``"ac/ms1190"`` or ``"ac/ms1190@1"`` (built once per process).

    Raises ``ValueError`` naming the known ids for an unknown id, and the current version for
    an unknown version.
    """
    name, version = parse_benchmark_spec(spec)
    bench = _benchmark_cache.get(name)
    if bench is None:
        factories = benchmark_factories()
        if name not in factories:
            from mathgym.harness.sealed import is_sealed_id

            if is_sealed_id(name):
                raise ValueError(f"benchmark {name!r} is a sealed split: its problems come from a "
                                 "secret; run it with --sealed-secret FILE (docs/harness.md)")
            known = ", ".join(factories) or "(none registered)"
            raise ValueError(f"unknown benchmark {name!r}; known benchmarks: {known}")
        bench = factories[name]()
        if not isinstance(bench, Benchmark):
            raise TypeError(
                f"the factory of {name!r} returned {type(bench).__name__}, not Benchmark"
            )
        if bench.id != name:
            raise ValueError(f"the factory registered as {name!r} built benchmark {bench.id!r}")
        _benchmark_cache[name] = bench
    if version is not None and version != bench.version:
        raise ValueError(
            f"unknown benchmark version {spec!r}: this mathgym provides {bench.full_id} "
            "(results for other versions cannot be evaluated or verified here)"
        )
    return bench


def list_agents() -> list[str]:
    """Registered agent names, sorted."""
    return list(agent_classes())


def get_agent(name: str, **config: Any):
    """Build the agent registered as ``name`` with keyword ``config``.

    Raises ``ValueError`` for an unknown name (listing the known ones) or a config the agent's
    constructor rejects (with the constructor's message).
    """
    classes = agent_classes()
    if name not in classes:
        known = ", ".join(classes) or "(none registered)"
        raise ValueError(f"unknown agent {name!r}; known agents: {known}")
    cls = classes[name]
    try:
        return cls(**config)
    except TypeError as err:
        raise ValueError(f"agent {name!r} rejected config {config!r}: {err}") from err

"""What an agent sees: views of a benchmark and its instances that hold the task, not the answer.

The harness never hands a non-privileged agent a :class:`~mathgym.harness.benchmark.Benchmark`
or a full :class:`~mathgym.harness.benchmark.Instance`. It hands it a :class:`BenchmarkView`
whose ``instances`` are :meth:`Benchmark.public_view` copies (only the benchmark's
``public_keys`` of each ``data``: question, answer type, presentation, theorem statement; no
answer hashes, no generator seeds) and which has no ``verify``, ``check`` or ``env_kwargs``.
``view.make_env(instance_view)`` builds the env from the *real* instance inside the harness:
on an open split in the agent's process (an in-process env necessarily holds its own reward
logic, so hostile plug-in code could dig the problem out of it: the defence against that is the
sealed split, see :mod:`mathgym.harness.sealed`), on a sealed split in a harness-owned server
process the agent reaches only through ``reset``/``step`` (:mod:`mathgym.harness.remote_env`).

Agents that need the answers (oracles that solve from the generator's facts, replays of known
certificates) declare ``privileged = True`` as a class attribute. They get the full benchmark
and instances, and results mark their rows ``agent.oracle: true`` so boards keep them out of
the ranking.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from mathgym.harness.benchmark import Benchmark, Instance

#: Class attribute an agent sets to ``True`` to get full instances (and be marked oracle).
PRIVILEGED_ATTR = "privileged"

#: ``(instance_id, overrides) -> env``: how a view builds the env of one of its instances.
EnvFactory = Callable[[str, dict[str, Any]], Any]


def is_privileged(agent: Any) -> bool:
    """Whether ``agent`` (instance or class) declares ``privileged = True``."""
    return getattr(agent, PRIVILEGED_ATTR, False) is True


class BenchmarkView:
    """A benchmark as agents see it: header fields, instance views and ``make_env``.

    Attributes mirror :class:`Benchmark` (``id``, ``version``, ``full_id``, ``description``,
    ``budget_unit``, ``default_budget``, ``env_id``, ``strata``, ``tags``, ``content_hash``,
    ``instances``, ``instance(id)``, ``len()``); ``sealed`` tells a sealed split. There is no
    verifier: agents learn whether they solved an instance from the env's reward, not by asking.
    """

    def __init__(self, header: dict[str, Any], instances: tuple[Instance, ...],
                 env_factory: EnvFactory | None):
        self.id: str = header["id"]
        self.version: int = header["version"]
        self.description: str = header["description"]
        self.budget_unit: str = header["budget_unit"]
        self.default_budget: float = header["default_budget"]
        self.env_id: str | None = header["env_id"]
        self.strata: tuple[str, ...] = tuple(header["strata"])
        self.tags: tuple[str, ...] = tuple(header["tags"])
        self.content_hash: str = header["content_hash"]
        self.sealed: bool = bool(header.get("sealed", False))
        self.instances: tuple[Instance, ...] = tuple(instances)
        self._by_id = {inst.id: inst for inst in self.instances}
        self._env_factory = env_factory

    @property
    def full_id(self) -> str:
        """``id@version``, as on the full benchmark."""
        return f"{self.id}@{self.version}"

    def __len__(self) -> int:
        return len(self.instances)

    def __repr__(self) -> str:
        return f"BenchmarkView({self.full_id}, {len(self)} instances)"

    def instance(self, instance_id: str) -> Instance:
        """The view of the instance with this id (``KeyError`` naming the benchmark if none)."""
        try:
            return self._by_id[instance_id]
        except KeyError:
            raise KeyError(f"benchmark {self.full_id} has no instance {instance_id!r}") from None

    def make_env(self, instance: Instance, **overrides: Any):
        """The env of ``instance`` (a view of this benchmark), built from the real instance."""
        if self.env_id is None or self._env_factory is None:
            raise ValueError(f"benchmark {self.full_id} has no env (env_id is None)")
        instance_id = instance.id if isinstance(instance, Instance) else instance
        self.instance(instance_id)  # only this benchmark's instances
        return self._env_factory(instance_id, dict(overrides))


def view_header(benchmark: Benchmark, sealed: bool = False) -> dict[str, Any]:
    """The picklable header fields of a :class:`BenchmarkView` of ``benchmark``."""
    return {
        "id": benchmark.id, "version": benchmark.version, "description": benchmark.description,
        "budget_unit": benchmark.budget_unit, "default_budget": benchmark.default_budget,
        "env_id": benchmark.env_id, "strata": list(benchmark.strata),
        "tags": list(benchmark.tags), "content_hash": benchmark.content_hash, "sealed": sealed,
    }


_VIEWS: weakref.WeakKeyDictionary[Benchmark, BenchmarkView] = weakref.WeakKeyDictionary()


def benchmark_view(benchmark: Benchmark) -> BenchmarkView:
    """The in-process view of ``benchmark`` (built once per benchmark object)."""
    view = _VIEWS.get(benchmark)
    if view is None:

        def make(instance_id: str, overrides: dict[str, Any]) -> Any:
            return benchmark.make_env(benchmark.instance(instance_id), **overrides)

        view = BenchmarkView(
            view_header(benchmark),
            tuple(benchmark.public_view(inst) for inst in benchmark.instances),
            make if benchmark.env_id is not None else None,
        )
        _VIEWS[benchmark] = view
    return view


def agent_arguments(
    benchmark: Benchmark, agent: Any, instance: Instance
) -> tuple[Benchmark | BenchmarkView, Instance]:
    """``(benchmark, instance)`` as ``agent`` may see them: full if privileged, else views."""
    if is_privileged(agent):
        return benchmark, instance
    view = benchmark_view(benchmark)
    return view, view.instance(instance.id)

"""Agents: anything that attempts a benchmark instance under a budget and a seed.

The protocol is deliberately small so search agents, policies acting in an env, and later
trained models all fit::

    class MyAgent(Agent):                      # subclassing is optional, the protocol is not
        name = "my-agent"                      # registry name, unique
        version = "1"                          # bump when behaviour changes
        def __init__(self, *, depth: int = 3): # keyword-only config
            super().__init__(depth=depth)
        def supports(self, benchmark) -> bool: ...
        def attempt(self, benchmark, instance, budget, seed) -> Attempt: ...

    AGENTS = {"my-agent": MyAgent}             # in the agent's module, listed in the registry

``attempt`` must be deterministic given ``(instance, budget, seed, config)``, must not spend
more than ``budget`` units of ``benchmark.budget_unit``, and reports what it spent in
``Attempt.cost`` (a finite number >= 0; anything else is recorded as an error).

Agents see the task, not the answer: the harness passes a
:class:`~mathgym.harness.views.BenchmarkView` and instance views holding only the benchmark's
public data (``benchmark.make_env(instance)`` still works). An agent that needs the answers or
known certificates (an oracle, a replay) sets the class attribute ``privileged = True``: it
gets the full benchmark and instances, and its results are marked ``agent.oracle: true``.

The certificate format is the benchmark's (AC: list of move ids); the harness verifies every
claimed solution with ``benchmark.verify`` on the full instance before it counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from mathgym.harness.benchmark import Benchmark, Instance


@dataclass(frozen=True)
class Attempt:
    """What an agent returns for one (instance, seed).

    ``solved`` is the agent's claim (the harness re-verifies it); ``certificate`` is JSON-ready
    proof of the solution or ``None``; ``cost`` is the budget spent, in the benchmark's unit;
    ``info`` is free JSON-ready detail (e.g. nodes expanded, episodes), stored in results.
    """

    solved: bool
    certificate: Any = None
    cost: float = 0.0
    info: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class AgentProtocol(Protocol):
    """Structural type of an agent instance (what the harness relies on)."""

    name: ClassVar[str]
    version: ClassVar[str]

    @property
    def config(self) -> dict[str, Any]: ...

    def supports(self, benchmark: Benchmark) -> bool: ...

    def attempt(
        self, benchmark: Benchmark, instance: Instance, budget: float, seed: int
    ) -> Attempt: ...


class Agent:
    """Convenience base class: stores keyword config, supports everything by default.

    Subclasses set ``name`` and ``version``, take their configuration as keyword-only
    arguments, pass it to ``super().__init__(**config)`` (so ``config`` and results record it),
    and implement :meth:`attempt`.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    #: ``True``: needs full instances (answers, known paths); its results are marked oracle.
    privileged: ClassVar[bool] = False

    def __init__(self, **config: Any) -> None:
        self._config = dict(config)

    @property
    def config(self) -> dict[str, Any]:
        """The keyword configuration this agent was built with (JSON-ready copy)."""
        return dict(self._config)

    def supports(self, benchmark: Benchmark) -> bool:
        """Whether this agent can attempt instances of ``benchmark`` (default: yes)."""
        return True

    def attempt(
        self, benchmark: Benchmark, instance: Instance, budget: float, seed: int
    ) -> Attempt:
        """Try to solve ``instance`` within ``budget`` units; deterministic in ``seed``."""
        raise NotImplementedError(f"{type(self).__name__}.attempt")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.config.items()))
        return f"{type(self).__name__}({args})"


def agent_summary(agent: Any) -> dict[str, Any]:
    """JSON-ready ``{"name", "version", "config"}`` of an agent, as stored in results files,
    plus ``"oracle": True`` for a privileged agent (boards keep such rows out of the ranking)."""
    summary = {
        "name": str(agent.name),
        "version": str(agent.version),
        "config": dict(agent.config),
    }
    if getattr(agent, "privileged", False) is True:
        summary["oracle"] = True
    return summary

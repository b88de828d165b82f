"""Benchmarks: a versioned, fixed list of instances, how to build their envs, and their verifier.

A :class:`Benchmark` is the unit every result and leaderboard row refers to. Its id plus version
(``ac/ms1190@1``) names it; its :attr:`Benchmark.content_hash` fingerprints the exact instance
set, so a results file produced on a different instance list is refused at submission. The
``verify`` callable re-checks a certificate from scratch; it is what makes a leaderboard row
trustworthy, so it must never rely on the fast code paths an agent used.

Families publish benchmarks as zero-argument factories in ``mathgym.envs.<family>.benchmarks``::

    BENCHMARKS: dict[str, Callable[[], Benchmark]] = {"ac/quick": quick_benchmark}

Everything that defines an instance (for AC: the presentation *and* the relator-length cap) must
be in :attr:`Instance.data`, because the content hash covers ``id``, ``version``,
``budget_unit`` and each instance's ``id``, ``data`` and ``strata``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Units a benchmark may count its budget in; an agent reports its cost in the same unit.
BUDGET_UNITS: tuple[str, ...] = ("env_steps", "search_nodes", "samples", "tokens", "seconds")
#: Units counted in whole numbers (1.5 search nodes means nothing); only ``seconds`` is not.
COUNTED_UNITS: tuple[str, ...] = ("search_nodes", "env_steps", "samples", "tokens")

_BENCHMARK_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)+$")


def canonical_json(obj: Any) -> str:
    """JSON text with sorted keys and no whitespace: the same bytes for the same data, always."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class Instance:
    """One problem of a benchmark.

    ``id`` is stable across releases of the same benchmark version; ``data`` is JSON-ready and
    holds everything that defines the problem (agents read it, the verifier checks against it);
    ``strata`` maps a stratum name (e.g. ``"n"``) to this instance's value, for per-stratum counts.
    """

    id: str
    data: Mapping[str, Any]
    strata: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The instance as plain JSON-ready data (what the content hash covers)."""
        return {"id": self.id, "data": dict(self.data), "strata": dict(self.strata)}


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking one certificate: ``ok`` and, when not ok, a human-readable reason."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _no_env_kwargs(instance: Instance) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, eq=False)
class Benchmark:
    """A named, versioned, fixed set of instances with a budget unit and a verifier.

    Arguments:
        id: ``family/name`` (lower case), e.g. ``"ac/ms1190"``.
        version: positive integer; bump it whenever instances, caps or the verifier change.
        description: one paragraph shown by ``mathgym benchmarks`` and on the leaderboard;
            say what one unit of budget is.
        instances: the instances, in their canonical order; ids must be unique.
        budget_unit: one of :data:`BUDGET_UNITS`; agents report ``Attempt.cost`` in it.
        default_budget: budget used when ``mathgym eval`` gets no ``--budget``.
        env_id: Gymnasium id for agents that act in an env (``None`` if there is no env).
        env_kwargs: ``instance -> kwargs`` for ``gymnasium.make(env_id, **kwargs)``; JSON-ready.
        verify: ``(instance, certificate) -> Verdict``; checks from scratch, never trusts agents.
        strata: names of the keys of ``Instance.strata`` reported per stratum.
        tags: free labels; ``"quick"`` marks a small benchmark the demo runs automatically.
        public_keys: the keys of ``Instance.data`` that agents may see (what the task gives:
            question, answer type, presentation...); ``None`` (default) means all of them.
            Keys that determine the answer (a hash of it, generator seeds) must be left out:
            the harness hands non-privileged agents :meth:`public_view` of each instance.
        public_data: ``instance -> dict`` of extra task data for the view, computed from the
            instance (e.g. the formal elements of a generated question), so that giving it to
            agents does not change the content hash; ``None`` (default): none.
        min_cost: ``(instance, certificate) -> float``, the least cost any agent could have
            spent to find this certificate (e.g. 1 sample for an answer, k env steps for a
            k-action program); a record claiming less is rejected by the harness and by submit.
            ``None`` (default): no lower bound beyond 0.
        budget_overshoot: how far past the budget an *unsolved* attempt may have spent, in the
            budget unit (e.g. an AC search checks its budget after each full expansion, so it
            may generate up to 11 states past it); a solved attempt must stay within the
            budget. Submit refuses costs beyond budget + overshoot. Default 0.
    """

    id: str
    version: int
    description: str
    instances: tuple[Instance, ...]
    budget_unit: str
    default_budget: float
    env_id: str | None
    env_kwargs: Callable[[Instance], dict[str, Any]] = _no_env_kwargs
    verify: Callable[[Instance, Any], Verdict] = field(default=None)  # type: ignore[assignment]
    strata: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    public_keys: tuple[str, ...] | None = None
    public_data: Callable[[Instance], Mapping[str, Any]] | None = None
    min_cost: Callable[[Instance, Any], float] | None = None
    budget_overshoot: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _BENCHMARK_ID.match(self.id):
            raise ValueError(
                f"benchmark id {self.id!r} must look like 'family/name' (lower case letters, "
                "digits, '_', '-', '.'), e.g. 'ac/ms1190'"
            )
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 1:
            raise ValueError(
                f"benchmark {self.id}: version must be a positive int, got {self.version!r}"
            )
        if self.budget_unit not in BUDGET_UNITS:
            raise ValueError(
                f"benchmark {self.id}: budget_unit {self.budget_unit!r} is not one of "
                f"{BUDGET_UNITS}"
            )
        if self.verify is None or not callable(self.verify):
            raise ValueError(f"benchmark {self.id}: verify must be a callable (instance, cert)")
        object.__setattr__(self, "instances", tuple(self.instances))
        object.__setattr__(self, "strata", tuple(self.strata))
        object.__setattr__(self, "tags", tuple(self.tags))
        if self.public_keys is not None:
            keys = tuple(self.public_keys)
            if not all(isinstance(k, str) for k in keys):
                raise ValueError(f"benchmark {self.id}: public_keys must be strings, got {keys!r}")
            object.__setattr__(self, "public_keys", keys)
        if self.min_cost is not None and not callable(self.min_cost):
            raise ValueError(
                f"benchmark {self.id}: min_cost must be a callable (instance, cert) or None"
            )
        overshoot = self.budget_overshoot
        if (isinstance(overshoot, bool) or not isinstance(overshoot, int | float)
                or not 0 <= overshoot < float("inf")):
            raise ValueError(f"benchmark {self.id}: budget_overshoot must be a finite number "
                             f">= 0, got {overshoot!r}")
        self.check_budget(self.default_budget, f"benchmark {self.id}: default_budget")
        if not self.instances:
            raise ValueError(f"benchmark {self.id}: it has no instances")
        seen: set[str] = set()
        for inst in self.instances:
            if not isinstance(inst, Instance):
                raise ValueError(f"benchmark {self.id}: instances must be Instance, got {inst!r}")
            if inst.id in seen:
                raise ValueError(f"benchmark {self.id}: duplicate instance id {inst.id!r}")
            seen.add(inst.id)
            missing = [s for s in self.strata if s not in inst.strata]
            if missing:
                raise ValueError(
                    f"benchmark {self.id}: instance {inst.id!r} lacks strata {missing}"
                )

    @property
    def full_id(self) -> str:
        """``id@version``, e.g. ``"ac/ms1190@1"``."""
        return f"{self.id}@{self.version}"

    @functools.cached_property
    def content_hash(self) -> str:
        """``sha256:<hex>`` of the canonical JSON of id, version, budget unit and all instances."""
        payload = {
            "id": self.id,
            "version": self.version,
            "budget_unit": self.budget_unit,
            "instances": [inst.to_json() for inst in self.instances],
        }
        return "sha256:" + hashlib.sha256(canonical_json(payload).encode()).hexdigest()

    @functools.cached_property
    def _by_id(self) -> dict[str, Instance]:
        return {inst.id: inst for inst in self.instances}

    def instance(self, instance_id: str) -> Instance:
        """The instance with this id; ``KeyError`` naming the benchmark if there is none."""
        try:
            return self._by_id[instance_id]
        except KeyError:
            raise KeyError(
                f"benchmark {self.full_id} has no instance {instance_id!r} "
                f"(ids look like {self.instances[0].id!r})"
            ) from None

    def __len__(self) -> int:
        return len(self.instances)

    def public_view(self, instance: Instance) -> Instance:
        """What an agent may see of ``instance``: same id and strata, only the public data keys.

        The view never holds what determines the answer (reference hashes, generator seeds);
        it is what the harness passes to agents that are not ``privileged``.
        """
        if self.public_keys is None and self.public_data is None:
            return instance
        keys = instance.data if self.public_keys is None else self.public_keys
        data = {k: instance.data[k] for k in keys if k in instance.data}
        if self.public_data is not None:
            data.update(self.public_data(instance))
        return Instance(instance.id, data, dict(instance.strata))

    def cost_floor(self, instance: Instance, certificate: Any) -> float:
        """``min_cost(instance, certificate)`` (0 without one): the least cost a record may claim.

        ``ValueError`` if the hook raises or returns something that is not a finite number >= 0.
        """
        if self.min_cost is None:
            return 0.0
        try:
            floor = self.min_cost(instance, certificate)
        except Exception as err:
            raise ValueError(
                f"benchmark {self.full_id}: min_cost raised {type(err).__name__}: {err}"
            ) from None
        if isinstance(floor, bool) or not isinstance(floor, int | float) or not (
            math.isfinite(floor) and floor >= 0
        ):
            raise ValueError(
                f"benchmark {self.full_id}: min_cost returned {floor!r}, not a finite number >= 0"
            )
        return float(floor)

    def check_budget(self, amount: Any, what: str = "budget") -> float:
        """``amount`` as a float if it is a valid budget of this benchmark, else ``ValueError``.

        A budget is a finite number > 0 (never a bool or a string) and, in a counted unit
        (:data:`COUNTED_UNITS`), a whole number: ``1.5`` search nodes is refused rather than
        silently rounded by whichever agent reads it. ``what`` names the value in the message
        (``"--budget"`` from the command line).
        """
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not (
            math.isfinite(amount) and amount > 0
        ):
            raise ValueError(f"{what} must be a finite number > 0, got {amount!r}")
        if self.budget_unit in COUNTED_UNITS and not float(amount).is_integer():
            raise ValueError(
                f"{what} {amount!r}: {self.full_id} counts its budget in {self.budget_unit}, "
                f"whole numbers; give an integer, e.g. "
                + " or ".join(str(n) for n in sorted({max(1, math.floor(amount)),
                                                      math.ceil(amount)}))
            )
        return float(amount)

    def make_env(self, instance: Instance, **overrides: Any):
        """``gymnasium.make(env_id, **env_kwargs(instance), **overrides)`` for this instance."""
        if self.env_id is None:
            raise ValueError(f"benchmark {self.full_id} has no env (env_id is None)")
        import gymnasium as gym

        import mathgym  # noqa: F401  (registers the mathgym/* env ids)

        kwargs = dict(self.env_kwargs(instance))
        kwargs.update(overrides)
        return gym.make(self.env_id, **kwargs)

    def check(self, instance: Instance, certificate: Any) -> Verdict:
        """Run the verifier, turning any exception it raises into a rejecting :class:`Verdict`."""
        if certificate is None:
            return Verdict(False, "no certificate")
        try:
            verdict = self.verify(instance, certificate)
        except Exception as err:  # a malformed certificate must not crash the harness
            return Verdict(False, f"verifier raised {type(err).__name__}: {err}")
        if isinstance(verdict, Verdict):
            return verdict
        return Verdict(bool(getattr(verdict, "ok", verdict)), str(getattr(verdict, "reason", "")))

    def summary(self) -> dict[str, Any]:
        """JSON-ready header of this benchmark as stored in results files."""
        return {
            "id": self.id,
            "version": self.version,
            "content_hash": self.content_hash,
            "num_instances": len(self.instances),
            "budget_unit": self.budget_unit,
            "env_id": self.env_id,
            "strata": list(self.strata),
        }


def parse_benchmark_spec(spec: str) -> tuple[str, int | None]:
    """Split ``"ac/ms1190@1"`` into ``("ac/ms1190", 1)``; no ``@`` gives version ``None``."""
    if not isinstance(spec, str) or not spec:
        raise ValueError(
            f"benchmark spec must be a non-empty string like 'ac/ms1190@1', got {spec!r}"
        )
    name, sep, version = spec.partition("@")
    if not sep:
        return name, None
    if not version.isdigit():
        raise ValueError(f"benchmark spec {spec!r}: the version after '@' must be an integer")
    return name, int(version)

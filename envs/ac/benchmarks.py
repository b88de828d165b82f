"""Andrews–Curtis benchmarks for the harness: ``ac/ms1190``, ``ac/ak`` and ``ac/quick``.

Certificate format (all three): a JSON list of AC-Solver move ids (ints in ``0..11`` for two
generators), applied in order from the instance's presentation under its relator-length cap
``data["max_relator_length"]`` without cyclic reduction (a move whose reduced result would exceed
the cap is a no-op, as in the env). It is accepted when the final presentation is trivial.
The verifier is :func:`mathgym.verifiers.ac.verify_ac_path` (plain Python replay; never the
numba kernels).

Budget unit: ``search_nodes`` = presentations generated. A search agent counts unique states
generated including the start (AC-Solver's count), and every precomputed table it consults (a
bidirectional search's backward ball) too; an agent acting in the env counts one per env step.
A run's budget is a hard cap per attempt: a solution that cost more is not counted. Claims are
checked at submission: a path of ``k`` moves cannot have cost less than ``k``
(:func:`min_cost`: each move reaches a new generated state, or is an env step), and an unsolved
attempt may overshoot the budget by at most :data:`BUDGET_OVERSHOOT` states (a search checks
its budget after each full expansion of up to 12 children, as AC-Solver's does).

Instance data (JSON): ``presentation`` (text, round-trips through ``Presentation.parse``),
``relators`` (lists of signed generator ids: 1 = x, 2 = y, negative = inverse),
``max_relator_length`` (the cap) and the family parameters (``n``, ``w`` for Miller–Schupp).

- ``ac/ms1190``: the 1190 Miller–Schupp presentations MS(n, w), n = 1..7, |w| <= 7, in
  AC-Solver's order, ids ``ms-0000`` .. ``ms-1189``; cap ``ms_max_relator_length(n)`` =
  ``2 * max(2n + 3, 8) + 2``; strata ``n`` and ``w_len``.
- ``ac/ak``: Akbulut–Kirby AK(n) = <x, y | x^n y^-(n+1), xyx y^-1 x^-1 y^-1>, n = 2..7, ids
  ``ak-2`` .. ``ak-7``. Cap ``2n + 3`` (the first relator's length plus two). It is tight on
  purpose: AK(2) is known to be AC-trivial within cap 7 (the demo replays such a path), while
  AK(3) is the famous open case, so the interesting question is what a budget finds under a
  small, fixed cap. A different cap is a different benchmark (new version or id).
- ``ac/quick``: 10 of the ms1190 instances (for each n = 1..5 the first with |w| = 1 and the
  first with |w| = 4; same ids and caps) for the demo and tests; tag ``quick``.
"""

from __future__ import annotations

import functools
from typing import Any

from mathgym.harness.benchmark import Benchmark, Instance, Verdict

AC_ENV_ID = "mathgym/AC-v0"
#: Episode length of the env built for env-acting agents (random walk restart period).
ENV_HORIZON = 200
NUM_GENERATORS = 2
MS_VERSION = 1
AK_VERSION = 1
QUICK_VERSION = 1
QUICK_W_LENS = (1, 4)
QUICK_NS = (1, 2, 3, 4, 5)
AK_NS = (2, 3, 4, 5, 6, 7)
#: States an unsolved search may generate past its budget (the rest of its last expansion).
BUDGET_OVERSHOOT = 11


def ak_max_relator_length(n: int) -> int:
    """Relator-length cap of AK(n) in ``ac/ak``: ``2n + 3`` (7 for AK(2))."""
    return 2 * n + 3


def _instance(iid: str, presentation: Any, cap: int, strata: dict[str, Any],
              extra: dict[str, Any]) -> Instance:
    relators = [list(map(int, r)) for r in presentation.relators]
    data = {"presentation": str(presentation), "relators": relators, "max_relator_length": cap}
    data.update(extra)
    return Instance(iid, data, strata)


def verify_certificate(instance: Instance, certificate: Any) -> Verdict:
    """Replay the move list from the instance under its cap; ok iff it ends trivial."""
    from mathgym.envs.ac.moves import num_moves
    from mathgym.verifiers.ac import verify_ac_path

    if not isinstance(certificate, list):
        return Verdict(False, f"certificate must be a list of move ids, got "
                              f"{type(certificate).__name__}")
    n_moves = num_moves(NUM_GENERATORS)
    for pos, move in enumerate(certificate):
        if isinstance(move, bool) or not isinstance(move, int):
            return Verdict(False, f"move at position {pos} is {move!r}, not an int move id")
        if not 0 <= move < n_moves:
            return Verdict(False, f"move id {move} at position {pos} is out of range "
                                  f"0..{n_moves - 1}")
    relators = tuple(tuple(r) for r in instance.data["relators"])
    result = verify_ac_path(relators, certificate, int(instance.data["max_relator_length"]))
    if result.ok:
        return Verdict(True)
    return Verdict(False, result.reason or "the path does not reach the trivial presentation")


def min_cost(instance: Instance, certificate: Any) -> float:
    """The least cost of finding ``certificate``: one generated state (or env step) per move."""
    if not isinstance(certificate, list):
        raise ValueError(f"certificate must be a list of move ids, got "
                         f"{type(certificate).__name__}")
    return float(len(certificate))


def env_kwargs(instance: Instance) -> dict[str, Any]:
    """Keyword arguments of ``mathgym/AC-v0`` for one instance (its presentation and cap)."""
    return {
        "presentation": instance.data["presentation"],
        "max_relator_length": int(instance.data["max_relator_length"]),
        "horizon": ENV_HORIZON,
    }


@functools.lru_cache(maxsize=1)
def _ms_instances() -> tuple[Instance, ...]:
    from mathgym.envs.ac.datasets import miller_schupp, ms_max_relator_length

    out = []
    for idx, ms in enumerate(miller_schupp()):
        w = [int(x) for x in ms.w]
        out.append(_instance(
            f"ms-{idx:04d}", ms.presentation, ms_max_relator_length(ms.n),
            {"n": int(ms.n), "w_len": len(w)}, {"n": int(ms.n), "w": w},
        ))
    return tuple(out)


def _ac_benchmark(bid: str, version: int, description: str, instances, default_budget: float,
                  strata: tuple[str, ...], tags: tuple[str, ...] = ()) -> Benchmark:
    return Benchmark(
        id=bid,
        version=version,
        description=description,
        instances=tuple(instances),
        budget_unit="search_nodes",
        default_budget=default_budget,
        env_id=AC_ENV_ID,
        env_kwargs=env_kwargs,
        verify=verify_certificate,
        min_cost=min_cost,
        budget_overshoot=BUDGET_OVERSHOOT,
        strata=strata,
        tags=tags,
    )


def ms1190() -> Benchmark:
    """The 1190 Miller–Schupp presentations at AC-Solver's caps."""
    return _ac_benchmark(
        "ac/ms1190", MS_VERSION,
        "1190 Miller-Schupp presentations MS(n, w), n <= 7, |w| <= 7, at caps "
        "2*max(2n+3, 8)+2. Budget: search nodes (states generated; one per env step).",
        _ms_instances(), 1_000_000, ("n", "w_len"),
    )


def ak() -> Benchmark:
    """AK(2) .. AK(7) at cap 2n + 3."""
    from mathgym.envs.ac.datasets import akbulut_kirby

    instances = [
        _instance(f"ak-{n}", akbulut_kirby(n), ak_max_relator_length(n), {"n": n}, {"n": n})
        for n in AK_NS
    ]
    return _ac_benchmark(
        "ac/ak", AK_VERSION,
        "Akbulut-Kirby AK(2)..AK(7) at cap 2n+3 (AK(2) is solvable within cap 7; AK(3) is "
        "open). Budget: search nodes (states generated; one per env step).",
        instances, 1_000_000, ("n",),
    )


def quick() -> Benchmark:
    """Ten Miller–Schupp instances (|w| = 1 and 4 for n = 1..5) for the demo and tests."""
    chosen = []
    for n in QUICK_NS:
        for w_len in QUICK_W_LENS:
            chosen.append(next(inst for inst in _ms_instances()
                               if inst.strata["n"] == n and inst.strata["w_len"] == w_len))
    return _ac_benchmark(
        "ac/quick", QUICK_VERSION,
        "10 Miller-Schupp instances of ac/ms1190 (for n = 1..5, the first with |w| = 1 and "
        "the first with |w| = 4), same ids and "
        "caps, for the demo and tests. Budget: search nodes (one per env step).",
        chosen, 10_000, ("n", "w_len"), tags=("quick",),
    )


BENCHMARKS = {"ac/ms1190": ms1190, "ac/ak": ak, "ac/quick": quick}

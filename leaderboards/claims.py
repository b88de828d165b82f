"""What a results file claims about budget and cost, checked instead of trusted.

A leaderboard ranks solve rate first and budget second, so a file that lies about its budget or
its costs could rank above honest runs with the same certificates. ``mathgym submit`` therefore
refuses a file unless, for every record:

- the budget is a finite number > 0, a whole number for counted units (``search_nodes``,
  ``env_steps``, ``samples``, ``tokens``; only ``seconds`` may be fractional);
- every cost is a finite number >= 0 (never a bool, a string, NaN or Infinity);
- a solved record's cost is at most the budget (no overshoot is allowed for a counted solution,
  as in the harness), and an unsolved record's cost at most the budget plus the benchmark's
  documented overshoot (``Benchmark.budget_overshoot``: e.g. an AC search checks its budget only
  after a full expansion, so it may generate up to 11 states past it before it stops);
- a solved record's cost is at least ``Benchmark.min_cost(instance, certificate)``, the least
  any agent could have spent to find that certificate (an AC path of ``k`` moves needs ``k``
  generated states; an answer needs one sample).

Each check returns a list of problems (``"instance X seed S: ..."``) so a rejection names every
offending record at once.
"""

from __future__ import annotations

import math
from typing import Any

#: Budget units counted in whole numbers; a fractional budget in one of them is refused.
COUNTED_UNITS = ("search_nodes", "env_steps", "samples", "tokens")


def is_finite_number(value: Any) -> bool:
    """True for an int or float that is finite (bools, strings and NaN/Infinity are not)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def budget_problems(amount: Any, unit: str) -> list[str]:
    """Why a run's budget cannot be taken at face value (empty list: it can)."""
    if not is_finite_number(amount):
        return [f"budget {amount!r} is not a finite number (NaN, Infinity, strings and bools "
                "are refused)"]
    if amount <= 0:
        return [f"budget {amount!r} must be > 0"]
    if unit in COUNTED_UNITS and not float(amount).is_integer():
        return [f"budget {amount!r} {unit}: this unit is counted in whole numbers; give an "
                "integer budget"]
    return []


def cost_problems(
    record: dict[str, Any], budget: float, overshoot: float, min_cost: float | None
) -> list[str]:
    """Why a record's cost claim is impossible (empty list: it is plausible).

    ``min_cost`` is the benchmark's lower bound for this record's certificate (``None``: no
    bound, or an unsolved record).
    """
    where = f"instance {record.get('instance')} seed {record.get('seed')}"
    cost = record.get("cost")
    if not is_finite_number(cost) or cost < 0:
        return [f"{where}: cost {cost!r} is not a finite number >= 0"]
    if record.get("solved"):
        if cost > budget:
            return [f"{where}: cost {cost:g} exceeds budget {budget:g}"]
        if min_cost is not None and cost < min_cost:
            return [f"{where}: cost {cost:g} is below {min_cost:g}, the least any agent could "
                    "spend to find this certificate"]
    elif cost > budget + overshoot:
        return [f"{where}: cost {cost:g} exceeds budget {budget:g} plus the benchmark's "
                f"documented overshoot {overshoot:g}"]
    return []


"""Baseline agents of the reasoning family, one file each (registered in ``AGENTS``).

- ``oracle_sympy``: solves MathQA problems from their structured facts with sympy;
- ``progsynth_random``: masked-random episodes in MathProgSynth;
- ``progsynth_search``: exhaustive search over compute graphs up to a node depth.
"""

from mathgym.agents.reasoning import oracle_sympy, progsynth_random, progsynth_search

#: Every reasoning baseline, by name (the harness reads this).
AGENTS: dict[str, type] = {
    **oracle_sympy.AGENTS,
    **progsynth_random.AGENTS,
    **progsynth_search.AGENTS,
}

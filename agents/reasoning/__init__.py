"""Baseline agents of the reasoning family, one file each (registered in ``AGENTS``).

- ``oracle_sympy``: solves MathQA problems from their structured facts with sympy;
- ``progsynth_random``: masked-random episodes in MathProgSynth;
- ``progsynth_search``: exhaustive search over compute graphs up to a node depth.
"""

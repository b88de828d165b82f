"""Exact, safe answer checking for reasoning problems (``mathgym.verifiers.math``).

Model output is never executed: answers are parsed by our own whitelisted grammar into sympy
objects and compared according to the problem's declared answer type.
"""

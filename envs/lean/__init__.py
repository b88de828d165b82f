"""Lean 4 family: a client for the Lean REPL JSON protocol and the ``mathgym/Lean-v0`` env.

Modules: :mod:`.protocol` (requests/responses as typed values), :mod:`.transport` (subprocess
``lake exe repl`` and recorded-transcript replay), :mod:`.client` (the REPL client),
:mod:`.env` (the Gymnasium environment), :mod:`.benchmarks` (harness benchmarks) and
:mod:`.cli` (``mathgym lean replay``).
"""

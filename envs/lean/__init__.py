"""Lean 4 family: a client for the Lean REPL JSON protocol and the ``mathgym/Lean-v0`` env.

Modules: :mod:`.protocol` (requests/responses as typed values, framing), :mod:`.errors`
(backend failures vs. configuration problems), :mod:`.transport` (subprocess ``lake exe
repl``, recorded-transcript replay, lean-interact), :mod:`.client` (the REPL client),
:mod:`.config` (finding the REPL; the install message), :mod:`.transcripts` (recorded
sessions and the proof episodes in them), :mod:`.env` (the Gymnasium environment),
:mod:`.benchmarks` (``formal/lean-replay``), :mod:`.cli` (``mathgym lean replay``) and
LeanDojo's interactive API: :mod:`.dojo` (``Dojo``, ``run_tac``, ``run_cmd``),
:mod:`.dojo_types` (``TacticState``, ``ProofFinished``, ``LeanError``, ...),
:mod:`.theorems` (``Theorem``, ``LeanGitRepo``) and :mod:`.goals` (``Goal``, ``parse_goals``).
See docs/lean.md.
"""

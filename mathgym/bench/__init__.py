"""Benchmarks: ``python -m mathgym.bench NAME`` prints one JSON document of measurements.

Speed is measured here, never in timed tests. Each suite is a module ``mathgym.bench.<name>``
(dashes become underscores) with ``main(argv) -> dict``.
"""

SUITES: tuple[str, ...] = ("ac", "ac-search", "reasoning", "metamath", "lean", "rl", "llm", "grpo")

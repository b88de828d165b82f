"""CLI sub-commands served by the harness: ``benchmarks``, ``agents`` and ``eval``."""

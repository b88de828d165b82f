"""CLI sub-commands served by the harness: ``benchmarks``, ``agents``, ``eval`` and ``train``."""

from __future__ import annotations


def os_error_line(err: OSError) -> str:
    """The one ``error:`` line a command prints for a file-system error: path, then reason."""
    where = f"{err.filename}: " if err.filename is not None else ""
    return f"error: {where}{err.strerror or err}"

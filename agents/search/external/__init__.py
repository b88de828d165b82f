"""External-memory BFS for AC presentations (AK(3) at caps beyond RAM): the visited set lives
on disk as sorted compressed level files, duplicates are removed by merging (Korf-style
delayed duplicate detection). Entry points: :func:`run_search`, :func:`summary`, and
``python -m mathgym.agents.search.external`` (see :mod:`.__main__`)."""

from mathgym.agents.search.external.bfs import Config, run_search, summary

__all__ = ["Config", "run_search", "summary"]

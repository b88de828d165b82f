"""The common evaluation harness: benchmarks, agents, the runner, results files and metrics.

Every environment family and every agent meets here. A family publishes benchmarks in
``mathgym.envs.<family>.benchmarks`` (``BENCHMARKS: dict[str, Callable[[], Benchmark]]``); an
agent module publishes ``AGENTS: dict[str, type]``. :mod:`mathgym.harness.registry` finds both,
:mod:`mathgym.harness.runner` evaluates an agent on a benchmark in parallel, and
:mod:`mathgym.harness.results` writes the versioned, validated results file that
``mathgym submit`` re-verifies before it enters a leaderboard.

Submodules are imported on demand: ``import mathgym.harness`` is cheap.
"""

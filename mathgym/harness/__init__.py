"""The common evaluation harness: benchmarks, agents, the runner, results files and metrics.

Every environment family and every agent meets here. A family publishes benchmarks in
``mathgym.envs.<family>.benchmarks`` (``BENCHMARKS: dict[str, Callable[[], Benchmark]]``); an
agent module publishes ``AGENTS: dict[str, type]``. :mod:`mathgym.harness.registry` finds both,
:mod:`mathgym.harness.runner` evaluates an agent on a benchmark in parallel, and
:mod:`mathgym.harness.results` writes the versioned, validated results file that
``mathgym submit`` re-verifies before it enters a leaderboard. Integrity:
:mod:`mathgym.harness.views` (agents see the task, not the answer; privileged oracles),
:mod:`mathgym.harness.sealed` and :mod:`mathgym.harness.remote_env` (splits drawn from a secret
agents never hold), :mod:`mathgym.harness.outdir` (one locked writer per output folder).

Submodules are imported on demand: ``import mathgym.harness`` is cheap.
"""

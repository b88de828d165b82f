"""The evaluation runner behind ``mathgym eval``: one agent, one benchmark, many seeds, in parallel.

Work items are (instance, seed) pairs. Each worker process builds the benchmark and the agent
once (from their registry names, so nothing unpicklable crosses process boundaries), runs
``agent.attempt``, and verifies a claimed solution with ``benchmark.verify`` right there: a
record counts as solved only when its certificate checks out and its cost is within budget.

Only the parent process writes. Every finished record is appended and flushed to
``OUT/attempts.jsonl`` as soon as it arrives, so a killed run restarted with ``resume=True``
skips exactly the finished pairs; ``OUT/results.json`` is written atomically at the end.

Backends: ``"multiprocessing"`` (default; a local process pool), ``"ray"`` (Ray tasks; a local
``ray.init(num_cpus=workers)`` unless ``ray_address`` or ``RAY_ADDRESS`` names a cluster) and
``"inline"`` (in this process, for debugging). All give identical records.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing as mp
import numbers
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathgym.harness.agent import Attempt, agent_summary
from mathgym.harness.benchmark import Benchmark, Instance, canonical_json
from mathgym.harness.environment import capture_environment, utc_now
from mathgym.harness.metrics import compute_metrics
from mathgym.harness.outdir import FS_ERRNOS, OutDirLock, check_reuse, io_error
from mathgym.harness.registry import EXTRA_MODULES_ENV, get_agent, get_benchmark
from mathgym.harness.results import (
    RESULTS_KIND,
    SCHEMA_VERSION,
    AttemptLog,
    write_results,
)
from mathgym.harness.views import BenchmarkView, agent_arguments, is_privileged

BACKENDS: tuple[str, ...] = ("multiprocessing", "ray", "inline")
LOG_NAME = "attempts.jsonl"
RESULTS_NAME = "results.json"


@dataclass
class EvalConfig:
    """Everything that defines an evaluation run (the CLI flags of ``mathgym eval``)."""

    benchmark: str
    agent: str
    out: str | os.PathLike[str]
    agent_config: dict[str, Any] = field(default_factory=dict)
    budget: float | None = None
    seeds: Sequence[int] = (0,)
    workers: int = 1
    backend: str = "multiprocessing"
    resume: bool = False
    limit: int | None = None
    instances: Sequence[str] | None = None
    progress: bool = True
    ray_address: str | None = None
    attempt_timeout: float | None = None
    sealed_secret: str | os.PathLike[str] | None = None
    worker_user: str | None = None


def to_json_ready(obj: Any, strict: bool = True) -> Any:
    """Convert tuples and numpy values to plain JSON types; ``strict`` rejects anything else."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        if strict:
            raise TypeError(f"{obj!r} is not a finite number (strict JSON has no NaN/Infinity)")
        return repr(obj)
    if isinstance(obj, dict):
        return {str(k): to_json_ready(v, strict) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json_ready(v, strict) for v in obj]
    tolist = getattr(obj, "tolist", None)  # numpy scalars and arrays
    if callable(tolist) and type(obj).__module__ == "numpy":
        return to_json_ready(tolist(), strict)
    if strict:
        raise TypeError(f"{type(obj).__name__} value {obj!r} is not JSON-ready")
    return repr(obj)


def _number(x: float) -> float | int:
    x = float(x)
    return int(x) if x.is_integer() else x


# ----------------------------------------------------------------------------- worker side
_AGENT_CACHE: dict[tuple[str, str], Any] = {}


def _agent(name: str, config: dict[str, Any]) -> Any:
    key = (name, canonical_json(config))
    if key not in _AGENT_CACHE:
        _AGENT_CACHE[key] = get_agent(name, **config)
    return _AGENT_CACHE[key]


def _call_agent(
    agent: Any, benchmark: Any, instance: Instance, budget: float, seed: int
) -> dict[str, Any]:
    """Run ``agent.attempt`` on what it may see; the raw, JSON-ready outcome (not verified)."""
    start = time.perf_counter()
    error = None
    try:
        attempt = agent.attempt(benchmark, instance, budget, seed)
        if not isinstance(attempt, Attempt):
            raise TypeError(f"attempt() returned {type(attempt).__name__}, not Attempt")
    except Exception as err:
        tb = traceback.format_exc(limit=-3)
        attempt = Attempt(solved=False, certificate=None, cost=0.0, info={})
        error = f"{type(err).__name__}: {err}\n{tb}"
    wall = time.perf_counter() - start
    try:
        certificate = to_json_ready(attempt.certificate)
    except TypeError as err:
        certificate, error = None, f"certificate is not JSON-ready: {err}"
    cost, problem = _valid_cost(attempt.cost)
    if problem:
        error = error or problem
    return {
        "claimed": bool(attempt.solved), "certificate": certificate, "cost": cost,
        "wall_time": round(wall, 6), "info": to_json_ready(dict(attempt.info), strict=False),
        "error": error,
    }


def _valid_cost(cost: Any) -> tuple[float, str | None]:
    """``(cost, None)`` for a finite number >= 0, else ``(0.0, why it is refused)``."""
    if isinstance(cost, bool) or not isinstance(cost, numbers.Real):
        return 0.0, (f"attempt() reported cost {cost!r} ({type(cost).__name__}): a cost is a "
                     "finite number >= 0 in the benchmark's budget unit")
    value = float(cost)
    if not math.isfinite(value) or value < 0:
        return 0.0, (f"attempt() reported cost {value!r}: a cost is a finite number >= 0 in "
                     "the benchmark's budget unit")
    return value, None


def _raw_from_worker(raw: Any) -> dict[str, Any]:
    """A worker's raw outcome, re-checked in the harness (the worker ran untrusted code)."""
    if not isinstance(raw, dict):
        raw = {"error": f"the worker returned {type(raw).__name__}, not an outcome"}
    cost, problem = _valid_cost(raw.get("cost", 0.0))
    error = raw.get("error")
    error = str(error) if error is not None else problem
    try:
        certificate = to_json_ready(raw.get("certificate"))
    except TypeError as err:
        certificate, error = None, error or f"certificate is not JSON-ready: {err}"
    wall = raw.get("wall_time", 0.0)
    info = raw.get("info")
    return {
        "claimed": raw.get("claimed") is True, "certificate": certificate, "cost": cost,
        "wall_time": wall if _valid_cost(wall)[1] is None else 0.0,
        "info": to_json_ready(info, strict=False) if isinstance(info, dict) else {},
        "error": error,
    }


def finish_record(
    benchmark: Benchmark, instance: Instance, budget: float, seed: int, raw: dict[str, Any]
) -> dict[str, Any]:
    """The stored record of one outcome: a claim counts only if the full instance's verifier
    accepts the certificate, its cost is within budget and not below ``benchmark.min_cost``."""
    record: dict[str, Any] = {
        "instance": instance.id,
        "seed": int(seed),
        "claimed": bool(raw["claimed"]),
        "solved": False,
        "certificate": raw["certificate"],
        "cost": _number(raw["cost"]),
        "wall_time": raw["wall_time"],
        "info": raw["info"],
        "error": raw["error"],
    }
    if raw["claimed"] and raw["error"] is None:
        cost = float(raw["cost"])
        verdict = benchmark.check(instance, raw["certificate"])
        if not verdict.ok:
            record["verdict"] = f"certificate rejected: {verdict.reason}"
        elif cost > float(budget):
            record["verdict"] = f"cost {cost:g} exceeds the budget {float(budget):g}"
        else:
            try:
                floor = benchmark.cost_floor(instance, raw["certificate"])
            except ValueError as err:
                record["verdict"] = f"min_cost failed: {err}"
            else:
                if cost < floor:
                    record["verdict"] = (
                        f"cost {cost:g} is below {floor:g} {benchmark.budget_unit}, the least "
                        "any agent could have spent to find this certificate (min_cost)")
                else:
                    record["solved"] = True
    return record


def run_attempt(
    benchmark: Benchmark, agent: Any, instance: Instance, budget: float, seed: int
) -> dict[str, Any]:
    """Run one attempt and verify it; returns the JSON-ready record stored in results.

    ``instance`` is the full instance. The agent gets what it may see: views of the benchmark
    and the instance (:func:`mathgym.harness.views.agent_arguments`) unless it declares
    ``privileged = True``; the record is verified against the full instance. A budget the
    benchmark's unit cannot count (1.5 search nodes) is a ``ValueError``, not rounded later.
    """
    budget = benchmark.check_budget(budget)
    seen_benchmark, seen_instance = agent_arguments(benchmark, agent, instance)
    raw = _call_agent(agent, seen_benchmark, seen_instance, budget, seed)
    return finish_record(benchmark, instance, budget, seed, raw)


def _task(
    benchmark_spec: str, agent_name: str, agent_config: dict[str, Any], budget: float,
    instance_id: str, seed: int,
) -> dict[str, Any]:
    benchmark = get_benchmark(benchmark_spec)
    return run_attempt(
        benchmark, _agent(agent_name, agent_config), benchmark.instance(instance_id), budget, seed
    )


#: The view a sealed-split worker serves (set once per worker by ``_worker_init``).
_WORKER_VIEW: list[BenchmarkView] = []


def _sealed_task(
    agent_name: str, agent_config: dict[str, Any], budget: float, instance_id: str, seed: int,
) -> dict[str, Any]:
    """Worker side of a sealed split: the agent on views; the harness verifies the outcome."""
    view = _WORKER_VIEW[0]
    raw = _call_agent(_agent(agent_name, agent_config), view, view.instance(instance_id),
                      budget, seed)
    return {"instance": instance_id, "seed": int(seed), "raw": raw}


def _describe_agent(agent_name: str, agent_config: dict[str, Any]) -> dict[str, Any]:
    """Worker side of a sealed split: what the harness needs to know about the agent."""
    view = _WORKER_VIEW[0]
    try:
        agent = _agent(agent_name, agent_config)
        return {"summary": agent_summary(agent), "privileged": is_privileged(agent),
                "module": type(agent).__module__, "supports": bool(agent.supports(view))}
    except Exception as err:
        return {"error": f"{type(err).__name__}: {err}" if not isinstance(err, ValueError)
                else str(err)}


def _worker_init(lock_fd: int | None, user: tuple[int, int] | None,
                 view: BenchmarkView | None = None) -> None:
    """Pool worker start: let go of the --out lock (it must die with the harness, not with an
    orphaned worker); on a sealed split keep the view it serves (sent once per worker, not per
    task) and, when the harness runs as root, become the unprivileged worker user."""
    if view is not None:
        _WORKER_VIEW[:] = [view]
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)
    if user is not None:
        uid, gid = user
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


# ----------------------------------------------------------------------------- parent side
def select_instances(
    benchmark: Benchmark, ids: Sequence[str] | None = None, limit: int | None = None
) -> list[Instance]:
    """Instances in benchmark order, restricted to ``ids`` (all must exist), first ``limit``."""
    chosen = list(benchmark.instances)
    if ids:
        unknown = [i for i in ids if i not in {inst.id for inst in chosen}]
        if unknown:
            raise ValueError(
                f"--instances: {benchmark.full_id} has no instance(s) {unknown[:5]}; "
                f"ids look like {chosen[0].id!r} (see `mathgym benchmarks --show {benchmark.id}`)"
            )
        wanted = set(ids)
        chosen = [inst for inst in chosen if inst.id in wanted]
    if limit is not None:
        if limit < 1:
            raise ValueError(f"--limit must be >= 1, got {limit}")
        chosen = chosen[:limit]
    return chosen


@dataclass(frozen=True)
class _Task:
    """One work item: ``fn(*args)`` in a worker yields the record (or raw outcome) of ``key``."""

    key: tuple[str, int]
    fn: Callable[..., dict[str, Any]]
    args: tuple


@dataclass(frozen=True)
class _Pool:
    """How pool workers start: process context, and what ``_worker_init`` gets."""

    ctx: Any
    lock_fd: int | None = None
    user: tuple[int, int] | None = None
    view: BenchmarkView | None = None

    def make(self, workers: int) -> Any:
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=workers, mp_context=self.ctx,
                                   initializer=_worker_init,
                                   initargs=(self.lock_fd, self.user, self.view))


def _failed_record(task: _Task, error: str) -> dict[str, Any]:
    """Record of an attempt that produced no result (worker died, or timed out)."""
    instance_id, seed = task.key
    return {
        "instance": instance_id, "seed": int(seed), "claimed": False, "solved": False,
        "certificate": None, "cost": 0, "wall_time": 0.0, "info": {}, "error": error,
    }


_DIED = ("the worker process died running this attempt, also when retried alone "
         "(segfault, out of memory or killed)")


def _kill_pool(pool: Any) -> None:
    """Terminate every worker of a ProcessPoolExecutor (a hung attempt cannot be cancelled)."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _iter_multiprocessing(
    tasks: list[_Task], workers: int, timeout: float | None, pool_spec: _Pool
) -> Iterator[dict[str, Any]]:
    """Run tasks on a process pool that survives dying and hung workers.

    Without ``timeout`` at most ``2 * workers`` tasks are in flight; with it, exactly
    ``workers`` (so each one's clock starts when it starts). When a worker dies (the pool
    breaks), the tasks that were in flight are retried one at a time in a fresh one-process
    pool: a task that kills its worker even alone is recorded as an error, the others finish
    normally. An attempt running longer than ``timeout`` seconds is recorded as an error, the
    pool is killed, and the other in-flight attempts are run again on a new pool.
    """
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    window = workers if timeout else 2 * workers
    todo = list(reversed(tasks))
    while todo:
        suspects: list[_Task] = []
        pool = pool_spec.make(workers)
        running: dict[Any, _Task] = {}
        started: dict[Any, float] = {}
        hung = False
        try:
            while (todo or running) and not suspects and not hung:
                while todo and len(running) < window:
                    task = todo.pop()
                    fut = pool.submit(task.fn, *task.args)
                    running[fut], started[fut] = task, time.monotonic()
                done, _ = wait(running, timeout=0.5 if timeout else None,
                               return_when=FIRST_COMPLETED)
                for fut in done:
                    task = running.pop(fut)
                    try:
                        record = fut.result()
                    except BrokenProcessPool:
                        suspects.append(task)
                        continue
                    yield record
                if timeout and not suspects:
                    now = time.monotonic()
                    for fut in [f for f in running if now - started[f] > timeout]:
                        hung = True
                        yield _failed_record(
                            running.pop(fut), f"attempt timed out after {timeout:g} s "
                            "(--attempt-timeout); its worker was killed")
            if hung:
                todo.extend(reversed(list(running.values())))  # innocent: run them again
            else:
                suspects += list(running.values())
        finally:
            if hung:
                _kill_pool(pool)
            else:
                pool.shutdown(wait=not suspects, cancel_futures=True)
        for task in suspects:
            solo = pool_spec.make(1)
            try:
                fut = solo.submit(task.fn, *task.args)
                yield fut.result(timeout=timeout)
            except BrokenProcessPool:
                yield _failed_record(task, _DIED)
            except TimeoutError:
                yield _failed_record(task, f"attempt timed out after {timeout:g} s "
                                           "(--attempt-timeout); its worker was killed")
                _kill_pool(solo)
            finally:
                solo.shutdown(wait=False, cancel_futures=True)


def _iter_inline(tasks: list[_Task]) -> Iterator[dict[str, Any]]:
    for t in tasks:
        yield t.fn(*t.args)


def _iter_ray(tasks: list[_Task], workers: int, address: str | None) -> Iterator[dict[str, Any]]:
    import ray

    started_here = False
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        env_vars = {EXTRA_MODULES_ENV: os.environ[EXTRA_MODULES_ENV]} if os.environ.get(
            EXTRA_MODULES_ENV) else {}
        if env_vars.get(EXTRA_MODULES_ENV):
            env_vars["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        runtime_env = {"env_vars": env_vars} if env_vars else None
        if address:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        else:
            ray.init(
                num_cpus=workers, include_dashboard=False, runtime_env=runtime_env,
                log_to_driver=False, configure_logging=False,
            )
        started_here = True
    try:
        remote = ray.remote(num_cpus=1, max_retries=2)(_task)
        pending = [remote.remote(*t.args) for t in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started_here:
            ray.shutdown()


def _log_header(
    benchmark: Benchmark, agent_info: dict[str, Any], budget: float, seeds: Sequence[int]
) -> dict[str, Any]:
    return {
        "benchmark": benchmark.full_id,
        "content_hash": benchmark.content_hash,
        "agent": agent_info,
        "budget": _number(budget),
        "seeds": [int(s) for s in seeds],
    }


def build_results(
    benchmark: Benchmark,
    agent_info: dict[str, Any],
    budget: float,
    seeds: Sequence[int],
    instances: Sequence[Instance],
    records: Sequence[dict[str, Any]],
    environment: dict[str, Any],
    run: dict[str, Any],
    sealed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble a results document (records ordered by instance order, then seed).

    ``sealed`` (``{"secret_sha256": ...}``) marks a sealed split: it is stored as
    ``benchmark.sealed`` and the env kwargs (which hold the secret seed) are left out.
    """
    order = {inst.id: i for i, inst in enumerate(instances)}
    wanted = [r for r in records if r["instance"] in order and int(r["seed"]) in set(seeds)]
    wanted.sort(key=lambda r: (order[r["instance"]], int(r["seed"])))
    env_kwargs = {}
    if benchmark.env_id is not None and sealed is None:
        for inst in instances:
            try:
                env_kwargs[inst.id] = to_json_ready(dict(benchmark.env_kwargs(inst)))
            except TypeError as err:
                raise ValueError(
                    f"benchmark {benchmark.full_id}: env_kwargs of {inst.id!r} is not JSON-ready: "
                    f"{err}"
                ) from None
    summary = benchmark.summary()
    if sealed is not None:
        summary["sealed"] = dict(sealed)
    return {
        "kind": RESULTS_KIND,
        "schema_version": SCHEMA_VERSION,
        "benchmark": summary,
        "env": {"id": benchmark.env_id, "kwargs": env_kwargs},
        "agent": agent_info,
        "budget": {"unit": benchmark.budget_unit, "amount": _number(budget)},
        "seeds": [int(s) for s in seeds],
        "instances": [inst.id for inst in instances],
        "results": wanted,
        "metrics": compute_metrics(wanted, instances, seeds, benchmark.strata),
        "environment": environment,
        "run": run,
    }


def _check_config(cfg: EvalConfig) -> list[int]:
    """Validate the flags that need no benchmark or agent; returns the seeds."""
    if cfg.backend not in BACKENDS:
        raise ValueError(f"--backend {cfg.backend!r}: choose one of {', '.join(BACKENDS)}")
    if cfg.attempt_timeout is not None:
        if cfg.backend != "multiprocessing":
            raise ValueError("--attempt-timeout needs the multiprocessing backend (the one "
                             "that can kill a hung attempt)")
        if not cfg.attempt_timeout > 0:
            raise ValueError(f"--attempt-timeout must be > 0 seconds, got {cfg.attempt_timeout}")
    if cfg.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {cfg.workers}")
    seeds = [int(s) for s in cfg.seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds must be distinct integers, got {list(cfg.seeds)}")
    if cfg.sealed_secret is None and cfg.worker_user is not None:
        raise ValueError("--worker-user is for sealed splits (--sealed-secret)")
    if cfg.sealed_secret is not None and cfg.backend != "multiprocessing":
        raise ValueError("a sealed split runs agents in spawned worker processes that never see "
                         "the secret: use --backend multiprocessing (not inline or ray)")
    return seeds


@dataclass
class _Plan:
    """What :func:`evaluate` runs: the benchmark, the agent as results record it, the tasks."""

    benchmark: Benchmark
    agent_info: dict[str, Any]
    tasks_for: Callable[[list[tuple[Instance, int]]], list[_Task]]
    pool: _Pool | None = None  # None: the ordinary pool (fork, inherited registry)
    sealed: dict[str, Any] | None = None
    cleanup: Callable[[], None] | None = None
    env_server: Any = None  # kept referenced: a garbage-collected manager shuts its server down


def _open_plan(cfg: EvalConfig) -> _Plan:
    """An ordinary run: benchmark and agent built here and, from their names, in each worker."""
    benchmark = get_benchmark(cfg.benchmark)
    agent = get_agent(cfg.agent, **cfg.agent_config)
    seen, _ = agent_arguments(benchmark, agent, benchmark.instances[0])
    if not agent.supports(seen):
        raise ValueError(
            f"agent {cfg.agent!r} does not support benchmark {benchmark.full_id} "
            f"(budget unit {benchmark.budget_unit}, env {benchmark.env_id})"
        )
    config = dict(cfg.agent_config)

    def tasks_for(pairs: list[tuple[Instance, int]]) -> list[_Task]:
        budget = _number(_budget(cfg, benchmark))
        return [_Task((inst.id, s), _task, (benchmark.full_id, cfg.agent, config, budget,
                                            inst.id, s)) for inst, s in pairs]

    return _Plan(benchmark, agent_summary(agent), tasks_for)


def _budget(cfg: EvalConfig, benchmark: Benchmark) -> float:
    if cfg.budget is None:
        return float(benchmark.default_budget)
    return benchmark.check_budget(cfg.budget, "--budget")


def _sealed_plan(cfg: EvalConfig) -> _Plan:
    """A sealed split: the secret stays here; agents run in spawned workers on views only."""
    from mathgym.harness.remote_env import start_env_server
    from mathgym.harness.sealed import read_secret, sealed_benchmark, secret_commitment
    from mathgym.harness.views import view_header

    secret = read_secret(cfg.sealed_secret)
    benchmark = sealed_benchmark(cfg.benchmark, secret)
    sealed = {"secret_sha256": secret_commitment(secret)}
    del secret
    user = _worker_user(cfg.worker_user)
    if user is None:
        print("warning: sealed split without --worker-user: agent workers run as this user, "
              "who can read the secret file; evaluate submitted agents with --worker-user "
              "(see docs/harness.md)", file=sys.stderr)
    server = factory = None
    if benchmark.env_id is not None:
        server, factory = start_env_server(benchmark)
    views = tuple(benchmark.public_view(inst) for inst in benchmark.instances)
    view = BenchmarkView(view_header(benchmark, sealed=True), views, factory)
    pool = _Pool(mp.get_context("spawn"), user=user, view=view)
    try:
        described = _in_worker(pool, _describe_agent, cfg.agent, dict(cfg.agent_config))
    except BaseException:
        if server is not None:
            server.shutdown()
        raise
    cleanup = server.shutdown if server is not None else None
    try:
        if "error" in described:
            raise ValueError(described["error"])
        if described["summary"].get("name") != cfg.agent:
            raise ValueError(f"agent {cfg.agent!r} describes itself as "
                             f"{described['summary'].get('name')!r}")
        if described["privileged"]:
            plan = _sealed_oracle_plan(cfg, benchmark, described, sealed, cleanup)
            plan.env_server = server
            return plan
        if not described["supports"]:
            raise ValueError(f"agent {cfg.agent!r} does not support benchmark "
                             f"{benchmark.full_id}")
    except BaseException:
        if cleanup is not None:
            cleanup()
        raise
    config = dict(cfg.agent_config)

    def tasks_for(pairs: list[tuple[Instance, int]]) -> list[_Task]:
        budget = _number(_budget(cfg, benchmark))
        return [_Task((inst.id, s), _sealed_task, (cfg.agent, config, budget, inst.id, s))
                for inst, s in pairs]

    return _Plan(benchmark, described["summary"], tasks_for, pool, sealed, cleanup, server)


def _sealed_oracle_plan(cfg: EvalConfig, benchmark: Benchmark, described: dict[str, Any],
                        sealed: dict[str, Any], cleanup: Callable[[], None] | None) -> _Plan:
    """A privileged agent on a sealed split: only mathgym's own oracles, run in the harness."""
    from mathgym.harness.registry import agent_classes

    if not described["module"].startswith("mathgym."):
        raise ValueError(
            f"agent {cfg.agent!r} declares privileged = True: on a sealed split only mathgym's "
            "own oracle agents may see full instances (a plug-in would see the secret seed)")
    cls = agent_classes(extra_modules=False).get(cfg.agent)
    if cls is None:
        raise ValueError(f"agent {cfg.agent!r} is not one of mathgym's own agents")
    agent = cls(**cfg.agent_config)
    budget = _budget(cfg, benchmark)

    def tasks_for(pairs: list[tuple[Instance, int]]) -> list[_Task]:
        return [_Task((inst.id, s), run_attempt, (benchmark, agent, inst, budget, s))
                for inst, s in pairs]

    return _Plan(benchmark, agent_summary(agent), tasks_for, None, sealed, cleanup)


def _in_worker(pool: _Pool, fn: Callable[..., Any], *args: Any) -> Any:
    executor = pool.make(1)
    try:
        return executor.submit(fn, *args).result()
    finally:
        executor.shutdown(wait=True)


def _worker_user(name: str | None) -> tuple[int, int] | None:
    """``(uid, gid)`` of ``--worker-user`` (needs root), or ``None`` without it."""
    if name is None:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ValueError(f"--worker-user {name!r}: no such user") from None
    if os.geteuid() != 0:
        raise ValueError("--worker-user needs the harness to run as root (it drops each worker "
                         f"to {name!r} before any agent code is imported)")
    if entry.pw_uid == 0:
        raise ValueError("--worker-user must not be root: agents would read the secret")
    return entry.pw_uid, entry.pw_gid


def evaluate(cfg: EvalConfig) -> dict[str, Any]:
    """Run (or resume) an evaluation and write ``OUT/attempts.jsonl`` and ``OUT/results.json``.

    Returns the results document. Raises ``ValueError`` with a readable message for an unknown
    benchmark/agent, an unsupported pair, bad selection flags or a backend name;
    :class:`~mathgym.harness.outdir.OutDirError` (a ``ValueError`` too) for an ``--out`` in use
    by another run (it is locked for the whole run), holding another run, or not writable.
    """
    seeds = _check_config(cfg)
    out = Path(cfg.out)
    plan = _sealed_plan(cfg) if cfg.sealed_secret is not None else _open_plan(cfg)
    try:
        with OutDirLock(out) as lock:
            return _run(cfg, plan, seeds, out, lock)
    except OSError as err:
        if err.errno in FS_ERRNOS and not isinstance(err, ConnectionError):
            raise io_error(out, err) from None
        raise
    finally:
        if plan.cleanup is not None:
            plan.cleanup()


def _run(cfg: EvalConfig, plan: _Plan, seeds: list[int], out: Path,
         lock: OutDirLock) -> dict[str, Any]:
    benchmark, agent_info = plan.benchmark, plan.agent_info
    budget = _budget(cfg, benchmark)
    instances = select_instances(benchmark, cfg.instances, cfg.limit)
    try:
        json.dumps(agent_info, allow_nan=False)  # the config is stored in results
    except (TypeError, ValueError) as err:
        raise ValueError(f"agent {cfg.agent!r}: config {agent_info['config']!r} is not "
                         f"JSON-ready ({err}); pass numbers, strings, lists or dicts") from None
    started = time.time()
    started_at = utc_now()
    header = _log_header(benchmark, agent_info, budget, seeds)
    check_reuse(out, header, cfg.resume, RESULTS_NAME, LOG_NAME)
    log = AttemptLog(out / LOG_NAME, header, cfg.resume)
    with log:
        resumed = len(log.records)
        pairs = [(inst, s) for inst in instances for s in seeds
                 if (inst.id, s) not in log.records]
        tasks = plan.tasks_for(pairs)
        selected = {(inst.id, s) for inst in instances for s in seeds}
        already = [r for k, r in log.records.items() if k in selected]
        solved = sum(1 for r in already if r["solved"])
        finished = len(already)
        total = len(selected)
        bar = None
        if cfg.progress:
            from tqdm import tqdm

            tqdm.monitor_interval = 0  # no monitor thread: the pool below forks
            bar = tqdm(total=total, initial=finished, desc=f"{cfg.agent} on {benchmark.id}",
                       unit="att", file=sys.stderr, dynamic_ncols=True, disable=None)
            bar.set_postfix(solved=solved, rate=f"{solved / max(finished, 1):.3f}")
        workers = min(cfg.workers, max(len(tasks), 1))
        if plan.pool is None and cfg.sealed_secret is not None:  # a mathgym oracle, sealed
            stream = _iter_inline(tasks)
        elif plan.pool is not None:
            stream = _iter_multiprocessing(tasks, workers, cfg.attempt_timeout, plan.pool)
        elif cfg.backend == "inline" or (
            cfg.backend == "multiprocessing" and workers == 1 and cfg.attempt_timeout is None
        ):
            stream = _iter_inline(tasks)
        elif cfg.backend == "multiprocessing":
            fork = sys.platform.startswith("linux")
            ctx = mp.get_context("fork" if fork else "spawn")
            stream = _iter_multiprocessing(tasks, workers, cfg.attempt_timeout,
                                           _Pool(ctx, lock_fd=lock.fd if fork else None))
        else:
            stream = _iter_ray(tasks, cfg.workers, cfg.ray_address)
        by_id = {inst.id: inst for inst in instances}
        errors = 0
        try:
            for item in stream:
                record = item
                if "raw" in item:  # a sealed worker's outcome: verified here, on the full instance
                    record = finish_record(benchmark, by_id[item["instance"]], budget,
                                           int(item["seed"]), _raw_from_worker(item["raw"]))
                log.append(record)
                finished += 1
                solved += bool(record["solved"])
                errors += record.get("error") is not None
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(solved=solved, rate=f"{solved / finished:.3f}")
        finally:
            if bar is not None:
                bar.close()
        records = list(log.records.values())
    if errors:
        print(f"warning: {errors} attempt(s) raised; see 'error' in {out / LOG_NAME}",
              file=sys.stderr)
    wall = time.time() - started
    environment = capture_environment()
    environment["wall_time"] = round(wall, 3)
    run = {
        "backend": cfg.backend,
        "workers": cfg.workers,
        "started_at": started_at,
        "finished_at": utc_now(),
        "wall_time": round(wall, 3),
        "resumed_records": resumed,
        "selection": {"limit": cfg.limit, "instances": list(cfg.instances or [])},
        "complete_benchmark": len(instances) == len(benchmark.instances),
    }
    doc = build_results(benchmark, agent_info, budget, seeds, instances, records, environment,
                        run, plan.sealed)
    write_results(out / RESULTS_NAME, doc)
    return doc

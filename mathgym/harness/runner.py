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

import json
import multiprocessing as mp
import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathgym.harness.agent import Attempt, agent_summary
from mathgym.harness.benchmark import Benchmark, Instance, canonical_json
from mathgym.harness.environment import capture_environment, utc_now
from mathgym.harness.metrics import compute_metrics
from mathgym.harness.registry import EXTRA_MODULES_ENV, get_agent, get_benchmark
from mathgym.harness.results import (
    RESULTS_KIND,
    SCHEMA_VERSION,
    AttemptLog,
    write_results,
)

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


def to_json_ready(obj: Any, strict: bool = True) -> Any:
    """Convert tuples and numpy values to plain JSON types; ``strict`` rejects anything else."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | float):
        return obj
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


def run_attempt(
    benchmark: Benchmark, agent: Any, instance: Instance, budget: float, seed: int
) -> dict[str, Any]:
    """Run one attempt and verify it; returns the JSON-ready record stored in results."""
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
    cost = float(attempt.cost)
    record: dict[str, Any] = {
        "instance": instance.id,
        "seed": int(seed),
        "claimed": bool(attempt.solved),
        "solved": False,
        "certificate": certificate,
        "cost": _number(max(cost, 0.0)),
        "wall_time": round(wall, 6),
        "info": to_json_ready(dict(attempt.info), strict=False),
        "error": error,
    }
    if attempt.solved and error is None:
        verdict = benchmark.check(instance, certificate)
        if not verdict.ok:
            record["verdict"] = f"certificate rejected: {verdict.reason}"
        elif cost > float(budget):
            record["verdict"] = f"cost {cost:g} exceeds the budget {float(budget):g}"
        else:
            record["solved"] = True
    return record


def _task(
    benchmark_spec: str, agent_name: str, agent_config: dict[str, Any], budget: float,
    instance_id: str, seed: int,
) -> dict[str, Any]:
    benchmark = get_benchmark(benchmark_spec)
    return run_attempt(
        benchmark, _agent(agent_name, agent_config), benchmark.instance(instance_id), budget, seed
    )


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


def _failed_record(task: tuple, error: str) -> dict[str, Any]:
    """Record of an attempt that produced no result (worker died, or timed out)."""
    _, _, _, _, instance_id, seed = task
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
    tasks: list[tuple], workers: int, timeout: float | None = None
) -> Iterator[dict[str, Any]]:
    """Run tasks on a process pool that survives dying and hung workers.

    Without ``timeout`` at most ``2 * workers`` tasks are in flight; with it, exactly
    ``workers`` (so each one's clock starts when it starts). When a worker dies (the pool
    breaks), the tasks that were in flight are retried one at a time in a fresh one-process
    pool: a task that kills its worker even alone is recorded as an error, the others finish
    normally. An attempt running longer than ``timeout`` seconds is recorded as an error, the
    pool is killed, and the other in-flight attempts are run again on a new pool.
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    window = workers if timeout else 2 * workers
    todo = list(reversed(tasks))
    while todo:
        suspects: list[tuple] = []
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        running: dict[Any, tuple] = {}
        started: dict[Any, float] = {}
        hung = False
        try:
            while (todo or running) and not suspects and not hung:
                while todo and len(running) < window:
                    task = todo.pop()
                    fut = pool.submit(_task, *task)
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
            solo = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
            try:
                fut = solo.submit(_task, *task)
                yield fut.result(timeout=timeout)
            except BrokenProcessPool:
                yield _failed_record(task, _DIED)
            except TimeoutError:
                yield _failed_record(task, f"attempt timed out after {timeout:g} s "
                                           "(--attempt-timeout); its worker was killed")
                _kill_pool(solo)
            finally:
                solo.shutdown(wait=False, cancel_futures=True)


def _iter_inline(tasks: list[tuple]) -> Iterator[dict[str, Any]]:
    for t in tasks:
        yield _task(*t)


def _iter_ray(tasks: list[tuple], workers: int, address: str | None) -> Iterator[dict[str, Any]]:
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
        pending = [remote.remote(*t) for t in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started_here:
            ray.shutdown()


def _log_header(
    benchmark: Benchmark, agent: Any, budget: float, seeds: Sequence[int]
) -> dict[str, Any]:
    return {
        "benchmark": benchmark.full_id,
        "content_hash": benchmark.content_hash,
        "agent": agent_summary(agent),
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
) -> dict[str, Any]:
    """Assemble a results document (records ordered by instance order, then seed)."""
    order = {inst.id: i for i, inst in enumerate(instances)}
    wanted = [r for r in records if r["instance"] in order and int(r["seed"]) in set(seeds)]
    wanted.sort(key=lambda r: (order[r["instance"]], int(r["seed"])))
    env_kwargs = {}
    if benchmark.env_id is not None:
        for inst in instances:
            try:
                env_kwargs[inst.id] = to_json_ready(dict(benchmark.env_kwargs(inst)))
            except TypeError as err:
                raise ValueError(
                    f"benchmark {benchmark.full_id}: env_kwargs of {inst.id!r} is not JSON-ready: "
                    f"{err}"
                ) from None
    return {
        "kind": RESULTS_KIND,
        "schema_version": SCHEMA_VERSION,
        "benchmark": benchmark.summary(),
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


def evaluate(cfg: EvalConfig) -> dict[str, Any]:
    """Run (or resume) an evaluation and write ``OUT/attempts.jsonl`` and ``OUT/results.json``.

    Returns the results document. Raises ``ValueError`` with a readable message for an unknown
    benchmark/agent, an unsupported pair, bad selection flags or a backend name.
    """
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
    benchmark = get_benchmark(cfg.benchmark)
    agent = get_agent(cfg.agent, **cfg.agent_config)
    if not agent.supports(benchmark):
        raise ValueError(
            f"agent {cfg.agent!r} does not support benchmark {benchmark.full_id} "
            f"(budget unit {benchmark.budget_unit}, env {benchmark.env_id})"
        )
    budget = float(cfg.budget if cfg.budget is not None else benchmark.default_budget)
    if not budget > 0:
        raise ValueError(f"--budget must be > 0, got {budget:g}")
    instances = select_instances(benchmark, cfg.instances, cfg.limit)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    started_at = utc_now()
    agent_info = agent_summary(agent)
    try:
        json.dumps(agent_info)  # the config is stored in results: it must be JSON-ready
    except TypeError as err:
        raise ValueError(f"agent {cfg.agent!r}: config {agent_info['config']!r} is not "
                         f"JSON-ready ({err}); pass numbers, strings, lists or dicts") from None
    log = AttemptLog(out / LOG_NAME, _log_header(benchmark, agent, budget, seeds), cfg.resume)
    with log:
        resumed = len(log.records)
        budget_arg = _number(budget)
        tasks = [
            (benchmark.full_id, cfg.agent, dict(cfg.agent_config), budget_arg, inst.id, s)
            for inst in instances
            for s in seeds
            if (inst.id, s) not in log.records
        ]
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
        if cfg.backend == "inline" or (
            cfg.backend == "multiprocessing" and workers == 1 and cfg.attempt_timeout is None
        ):
            stream = _iter_inline(tasks)
        elif cfg.backend == "multiprocessing":
            stream = _iter_multiprocessing(tasks, workers, cfg.attempt_timeout)
        else:
            stream = _iter_ray(tasks, cfg.workers, cfg.ray_address)
        errors = 0
        try:
            for record in stream:
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
    doc = build_results(benchmark, agent_info, budget, seeds, instances, records, environment, run)
    write_results(out / RESULTS_NAME, doc)
    return doc

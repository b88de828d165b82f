"""The expert-iteration loop: search -> new verified (and shortened) paths -> retrain, by round.

Design note
-----------
Rounds. Round 0 trains the first networks (on the pinned corpus, or seeded untrained ones
with ``corpus=false``). Round ``r >= 1``:

1. **search** every target presentation this run has not solved yet with ``ac-guided``
   (:class:`~mathgym.agents.search.guided.agent.GuidedAgent`) on round ``r - 1``'s networks,
   ``--budget`` nodes each, through the harness's own :func:`~mathgym.harness.runner.
   run_attempt` (the benchmark's verifier and budget check decide what counts as solved);
2. **data**: each new verified path, and its BFS-shortened version (:mod:`.shorten`) when that
   is shorter, joins the data (``round-r/data.json``);
3. **retrain** one network per fold with :func:`mathgym.agents.search.guided.net.train` on the
   corpus (if ``corpus``) plus every new path so far (from scratch, seeded: ``net.train`` has
   no warm-start argument);
4. **results**: ``round-r/results.json`` is a harness results file (the format ``mathgym
   eval`` writes) covering every instance of the benchmark: the first verified path this run
   found for it and the cost of that attempt, or the unsolved attempt of this round, or, for
   presentations outside ``limit``, an unattempted record (unsolved, cost 0). ``mathgym submit
   DIR/round-r`` re-verifies every path. ``round-r/summary.json`` records solved (new and in
   total, per n, held-out fold apart), path lengths and CPU seconds.

Fold hygiene. The network that searches a presentation of fold ``f`` never trained on a path
of fold ``f`` (k-fold, as ``ac-guided``) nor of the **held-out fold** ``H``: no network ever
trains on ``H``'s paths, so ``H``'s solves measure what transfers from other presentations'
paths alone, while the other folds' paths also train the networks of the folds around them.
Every ``round-r/nets`` is an ``ac-guided`` checkpoint directory (``manifest.json`` with
sha256 per fold): ``mathgym eval --agent ac-guided --config checkpoints=DIR/round-r/nets``.

Crash safety. A round is built in ``round-r.tmp/`` and renamed to ``round-r/`` when complete
(one atomic rename of a directory), so ``kill -9`` loses at most the round in progress;
``--resume`` removes a ``round-r.tmp/``, reloads the completed rounds and redoes the rest.
Every step is deterministic (seeded training on one thread, deterministic searches), so the
resumed run ends in the same round files as an uninterrupted one (CPU seconds aside).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from mathgym.agents.search.expert_iteration.config import Args

#: Recorded as the agent version of the round files; bump when the loop's behaviour changes.
VERSION = "1"
NAME = "ac-expert-iteration"


def _fold(iid: str, args: Args) -> int:
    from mathgym.agents.search.supermoves.corpus import fold_of

    return fold_of(iid, args.folds)


def _train_config(args: Args, seed: int) -> Any:
    from mathgym.agents.search.guided.net import TrainConfig

    return TrainConfig(hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size,
                       learning_rate=args.learning_rate, value_coef=args.value_coef, seed=seed)


def _dataset(paths: dict[str, list[list[int]]], problems: dict[str, tuple[Any, int]]) -> Any:
    """Examples (guided/dataset.py's layout) from ``paths[id]``, ids and paths sorted."""
    import numpy as np
    from mathgym.agents.search.guided.dataset import Dataset, path_states
    from mathgym.agents.search.guided.features import FEATURES, encode_states

    xs, moves, togo, ids = [], [], [], []
    for iid in sorted(paths):
        relators, cap = problems[iid]
        for path in sorted({tuple(p) for p in paths[iid]}):
            xs.append(encode_states(path_states(relators, list(path), cap), cap))
            moves.append(np.asarray(path, np.int64))
            togo.append(np.arange(len(path), 0, -1, dtype=np.float32))
            ids.extend([iid] * len(path))
    if not xs:
        return Dataset(np.zeros((0, FEATURES), np.float32), np.zeros(0, np.int64),
                       np.zeros(0, np.float32), ())
    return Dataset(np.concatenate(xs), np.concatenate(moves), np.concatenate(togo), tuple(ids))


def train_nets(folder: Path, paths: dict[str, list[list[int]]],
               problems: dict[str, tuple[Any, int]], args: Args, seed: int,
               round_index: int) -> dict[str, Any]:
    """One network per fold into ``folder`` (``fold-f.pt`` + ``manifest.json``, the layout
    ``ac-guided`` loads): fold ``f``'s trains on the paths of folds other than ``f`` and the
    held-out fold. A fold with no examples gets the seeded untrained network."""
    import torch
    from mathgym.agents.search.guided.net import PolicyValueNet, save_checkpoint, train

    from mathgym.harness.results import atomic_write_text, dumps, sha256_file

    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"folds": args.folds, "held_out_fold": args.held_out_fold,
                                "round": round_index, "nets": {}}
    for fold in range(args.folds):
        excluded = sorted({fold, args.held_out_fold})
        data = _dataset({i: p for i, p in paths.items() if _fold(i, args) not in excluded},
                        problems)
        cfg = _train_config(args, seed + 1000 * round_index + fold)
        if len(data.move):
            net, stats = train(data, cfg)
        else:
            torch.set_num_threads(1)
            torch.manual_seed(cfg.seed)
            net, stats = PolicyValueNet(cfg.hidden).eval(), {}
        stats["examples"] = int(len(data.move))
        file = folder / f"fold-{fold}.pt"
        save_checkpoint(file, net, cfg, {"held_out_fold": fold, "folds": args.folds,
                                         "excluded_folds": excluded, "round": round_index,
                                         "train": stats})
        manifest["nets"][str(fold)] = {"file": file.name, "sha256": sha256_file(file),
                                       "excluded_folds": excluded, "train": stats}
    manifest["config"] = {k: v for k, v in vars(_train_config(args, seed)).items()}
    atomic_write_text(folder / "manifest.json", dumps(manifest))
    return manifest


def _corpus_paths(args: Args) -> tuple[dict[str, list[list[int]]], dict[str, tuple[Any, int]]]:
    """The pinned, re-verified corpus (:mod:`mathgym.agents.search.supermoves.corpus`)."""
    from mathgym.agents.search.supermoves.corpus import load_corpus

    if not args.corpus:
        return {}, {}
    corpus = load_corpus()
    paths = {i: [list(p) for p in ps] for i, ps in corpus.paths.items()}
    problems = {i: (corpus.relators[i], corpus.caps[i]) for i in corpus.paths}
    return paths, problems


def _publish(tmp: Path, final: Path) -> None:
    """Make the finished round visible in one rename (then sync the parent folder)."""
    os.replace(tmp, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unattempted(bench: Any, inst: Any, budget: int, seed: int) -> dict[str, Any]:
    from mathgym.harness.runner import finish_record

    raw = {"claimed": False, "certificate": None, "cost": 0, "wall_time": 0.0,
           "info": {"attempted": False}, "error": None}
    return finish_record(bench, inst, budget, seed, raw)


def _lengths(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    return {"count": len(values), "min": min(values), "median": statistics.median(values),
            "max": max(values), "mean": round(statistics.fmean(values), 2)}


def _per_n(bench: Any, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for iid in ids:
        n = str(bench.instance(iid).data.get("n", "?"))
        counts[n] = counts.get(n, 0) + 1
    return dict(sorted(counts.items()))


def _round_doc(bench: Any, records: list[dict[str, Any]], budget: int, seed: int,
               config: dict[str, Any], round_index: int, rounds: int,
               wall: float) -> dict[str, Any]:
    from mathgym.harness.environment import capture_environment, utc_now
    from mathgym.harness.runner import build_results

    agent = {"name": NAME, "version": VERSION, "config": {**config, "round": round_index}}
    run = {"command": "train", "wall_time": round(float(wall), 3), "finished_at": utc_now()}
    doc = build_results(bench, agent, budget, [seed], list(bench.instances), records,
                        capture_environment(), run)
    doc["training"] = {"learner": NAME, "round": round_index, "rounds": rounds,
                       "steps": round_index, "finished": True}
    return doc


def run(benchmark_id: str, budget: int, seed: int, out: Path, config: dict[str, Any],
        resume: bool) -> dict[str, Any]:
    """Run (or continue) the rounds in ``out``; returns the learner block for training.json."""
    from mathgym.agents.search.expert_iteration.shorten import shorten_path
    from mathgym.agents.search.guided.agent import GuidedAgent
    from mathgym.agents.search.guided.features import MAX_CAP

    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.results import atomic_write_text, dumps, write_results
    from mathgym.harness.runner import run_attempt

    args = Args.from_config(config)
    bench = get_benchmark(benchmark_id)
    if not str(bench.id).startswith("ac/") or bench.budget_unit != "search_nodes":
        raise ValueError(f"{NAME} runs on the AC benchmarks (budget unit search_nodes), not "
                         f"{bench.full_id}")
    if args.rounds > budget:
        raise ValueError(f"{NAME}: rounds={args.rounds} exceeds --budget {budget} (the harness "
                         "reports rounds as the run's steps, at most the budget)")
    targets = list(bench.instances)[:args.limit] if args.limit else list(bench.instances)
    problems = {inst.id: (tuple(tuple(r) for r in inst.data["relators"]),
                          int(inst.data["max_relator_length"])) for inst in bench.instances}
    too_long = [i for i in (t.id for t in targets) if problems[i][1] > MAX_CAP]
    if too_long:
        raise ValueError(f"{NAME}: caps above the network's {MAX_CAP} ({too_long[:3]}); use "
                         "limit= or another benchmark")
    base_paths, base_problems = _corpus_paths(args)
    problems = {**base_problems, **problems}
    for stale in out.glob("round-*.tmp"):
        shutil.rmtree(stale)

    # ------------------------------------------------------------------ round 0: first nets
    if not (out / "round-0").is_dir():
        tmp = out / "round-0.tmp"
        t = time.process_time()
        manifest = train_nets(tmp / "nets", base_paths, problems, args, seed, 0)
        atomic_write_text(tmp / "summary.json", dumps({
            "round": 0, "train_cpu_seconds": round(time.process_time() - t, 3),
            "examples": {f: e["train"]["examples"] for f, e in manifest["nets"].items()}}))
        _publish(tmp, out / "round-0")

    # ------------------------------------------------------------------ reload finished rounds
    solved: dict[str, dict[str, Any]] = {}
    new_paths: dict[str, list[list[int]]] = {}
    done = 0
    for r in range(1, args.rounds + 1):
        folder = out / f"round-{r}"
        if not folder.is_dir():
            break
        data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
        for iid, entries in data["paths"].items():
            if _fold(iid, args) != args.held_out_fold:  # as when the round ran
                new_paths.setdefault(iid, []).extend(e["path"] for e in entries)
        doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        solved = {rec["instance"]: rec for rec in doc["results"] if rec["solved"]}
        done = r
    for leftover in range(done + 1, args.rounds + 1):  # a later round without its predecessor
        if (out / f"round-{leftover}").exists():
            raise ValueError(f"{out}/round-{leftover} exists but round-{done + 1} does not; "
                             "the folder was edited by hand: start in a fresh --out")

    # ------------------------------------------------------------------ the rounds
    for r in range(done + 1, args.rounds + 1):
        tmp = out / f"round-{r}.tmp"
        tmp.mkdir(parents=True)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        agent = GuidedAgent(checkpoints=str((out / f"round-{r - 1}" / "nets").resolve()),
                            batch=args.batch, w_pi=args.w_pi, w_len=args.w_len,
                            folds=args.folds)
        # ALGO LOGIC: search the unsolved with the current nets ----------------------------
        attempted: dict[str, dict[str, Any]] = {}
        for inst in targets:
            if inst.id in solved:
                continue
            rec = run_attempt(bench, agent, inst, budget, seed)
            if rec.get("error"):
                raise RuntimeError(f"{NAME}: round {r}, {inst.id}: {rec['error']}")
            rec["info"] = {**rec["info"], "round": r,
                           "held_out": _fold(inst.id, args) == args.held_out_fold}
            attempted[inst.id] = rec
        search_cpu = time.process_time() - cpu0
        # ALGO LOGIC: new verified paths and their BFS-shortened versions -------------------
        cpu1 = time.process_time()
        round_paths: dict[str, list[dict[str, Any]]] = {}
        for iid, rec in attempted.items():
            if not rec["solved"]:
                continue
            path = [int(m) for m in rec["certificate"]]
            entries = [{"path": path, "source": "search"}]
            if args.shorten_nodes:
                relators, cap = problems[iid]
                short = shorten_path(relators, path, cap, args.shorten_nodes)
                if len(short) < len(path):
                    entries.append({"path": short, "source": "shortened"})
            round_paths[iid] = entries
            if _fold(iid, args) != args.held_out_fold:  # H's paths are never trained on
                new_paths.setdefault(iid, []).extend(e["path"] for e in entries)
        shorten_cpu = time.process_time() - cpu1
        # ALGO LOGIC: retrain the per-fold nets on corpus + every new path so far -----------
        cpu2 = time.process_time()
        train_data = {i: list(base_paths.get(i, [])) + list(new_paths.get(i, []))
                      for i in set(base_paths) | set(new_paths)}
        manifest = train_nets(tmp / "nets", train_data, problems, args, seed, r)
        train_cpu = time.process_time() - cpu2
        # TRY NOT TO MODIFY: the round's files ----------------------------------------------
        fresh = {i: rec for i, rec in attempted.items() if rec["solved"]}
        solved = {**solved, **fresh}
        records = []
        for inst in bench.instances:
            if inst.id in solved:
                records.append(solved[inst.id])
            elif inst.id in attempted:
                records.append(attempted[inst.id])
            else:
                records.append(_unattempted(bench, inst, budget, seed))
        atomic_write_text(tmp / "data.json", dumps({"round": r, "paths": round_paths}))
        doc = _round_doc(bench, records, budget, seed, dataclasses.asdict(args), r, args.rounds,
                         time.perf_counter() - wall0)
        write_results(tmp / "results.json", doc)
        held = [i for i in solved if _fold(i, args) == args.held_out_fold]
        held_targets = sum(_fold(t.id, args) == args.held_out_fold for t in targets)
        summary = {
            "round": r, "budget": budget, "attempted": len(attempted),
            "new_solved": len(fresh), "solved": len(solved), "targets": len(targets),
            "new_per_n": _per_n(bench, sorted(fresh)), "solved_per_n": _per_n(bench,
                                                                             sorted(solved)),
            "held_out_fold": args.held_out_fold,
            "held_out": {"targets": held_targets, "solved": len(held),
                         "new_solved": sum(_fold(i, args) == args.held_out_fold for i in fresh)},
            "other_folds": {"targets": len(targets) - held_targets,
                            "solved": len(solved) - len(held)},
            "path_lengths_new": _lengths([len(rec["certificate"]) for rec in fresh.values()]),
            "shortened_lengths_new": _lengths([len(e[-1]["path"]) for e in
                                               round_paths.values()]),
            "search_nodes": int(sum(rec["cost"] for rec in attempted.values())),
            "cpu_seconds": {"search": round(search_cpu, 3), "shorten": round(shorten_cpu, 3),
                            "train": round(train_cpu, 3),
                            "total": round(time.process_time() - cpu0, 3)},
            "examples": {f: e["train"]["examples"] for f, e in manifest["nets"].items()},
        }
        atomic_write_text(tmp / "summary.json", dumps(summary))
        _publish(tmp, out / f"round-{r}")
        print(f"{NAME} round {r}: +{len(fresh)} -> {len(solved)}/{len(targets)} solved "
              f"(held-out fold {args.held_out_fold}: {len(held)}/{held_targets}), "
              f"{summary['cpu_seconds']['total']} CPU s", flush=True)

    last = out / f"round-{args.rounds}"
    summary = json.loads((last / "summary.json").read_text(encoding="utf-8"))
    return {"steps": args.rounds, "checkpoint": f"round-{args.rounds}/nets/manifest.json",
            "rounds": args.rounds, "solved": summary["solved"], "targets": summary["targets"],
            "held_out": summary["held_out"],
            "round_results": [f"round-{r}/results.json" for r in range(1, args.rounds + 1)]}

"""``mathgym ac-search``: one long, resumable AC search from the command line.

Example (the AK(3) run of docs/search.md)::

    mathgym ac-search "x^3 y^-4, x y x y^-1 x^-1 y^-1" --algorithm bfs --cap 12 \\
        --symmetry --budget 400000000 --checkpoint runs/ak3-bfs-cap12

Kill it at any time (or let the machine die); the same command resumes from the last
checkpoint, and a larger ``--budget`` continues a search that stopped at its budget. Progress
goes to stderr; the result is printed as JSON and written atomically to
``<checkpoint>/result.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("presentation", help='relators, e.g. "x^3 y^-4, x y x y^-1 x^-1 y^-1"')
    parser.add_argument("--algorithm", choices=("greedy", "wastar", "bfs"), default="greedy")
    parser.add_argument("--budget", type=int, required=True,
                        help="max unique states generated, including the start")
    parser.add_argument("--cap", type=int, default=None,
                        help="max relator length (default: the AC family's default cap)")
    parser.add_argument("--weight", type=float, default=1.0, help="wastar depth weight")
    parser.add_argument("--cyclic-reduction", action="store_true",
                        help="AC-Solver's cyclical=True semantics")
    parser.add_argument("--symmetry", action="store_true",
                        help="search orbits under the 16 relabelings (x<->y, x->x^-1, swap)")
    parser.add_argument("--checkpoint", required=True, type=Path,
                        help="directory holding the checkpoint (created; resumed if present)")
    parser.add_argument("--chunk", type=int, default=10_000_000,
                        help="nodes per engine call between progress reports (default 10M)")
    parser.add_argument("--checkpoint-seconds", type=float, default=600.0,
                        help="checkpoint at least this often (default 600)")


def run(args: argparse.Namespace) -> int:
    from mathgym.agents.search.checkpoint import StopOnSignal, resumable_search

    from mathgym.harness.results import atomic_write_text

    def progress(record: dict) -> None:
        print(json.dumps(record), file=sys.stderr, flush=True)

    try:
        with StopOnSignal() as stop:
            result = resumable_search(
                args.presentation, args.checkpoint, args.budget, algorithm=args.algorithm,
                max_relator_length=args.cap, cyclic_reduction=args.cyclic_reduction,
                weight=args.weight, symmetry=args.symmetry, chunk_nodes=args.chunk,
                checkpoint_seconds=args.checkpoint_seconds, progress=progress,
                should_stop=stop,
            )
    except ValueError as err:
        print(f"mathgym ac-search: {err}", file=sys.stderr)
        return 2
    record = {
        "presentation": args.presentation,
        "algorithm": args.algorithm,
        "max_relator_length": result.max_relator_length,
        "symmetry": bool(args.symmetry),
        "cyclic_reduction": bool(args.cyclic_reduction),
        "budget": args.budget,
        "status": result.status,
        "solved": result.solved,
        "nodes": result.nodes,
        "seconds": round(result.seconds, 3),
        "min_length": result.min_length,
        "path": result.path,
        "final": str(result.final),
    }
    atomic_write_text(args.checkpoint / "result.json", json.dumps(record, indent=1) + "\n")
    print(json.dumps(record))
    return 0

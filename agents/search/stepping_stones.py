"""Known-trivializable states as a goal table ("stepping stones"), and the experiment with it.

Every state on a verified AC path is trivializable: the rest of that path trivializes it. A
forward search that generates such a state is therefore done, and its certificate is its own
path followed by the known suffix. :func:`build_stone_table` turns paths into the
:class:`~mathgym.agents.search.goal.GoalTable` that ``weighted_astar(..., goal=...)`` already
checks every child against (the table's parent links point one step along the known path, so
``GoalTable.path_to_trivial`` returns the suffix). With ``symmetries=True`` each path is added
under all 16 relabelings too (moves permuted by ``move_permutations``).

A suffix is added only while every state on it fits the target cap, so the combined path
replays under the target instance's cap; the certificate is still re-verified by the
benchmark's verifier, so a table error could only lose a solve, never accept a false one.

Measured on 40 greedy-unsolved ac/ms1190 presentations (docs/search.md, "stepping stones"):
0/40, so this is an experiment, not an agent::

    python -m mathgym.agents.search.stepping_stones --budget 1000000 --count 40 --symmetries
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Sequence

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.goal import GoalTable

Relators = tuple[tuple[int, ...], ...]


def _flat(relators: Relators, cap: int) -> np.ndarray:
    state = np.zeros(2 * cap, np.int8)
    for i, r in enumerate(relators):
        state[i * cap:i * cap + len(r)] = r
    return state


def _image(relators: Relators, s: int, sym_map: np.ndarray, sym_swap: np.ndarray) -> Relators:
    rels = list(relators)[::-1] if sym_swap[s] else list(relators)
    return tuple(tuple(int(sym_map[s][letter + 2]) for letter in r) for r in rels)


def build_stone_table(
    paths: Iterable[tuple[Sequence[Sequence[int]], Sequence[int], int]], cap: int,
    symmetries: bool = False,
) -> GoalTable:
    """Goal table of every state on ``paths`` (``(relators, moves, cap the path holds under)``)
    whose suffix stays within ``cap``; parent links follow each path toward its trivial end."""
    from mathgym.agents.search.supermoves.mining import move_permutations
    from mathgym.agents.search.symmetry import symmetry_tables
    from mathgym.envs.ac.moves import inverse_move
    from mathgym.envs.ac.reference import apply_move

    sym_map, sym_swap = symmetry_tables(True)
    perms = move_permutations()
    walks: list[tuple[list[Relators], list[int]]] = []
    for relators, moves, path_cap in paths:
        states = [tuple(tuple(int(v) for v in r) for r in relators)]
        for m in moves:
            states.append(tuple(tuple(r) for r in apply_move(states[-1], int(m), path_cap)))
        for s in range(16) if symmetries else (0,):
            walks.append(([_image(x, s, sym_map, sym_swap) for x in states],
                          [int(perms[s][int(m)]) for m in moves]))
    bits, per_word, words = engine.packing_params(2 * cap, 2)
    size = sum(len(states) for states, _ in walks) + 1
    keys = np.zeros((size, words), np.uint64)
    table = np.zeros(engine.table_size_for(size), np.int32)
    parent = np.full(size, -1, np.int32)
    move = np.zeros(size, np.int8)
    depth = np.zeros(size, np.int32)
    packed = np.zeros(words, np.uint64)
    n = 0
    for states, moves in walks:
        nxt = -1  # the node one step further along this path (-1: the trivial end)
        for i in range(len(states) - 1, -1, -1):
            if max(len(r) for r in states[i]) > cap:
                break  # the suffix from here on would leave the target cap
            engine.pack_into(_flat(states[i], cap), 2, bits, per_word, packed)
            idx, inserted = engine.table_insert(table, keys, n, packed)
            if inserted:
                parent[n] = nxt
                # path_to_trivial inverts the stored move, so store the inverse of moves[i]
                move[n] = inverse_move(moves[i], 2) if i < len(moves) else 0
                depth[n] = 0 if nxt < 0 else depth[nxt] + 1
                n += 1
            nxt = idx
    return GoalTable(cap, False, n, keys, table, parent[:n], move[:n], depth[:n])


def main(argv: Sequence[str] | None = None) -> int:
    """Greedy with the corpus's path states as goals on a seeded sample of greedy-unsolved
    ac/ms1190 presentations (unsolved by the board's 10M greedy row); prints JSON lines."""
    from mathgym.agents.search.api import weighted_astar
    from mathgym.agents.search.supermoves.corpus import ROOT, load_corpus
    from mathgym.envs.ac.benchmarks import ms1190
    from mathgym.verifiers.ac import verify_ac_path

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--symmetries", action="store_true")
    args = parser.parse_args(argv)
    corpus = load_corpus()
    bench = ms1190()
    sweep = json.loads((ROOT / "leaderboards/ac/ms1190/2026-11-22-ac-greedy-cb5a3b61d753.json")
                       .read_text())
    unsolved = sorted(r["instance"] for r in sweep["results"] if not r["solved"])
    sample = sorted(random.Random(args.seed).sample(unsolved, min(args.count, len(unsolved))))
    known = [(corpus.relators[i], p, corpus.caps[i]) for i in corpus.paths for p in corpus.paths[i]]
    tables: dict[int, GoalTable] = {}
    solved = 0
    for iid in sample:
        inst = bench.instance(iid)
        rels = [list(map(int, r)) for r in inst.data["relators"]]
        cap = int(inst.data["max_relator_length"])
        if cap not in tables:
            tables[cap] = build_stone_table(known, cap, args.symmetries)
        res = weighted_astar(rels, args.budget, cap, False, 0.0, tables[cap])
        ok = bool(res.solved and verify_ac_path(rels, res.path, cap).ok)
        solved += ok
        print(json.dumps({"instance": iid, "solved": ok, "nodes": res.nodes,
                          "min_length": res.min_length, "stones": tables[cap].nodes}), flush=True)
    print(json.dumps({"solved": solved, "of": len(sample), "budget": args.budget,
                      "symmetries": args.symmetries}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Symmetry reduction: the 16 relabelings commute with the moves, orbit counts match a plain
enumeration, and every lifted path replays under the plain verifier."""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.agents.search import beam_search, bfs, greedy_search, weighted_astar
from mathgym.agents.search.symmetry import canonical, symmetry_tables
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp, ms_max_relator_length
from mathgym.envs.ac.presentation import as_presentation
from mathgym.envs.ac.reference import apply_move
from mathgym.verifiers.ac import verify_ac_path

#: The 16 relabelings written out independently of symmetry_tables:
#: (image of x, image of y, swap the relators?).
RELABELINGS = [
    (gx, gy, swap)
    for swap in (False, True)
    for gx, gy in itertools.chain(
        itertools.product((1, -1), (2, -2)), itertools.product((2, -2), (1, -1))
    )
]


def relabel(relators, gx: int, gy: int, swap: bool):
    images = {1: gx, -1: -gx, 2: gy, -2: -gy}
    out = [tuple(images[v] for v in r) for r in relators]
    return tuple(reversed(out)) if swap else tuple(out)


def flat(relators, cap: int) -> tuple[int, ...]:
    out: list[int] = []
    for r in relators:
        out += list(r) + [0] * (cap - len(r))
    return tuple(out)


def reference_canonical(relators, cap: int) -> tuple[int, ...]:
    """Smallest image as AC-Solver's flat tuple, by brute force over RELABELINGS."""
    return min(flat(relabel(relators, *s), cap) for s in RELABELINGS)


def children(relators, cap: int):
    return [tuple(tuple(r) for r in apply_move(relators, m, cap, False)) for m in range(12)]


words = st.lists(st.sampled_from([1, -1, 2, -2]), min_size=1, max_size=9).filter(
    lambda w: all(a != -b for a, b in zip(w, w[1:], strict=False))
)


def test_tables_are_the_16_relabelings_identity_first() -> None:
    maps, swaps = symmetry_tables(True)
    assert maps.shape == (16, 5) and swaps.shape == (16,)
    assert list(maps[0]) == [-2, -1, 0, 1, 2] and swaps[0] == 0
    rows = {(tuple(int(v) for v in m), int(s)) for m, s in zip(maps, swaps, strict=True)}
    assert len(rows) == 16
    assert symmetry_tables(False)[0].shape == (0, 5)


@settings(max_examples=150, deadline=None)
@given(r0=words, r1=words)
def test_relabelings_commute_with_the_twelve_moves(r0, r1) -> None:
    cap = 12
    relators = (tuple(r0), tuple(r1))
    for s in RELABELINGS:
        image_children = {relabel(c, *s) for c in children(relators, cap)}
        children_of_image = set(children(relabel(relators, *s), cap))
        assert image_children == children_of_image, s


@settings(max_examples=150, deadline=None)
@given(r0=words, r1=words)
def test_compiled_canonical_equals_brute_force_and_is_orbit_invariant(r0, r1) -> None:
    cap = 10
    relators = (tuple(r0), tuple(r1))
    expected = reference_canonical(relators, cap)
    got = canonical(np.array(flat(relators, cap), dtype=np.int8), cap)
    assert tuple(int(v) for v in got) == expected
    for s in RELABELINGS:
        image = np.array(flat(relabel(relators, *s), cap), dtype=np.int8)
        assert tuple(int(v) for v in canonical(image, cap)) == expected


def test_orbit_bfs_counts_the_orbits_of_a_plain_enumeration() -> None:
    """Exhaust a component in plain Python; symmetric BFS must count its distinct orbits."""
    start = as_presentation("x y x^-1 y^-1 x, y^2").relators
    for cap, plain_count, orbit_count in ((5, 1360, 340), (6, 3560, 890)):
        seen = {start}
        queue = deque([start])
        while queue:
            for child in children(queue.popleft(), cap):
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        orbits = {reference_canonical(s, cap) for s in seen}
        assert (len(seen), len(orbits)) == (plain_count, orbit_count)
        plain = bfs(start, 10**6, cap)
        reduced = bfs(start, 10**6, cap, symmetry=True)
        assert (plain.status, plain.nodes) == ("exhausted", plain_count)
        assert (reduced.status, reduced.nodes) == ("exhausted", orbit_count)


def test_ak3_component_facts_with_and_without_symmetry() -> None:
    """AK(3) under cap 9: 402,984 presentations in 100,764 orbits, none shorter than 13;
    under cap 10: 393,552 orbits (docs/search.md)."""
    ak3 = akbulut_kirby(3).relators
    plain = bfs(ak3, 10**6, 9)
    reduced = bfs(ak3, 10**6, 9, symmetry=True)
    assert (plain.status, plain.nodes, plain.min_length) == ("exhausted", 402_984, 13)
    assert (reduced.status, reduced.nodes, reduced.min_length) == ("exhausted", 100_764, 13)
    cap10 = bfs(ak3, 10**6, 10, symmetry=True)  # 3,148,272 presentations, 8x fewer orbits
    assert (cap10.status, cap10.nodes, cap10.min_length) == ("exhausted", 393_552, 13)


def test_symmetric_searches_return_paths_the_plain_verifier_accepts() -> None:
    ak2 = akbulut_kirby(2).relators
    g = greedy_search(ak2, 1_000_000, 7, symmetry=True)
    b = bfs(ak2, 1_000_000, 7, symmetry=True)
    assert g.solved and b.solved
    assert len(b.path) == 19  # orbits preserve path lengths: still AK(2)'s shortest
    assert b.nodes < bfs(ak2, 1_000_000, 7).nodes
    for path in (g.path, b.path):
        assert verify_ac_path(ak2, path, 7).ok
    ms = miller_schupp()
    for idx in (0, 5, 171, 400):
        m = ms[idx]
        cap = ms_max_relator_length(m.n)
        rel = m.presentation.relators
        for result in (
            greedy_search(rel, 200_000, cap, symmetry=True),
            weighted_astar(rel, 200_000, cap, weight=0.5, symmetry=True),
            beam_search(rel, 200_000, cap, width=200, symmetry=True),
        ):
            replay = verify_ac_path(rel, result.path, cap)
            if result.solved:
                assert replay.ok, (idx, result.info)
            assert replay.final.total_length == result.min_length


def test_symmetry_and_a_goal_table_do_not_mix() -> None:
    import pytest
    from mathgym.agents.search.goal import build_goal_table

    goal = build_goal_table(7, 100)
    with pytest.raises(ValueError, match="symmetry=True cannot be combined"):
        weighted_astar(akbulut_kirby(2).relators, 100, 7, weight=0.0, goal=goal, symmetry=True)

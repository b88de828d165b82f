"""Known facts about AC-Solver's greedy and BFS that the compiled searches must reproduce."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from mathgym.agents.search import bfs, greedy_search
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp, ms_max_relator_length
from mathgym.verifiers.ac import verify_ac_path

AK2_GREEDY_PATH = [11, 4, 2, 11, 4, 9, 0, 1, 8, 6, 9, 0, 1, 6, 8, 3, 6, 2, 5, 1, 8, 2]
DATA = Path(__file__).parent / "data" / "acsolver_greedy_sample.json"


def _small_ms() -> list:
    """The 8 MS presentations with n <= 2 and |w| <= 2, in benchmark order."""
    return [ms for ms in miller_schupp() if ms.n <= 2 and len(ms.w) <= 2]


def _assert_verified(presentation, result) -> None:
    check = verify_ac_path(presentation, result.path, result.max_relator_length)
    assert check.ok, check.reason
    assert result.final.is_trivial


def test_small_ms_set_is_the_expected_eight() -> None:
    small = _small_ms()
    assert len(small) == 8
    assert {ms.n for ms in small} == {1, 2}


def test_greedy_1m_solves_all_small_ms() -> None:
    for ms in _small_ms():
        result = greedy_search(ms.presentation, 1_000_000, ms_max_relator_length(ms.n))
        assert result.solved, (ms.n, ms.w)
        assert result.nodes <= 1_000_000 + 11
        _assert_verified(ms.presentation, result)


def test_bfs_10k_solves_only_ms1_y_inverse() -> None:
    solved = {}
    for ms in _small_ms():
        result = bfs(ms.presentation, 10_000, ms_max_relator_length(ms.n))
        if result.solved:
            _assert_verified(ms.presentation, result)
            solved[(ms.n, str(ms.presentation))] = result.path
        else:
            assert 10_000 <= result.nodes <= 10_000 + 11
    assert len(solved) == 1
    ((n, text), path), = solved.items()
    assert n == 1 and text.endswith("x^-1 y^-1")
    assert path == [1, 7, 0, 5]


def test_greedy_reproduces_ak2_path_at_cap_7() -> None:
    ak2 = akbulut_kirby(2)
    result = greedy_search(ak2, 1_000_000, 7)
    assert result.solved
    assert result.path == AK2_GREEDY_PATH
    _assert_verified(ak2, result)


def test_greedy_accepts_acsolver_array_with_its_block_size() -> None:
    array = np.array([1, 1, -2, -2, -2, 0, 0, 1, 2, 1, -2, -1, -2, 0], dtype=np.int8)
    result = greedy_search(array, 1_000_000)
    assert result.max_relator_length == 7
    assert result.path == AK2_GREEDY_PATH


def test_bfs_finds_19_move_ak2_solution_at_cap_7() -> None:
    ak2 = akbulut_kirby(2)
    result = bfs(ak2, 1_000_000, 7)
    assert result.solved
    assert len(result.path) == 19
    _assert_verified(ak2, result)


@pytest.mark.parametrize("budget", [2, 5, 100, 3_000])
def test_budget_overshoot_at_most_11(budget: int) -> None:
    ak3 = akbulut_kirby(3)  # open case: never solved
    for search in (greedy_search, bfs):
        result = search(ak3, budget, 13)
        assert not result.solved
        assert result.status == "budget"
        assert budget <= result.nodes <= budget + 11


def test_budget_one_still_expands_the_start() -> None:
    # As in AC-Solver the check follows an expansion, so budget 1 (start only) expands the
    # start once: 1 + 12 distinct children here (the only case the overshoot can reach 12).
    result = greedy_search(akbulut_kirby(3), 1, 13)
    assert not result.solved
    assert result.nodes == 13


def test_published_greedy_paths_sample() -> None:
    """A seeded sample of AC-Solver's published greedy paths (MS, 1M nodes) is reproduced."""
    doc = json.loads(DATA.read_text())
    assert len(doc["cases"]) == 40
    for case in doc["cases"]:
        array = np.array(case["array"], dtype=np.int8)
        result = greedy_search(array, doc["max_nodes"])
        published = case["published_path"]
        assert result.solved, case["line"]
        assert len(result.path) == len(published) - 1, case["line"]
        # the published file numbers moves from 1 (its start pair carries action 0)
        assert result.path == [a - 1 for a, _ in published[1:]], case["line"]
        check = verify_ac_path(array, result.path, len(array) // 2)
        assert check.ok, check.reason


def test_cyclic_bfs_paths_convert_to_plain_ac_paths() -> None:
    """AC-Solver's published BFS list matches BFS with cyclic reduction; its paths, converted by
    inserting the conjugations each cyclic reduction stands for, verify without it."""
    from mathgym.agents.search.paths import to_acyclic_path

    ms = miller_schupp()[6]  # MS(1, y x y x^-1): plain BFS needs > 5M nodes, cyclic BFS 25,002
    cap = ms_max_relator_length(ms.n)
    result = bfs(ms.presentation, 1_000_000, cap, cyclic_reduction=True)
    assert result.solved and result.nodes == 25_002 and len(result.path) == 6
    plain = to_acyclic_path(ms.presentation, result.path, cap)
    assert len(plain) > len(result.path)
    assert verify_ac_path(ms.presentation, plain, cap).ok
    assert not verify_ac_path(ms.presentation, result.path, cap).ok

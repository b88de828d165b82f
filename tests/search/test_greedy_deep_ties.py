"""Greedy with the deepest state first among equal total lengths (``ac-greedy --config ties=deep``).

The compiled search is checked node for node against the plain-Python reference with the same
order (total length, -path length, state), and on a known fact: ms-0765, which AC-Solver's
greedy needs more than a million nodes for (it is one of the 47 presentations our 10M sweep
added), is solved by the deep tie order in about 400k nodes.
"""

from __future__ import annotations

import pytest
from mathgym.agents.search import greedy_search
from mathgym.agents.search.reference_search import reference_greedy
from mathgym.envs.ac.benchmarks import ms1190
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp, ms_max_relator_length
from mathgym.verifiers.ac import verify_ac_path


def _cases() -> list[tuple[tuple[tuple[int, ...], ...], int]]:
    ms = miller_schupp()
    cases = [(ms[i].presentation.relators, ms_max_relator_length(ms[i].n))
             for i in (0, 1, 5, 170, 400, 1189)]
    cases.append((akbulut_kirby(2).relators, 7))
    return cases


def test_deep_ties_match_the_reference_node_for_node() -> None:
    solved = 0
    for relators, cap in _cases():
        for budget in (1, 37, 400, 3000):
            ok, path, nodes = reference_greedy(relators, budget, cap, ties="deep")
            result = greedy_search(relators, budget, cap, ties="deep")
            assert (result.solved, result.nodes) == (ok, nodes), (relators, budget)
            if ok:
                solved += 1
                assert result.path == path
                assert verify_ac_path(relators, result.path, cap).ok
    assert solved >= 4  # the comparison covers solved searches, not only budget stops


def test_deep_ties_differ_from_acsolver_order() -> None:
    relators, cap = akbulut_kirby(2).relators, 7
    shallow = greedy_search(relators, 100_000, cap)
    deep = greedy_search(relators, 100_000, cap, ties="deep")
    assert shallow.solved and deep.solved
    assert (shallow.nodes, shallow.path) != (deep.nodes, deep.path)
    assert deep.info["ties"] == "deep" and "ties" not in shallow.info


def test_deep_ties_solve_ms_0765_below_greedys_budget() -> None:
    inst = ms1190().instance("ms-0765")
    relators = [list(r) for r in inst.data["relators"]]
    cap = int(inst.data["max_relator_length"])
    deep = greedy_search(relators, 500_000, cap, ties="deep")
    assert deep.solved and deep.nodes < 500_000
    assert verify_ac_path(relators, deep.path, cap).ok
    assert not greedy_search(relators, 500_000, cap).solved


def test_bad_ties_are_refused_with_the_choices() -> None:
    from mathgym.agents.search.harness_agents import GreedyAgent

    with pytest.raises(ValueError, match="shallow"):
        greedy_search(akbulut_kirby(2).relators, 10, 7, ties="deepest")
    with pytest.raises(ValueError, match="ties must be one of"):
        GreedyAgent(ties="wide")
    assert "ties" not in GreedyAgent().config  # AC-Solver's order keeps old runs' config
    assert GreedyAgent(ties="deep").config["ties"] == "deep"

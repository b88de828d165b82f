"""ac-puct (PUCT with value backup) and ac-greedy-net (greedy, net as tie-breaker): verified,
deterministic paths within greedy's node accounting, fold hygiene, and the measured counts
against greedy on ac/quick at the same node budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from mathgym.agents.search.api import greedy_search
from mathgym.agents.search.guided.agent import DEFAULT_CHECKPOINTS
from mathgym.agents.search.guided.net import load_checkpoint
from mathgym.agents.search.guided.puct import puct_search
from mathgym.agents.search.guided.tiebreak import TIE_BITS, tiebreak_search
from mathgym.agents.search.supermoves.corpus import ROOT, fold_of
from mathgym.envs.ac.benchmarks import ms1190
from mathgym.verifiers.ac import verify_ac_path

from mathgym.harness.runner import EvalConfig, evaluate

CKPT = ROOT / DEFAULT_CHECKPOINTS


def _problem(iid: str) -> tuple[list, int]:
    inst = ms1190().instance(iid)
    return inst.data["relators"], int(inst.data["max_relator_length"])


@pytest.mark.parametrize("iid", ["ms-0000", "ms-0400", "ms-0700"])
def test_tiebreak_without_a_network_is_greedy_node_for_node(iid: str) -> None:
    relators, cap = _problem(iid)
    g = greedy_search(relators, 5_000, cap)
    t = tiebreak_search(relators, cap, None, 5_000)
    assert (t.solved, t.nodes, t.path) == (g.solved, g.nodes, g.path)


def test_tie_key_never_outweighs_a_length_difference() -> None:
    # the largest tie fraction is below 1, so total length always decides first
    largest = ((2 ** TIE_BITS - 1) * 2 ** TIE_BITS + 2 ** TIE_BITS - 1) / 2.0 ** (2 * TIE_BITS + 1)
    assert largest < 1.0 and 71 + largest < 72


@pytest.mark.parametrize("search", ["puct", "tiebreak"])
def test_paths_verify_and_runs_are_deterministic(search: str) -> None:
    net, _ = load_checkpoint(CKPT / "fold-0.pt")
    relators, cap = _problem("ms-0700")  # fold 0: this network never saw its paths
    assert fold_of("ms-0700") == 0

    def run():
        if search == "puct":
            return puct_search(relators, cap, net, 10_000, batch=16)
        return tiebreak_search(relators, cap, net, 10_000)

    a, b = run(), run()
    assert a.solved and a.forwards >= 1
    assert verify_ac_path(relators, a.path, cap).ok
    assert (a.path, a.nodes, a.forwards) == (b.path, b.nodes, b.forwards)


def test_puct_stays_within_greedys_overshoot_and_rejects_bad_input() -> None:
    net, _ = load_checkpoint(CKPT / "fold-0.pt")
    relators, cap = _problem("ms-0400")  # unsolved at this budget
    r = puct_search(relators, cap, net, 3_000, batch=8)
    assert not r.solved and r.status == "budget" and 3_000 <= r.nodes <= 3_000 + 11
    with pytest.raises(ValueError, match="c_puct and tau"):
        puct_search(relators, cap, net, 100, tau=0)
    with pytest.raises(ValueError, match="max_nodes and batch"):
        puct_search(relators, cap, net, 0)


def _run(tmp_path: Path, agent: str) -> dict:
    return evaluate(EvalConfig(benchmark="ac/quick", agent=agent, agent_config={},
                               budget=10_000, out=tmp_path / agent, backend="inline",
                               progress=False))


def test_agents_on_quick_against_greedy_at_the_same_budget(tmp_path: Path) -> None:
    # measured 2026-12-02 at 10k nodes: greedy 6/10, ac-greedy-net 6/10, ac-puct 6/10
    greedy = _run(tmp_path, "ac-greedy")["metrics"]["solved"]
    tie = _run(tmp_path, "ac-greedy-net")
    puct = _run(tmp_path, "ac-puct")
    assert tie["metrics"]["solved"] >= greedy == 6
    assert puct["metrics"]["solved"] == 6
    for doc in (tie, puct):
        for record in doc["results"]:
            assert record["info"]["fold"] == fold_of(record["instance"])
            assert record["cost"] <= 10_000 + 11
            if record["solved"]:
                assert record["info"]["path_length"] == len(record["certificate"])


def test_agents_refuse_bad_config() -> None:
    from mathgym.agents.search.guided.net_agents import PUCTAgent, TieBreakAgent

    with pytest.raises(ValueError, match="c_puct and tau"):
        PUCTAgent(c_puct=-1)
    with pytest.raises(ValueError, match="batch must be >= 1"):
        TieBreakAgent(batch=0)

"""Search as the improvement operator for AC: our greedy/BFS completes or shortens the model's path.

Design note. The policy proposes a path (move ids parsed from its completion exactly as the
llm agent parses them, ``agent.parse_move_ids``); the search improves it within a node budget:

- the path is replayed under the instance's cap (AC-Solver semantics, no cyclic reduction, the
  benchmark verifier's); if it passes through the trivial presentation it is cut there;
- if it does not solve, ``greedy`` (or ``bfs``) searches from the state it reached and the
  found moves are appended (completion); failing that, from the state of its prefix with the
  smallest total length; failing that, from the start;
- ``shorten=True`` also runs BFS from the start (shortest within the cap and budget) and keeps
  the shorter of the two.

Every candidate is verified by the benchmark verifier (``verifiers.ac.verify_ac_path`` under the
instance's cap) and then scored by the trainer's reward; only a verified path whose reward
reaches ``success`` becomes a training target. Its tokens are the path rendered in the text the
agent's prompt asks for, ``[3, 0, 11]``, then EOS. A search result was not sampled: its
``sampler_logp`` is 0 per token (a point mass) and it is trained with the shaped loss by
default (``loss="policy"`` with correction "none" trains it as if sampled).

Per group the shortest improved path replaces the lowest-reward response (ties: the first).
Metamath (best-first completion of a partial proof, in first-goal order): ``metamath_search.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mathgym.agents.llm.improve.base import (
    ImproveContext,
    ImprovedSample,
    Improver,
    check_batch,
    search_target,
)
from mathgym.agents.llm.improve.hints import format_path


@dataclass
class SearchConfig:
    """Options of :class:`ACSearchImprover`."""

    algorithm: str = "greedy"
    """greedy | bfs: the search that completes a partial path"""
    max_nodes: int = 2_000
    """node budget of each search call"""
    shorten: bool = True
    """also BFS from the start and keep the shorter verified path"""
    improve_solved: bool = True
    """also improve groups that have a solving response (a shorter path is still better)"""
    loss: str = "shaped"
    """how the trainer trains the target: shaped (-A f(pi)) | policy"""

    def __post_init__(self) -> None:
        if self.algorithm not in ("greedy", "bfs"):
            raise ValueError(f"algorithm must be 'greedy' or 'bfs', got {self.algorithm!r}")
        if not isinstance(self.max_nodes, int) or self.max_nodes < 1:
            raise ValueError(f"max_nodes must be an int >= 1, got {self.max_nodes!r}")
        if self.loss not in ("shaped", "policy"):
            raise ValueError(f"loss must be 'shaped' or 'policy', got {self.loss!r}")


def _replay(relators, path: Sequence[int], cap: int) -> list[tuple[tuple, ...]]:
    """States after 0, 1, ..., len(path) moves."""
    from mathgym.envs.ac.reference import apply_move

    states = [relators]
    for move in path:
        states.append(apply_move(states[-1], int(move), cap, False))
    return states


def _trivial(state) -> bool:
    return all(len(r) == 1 for r in state)


def improve_path(relators: Sequence[Sequence[int]], cap: int, path: Sequence[int],
                 config: SearchConfig) -> list[int] | None:
    """The best verified path the search makes of ``path`` (None if it finds none)."""
    from mathgym.agents.search.api import bfs, greedy_search
    from mathgym.envs.ac.presentation import Presentation
    from mathgym.verifiers.ac import verify_ac_path

    relators = tuple(tuple(int(x) for x in r) for r in relators)
    search = greedy_search if config.algorithm == "greedy" else bfs
    path = [int(m) for m in path]
    states = _replay(relators, path, cap)
    candidates: list[list[int]] = []
    hit = next((i for i, s in enumerate(states) if _trivial(s)), None)
    if hit is not None:
        candidates.append(path[:hit])
    else:
        best_prefix = min(range(len(states)), key=lambda i: (sum(map(len, states[i])), -i))
        for i in dict.fromkeys([len(path), best_prefix, 0]):
            result = search(Presentation(states[i]), max_nodes=config.max_nodes,
                            max_relator_length=cap)
            if result.solved:
                candidates.append(path[:i] + [int(m) for m in result.path])
                break
    if config.shorten:
        result = bfs(Presentation(relators), max_nodes=config.max_nodes, max_relator_length=cap)
        if result.solved:
            candidates.append([int(m) for m in result.path])
    verified = [c for c in candidates if c and verify_ac_path(relators, c, cap).ok]
    return min(verified, key=len) if verified else None


class ACSearchImprover(Improver):
    """Greedy/BFS improvement of the policy's AC paths; see the module doc."""

    name: ClassVar[str] = "ac_search"

    def __init__(self, config: SearchConfig | None = None) -> None:
        self.config = config or SearchConfig()

    def improve(self, prompts, responses, rewards, context: ImproveContext
                ) -> list[ImprovedSample]:
        from mathgym.agents.llm.agent import parse_move_ids
        from mathgym.envs.ac.moves import num_moves

        G = context.group_size
        n = check_batch(prompts, responses, rewards, G)
        out = []
        for g in range(n):
            task = context.tasks[g]
            if task.family != "ac":
                raise ValueError(f"ACSearchImprover needs AC tasks; group {g} is {task.family!r}")
            group_rewards = [float(r) for r in rewards[g * G:(g + 1) * G]]
            if not self.config.improve_solved and max(group_rewards) >= context.success:
                continue
            relators, cap = task.data["relators"], int(task.data["max_relator_length"])
            best: list[int] | None = None
            best_from = -1
            seen: set[tuple[int, ...]] = set()
            for j in range(G):
                path = parse_move_ids(context.decode(responses[g * G + j]), num_moves(2, False))
                if tuple(path) in seen:
                    continue
                seen.add(tuple(path))
                found = improve_path(relators, cap, path, self.config)
                if found is not None and (best is None or len(found) < len(best)):
                    best, best_from = found, j
            if best is None:
                continue
            target = search_target(g, prompts[g], self.target_ids(best, context), group_rewards,
                                   context, loss=self.config.loss, source=self.name,
                                   info={"path": best, "from_response": best_from})
            if target is not None:
                out.append(target)
        return out

    @staticmethod
    def target_ids(path: Sequence[int], context: ImproveContext) -> list[int]:
        """The path as the model emits it, ``[3, 0, 11]``, tokenised, then EOS."""
        return context.encode(format_path(path)) + [context.eos_token_id]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **self.config.__dict__}

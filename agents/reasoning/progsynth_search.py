"""``progsynth-search``: exhaustive search over compute graphs up to ``max_depth`` nodes.

Iterative deepening over the number of nodes: every complete, type-correct program of 1, 2,
... ``max_depth`` nodes is enumerated in action order (the same mask as the env) and scored
by the env: a candidate whose value (printed in the verifier's grammar) is new is played as
an episode of the instance's env, whose reward says whether it is right; a candidate with a
value already played gets that value's reward. The agent sees only the instance view (question,
formal elements, answer type), never the answer. Cost is counted in env steps as if each
candidate were replayed as its own episode. Deterministic; the seed is unused.
"""

from __future__ import annotations

from mathgym.harness.agent import Agent, Attempt
from mathgym.types import Problem


class _Budget(Exception):
    pass


class ProgSynthSearchAgent(Agent):
    """Exhaustive typed program enumeration, shortest programs first."""

    name = "progsynth-search"
    version = "1"

    def __init__(self, *, max_depth: int = 5) -> None:
        if not isinstance(max_depth, int) or max_depth < 1:
            raise ValueError(f"max_depth must be an int >= 1, got {max_depth!r}")
        super().__init__(max_depth=max_depth)
        self.max_depth = max_depth

    def supports(self, benchmark) -> bool:
        return benchmark.env_id == "mathgym/MathProgSynth-v0"

    def attempt(self, benchmark, instance, budget: float, seed: int) -> Attempt:
        from mathgym.envs.reasoning.progsynth_graph import GraphBuilder

        problem = _task_problem(instance)
        limit = min(self.max_depth, int(instance.data.get("max_nodes", self.max_depth)))
        spent = [0.0]
        tried = [0]
        scored: dict[str, bool] = {}
        env = benchmark.make_env(instance)

        def reward(builder: GraphBuilder) -> bool:
            cost = len(builder.actions)
            if spent[0] + cost > budget:
                raise _Budget
            spent[0] += cost
            tried[0] += 1
            text = builder.answer()
            if text is None:
                return False
            if text not in scored:
                scored[text] = _played(env, builder.actions)
            return scored[text]

        def dfs(builder: GraphBuilder) -> list[int] | None:
            if builder.complete:
                return list(builder.actions) if reward(builder) else None
            for a in builder.valid_actions():
                child = builder.copy()
                child.apply(a)
                found = dfs(child)
                if found is not None:
                    return found
            return None

        try:
            for depth in range(1, limit + 1):
                try:
                    root = GraphBuilder(problem, max_nodes=depth)
                except ValueError:  # no program this short has the answer's type
                    continue
                found = dfs(root)
                if found is not None:
                    return Attempt(True, found, spent[0], {"programs": tried[0],
                                                           "depth": len(found)})
        except _Budget:
            pass
        finally:
            env.close()
        return Attempt(False, None, spent[0], {"programs": tried[0]})


def _task_problem(instance) -> Problem:
    """The problem as the task gives it (no answer): what GraphBuilder needs to enumerate."""
    d = instance.data
    return Problem(module=d["module"], difficulty=d["difficulty"], seed=0, index=0,
                   question=d["question"], answer="", answer_type=d["answer_type"],
                   spec=d.get("spec", {}), data={"elements": d["elements"]})


def _played(env, actions: list[int]) -> bool:
    """Play ``actions`` as one episode of ``env``; whether it ends with reward 1."""
    env.reset()
    reward, terminated = 0.0, False
    for a in actions:
        _, reward, terminated, _, _ = env.step(a)
        if terminated:
            break
    return bool(terminated and reward >= 1.0)


AGENTS: dict[str, type] = {ProgSynthSearchAgent.name: ProgSynthSearchAgent}

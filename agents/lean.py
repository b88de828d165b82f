"""``lean-replay``: prove a ``formal/lean-replay`` theorem by replaying its recorded tactics.

The agent reads the instance's transcript, takes the tactic requests recorded below the
theorem's ``sorry`` (dead ends included, in recorded order) and sends them through
``mathgym/Lean-v0``, moving to the right proof state with ``backtrack N`` whenever the
recording continued from an earlier state. Recorded proof-state ids are mapped to the ids the
live env hands out, so the same agent drives a real REPL. The certificate is the env's
``info["proof"]`` (the tactic path to the completed proof). One env step (tactic or
backtrack) costs one unit of budget. It is the plumbing baseline for the Lean path, not a
prover.
"""

from __future__ import annotations

from typing import Any

from mathgym.harness.agent import Agent, Attempt
from mathgym.harness.benchmark import Benchmark, Instance

LEAN_ENV_ID = "mathgym/Lean-v0"


class LeanReplayAgent(Agent):
    """Replays the recorded tactics of the instance's transcript in the Lean env."""

    name = "lean-replay"
    version = "1"
    #: Replays recorded (known) proofs: results are marked oracle (mathgym.harness.views).
    privileged = True

    def __init__(self, *, transcripts: str | None = None) -> None:
        super().__init__(**({"transcripts": str(transcripts)} if transcripts else {}))

    def supports(self, benchmark: Benchmark) -> bool:
        """Lean-env benchmarks whose instances name a recorded transcript."""
        return benchmark.env_id == LEAN_ENV_ID and all(
            "transcript" in inst.data for inst in benchmark.instances
        )

    def _episode(self, instance: Instance):
        from mathgym.envs.lean.transcripts import find_episodes, load_transcript

        transcript = load_transcript(instance.data["transcript"], self.config.get("transcripts"))
        for episode in find_episodes(transcript):
            if episode.theorem == instance.data["theorem"] and list(episode.header) == list(
                instance.data["header"]
            ):
                return episode
        raise ValueError(
            f"lean-replay: transcript {instance.data['transcript']!r} records no episode for "
            f"instance {instance.id!r}"
        )

    def attempt(
        self, benchmark: Benchmark, instance: Instance, budget: float, seed: int
    ) -> Attempt:
        episode = self._episode(instance)
        env = benchmark.make_env(instance)
        cost = 0
        details: dict[str, Any] = {"recorded_steps": len(episode.steps), "errors": 0}
        try:
            _, info = env.reset(seed=seed)
            live = {episode.root_proof_state: info["proof_state"]}
            for step in episode.steps:
                if step.proof_state not in live:
                    continue
                target = live[step.proof_state]
                if info["proof_state"] != target:
                    if cost + 2 > budget:
                        break
                    _, _, _, truncated, info = env.step(f"backtrack {target}")
                    cost += 1
                    if truncated:
                        break
                if cost + 1 > budget:
                    break
                _, reward, terminated, truncated, info = env.step(step.tactic)
                cost += 1
                if "error" in info:
                    details["errors"] += 1
                elif step.result_proof_state is not None:
                    live[step.result_proof_state] = info["proof_state"]
                if info.get("is_success"):
                    return Attempt(True, list(info["proof"]), cost, details)
                if terminated or truncated:
                    details["truncation_reason"] = info.get("truncation_reason")
                    break
            return Attempt(False, None, cost, details)
        finally:
            env.close()


AGENTS = {"lean-replay": LeanReplayAgent}

"""``sb3``: a trained SB3 model attempting benchmark instances through the agent protocol.

``mathgym eval --benchmark ac/ms1190 --agent sb3 --config checkpoint=runs/ppo/model.zip
--budget 2000`` loads the model that ``mathgym train`` saved (a checkpoint is config) and,
for each instance, rolls the policy out in the benchmark's own env (the instance's cap, so the
certificate is checked under the rules it was found under): the first episode greedy
(``deterministic=True``), then, while budget is left, episodes sampled from the policy (PPO:
its action distribution; DQN: epsilon-greedy) with a numpy generator seeded by the attempt's
seed, so an attempt is a function of (instance, budget, seed, config). One env step costs one
budget unit. The policy was trained at one cap (AC-Solver's 36, observation ``2 * 36``); an
instance at a smaller cap has its observation padded per relator to that width.

The agent's config records the model file's sha256 (given or computed at load; a mismatch is
an error), and every attempt's info the model's training steps (``num_timesteps``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from mathgym.harness.agent import Agent, Attempt


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class SB3Agent(Agent):
    """Rolls out a trained SB3 policy (``checkpoint``: the ``model.zip`` of ``mathgym train``)."""

    name = "sb3"
    version = "1"
    demo = False

    def __init__(self, *, checkpoint: str, learner: str | None = None,
                 sha256: str | None = None, horizon: int = 2000, epsilon: float = 0.05) -> None:
        path = Path(checkpoint)
        if not path.is_file():
            raise ValueError(f"checkpoint={checkpoint!r}: no such file; give the model.zip that "
                             "`mathgym train --out DIR` wrote (DIR/model.zip)")
        actual = _sha256(path)
        if sha256 is not None and sha256 != actual:
            raise ValueError(f"checkpoint {checkpoint} has sha256 {actual}, not the {sha256} "
                             "this config names: it is another model")
        if learner is None:
            training = path.with_name("training.json")
            if not training.is_file():
                raise ValueError(f"no training.json next to {checkpoint}: say which learner made "
                                 "it, e.g. --config learner=sb3-ppo")
            learner = json.loads(training.read_text(encoding="utf-8"))["learner"]
        from mathgym.agents.rl.common.train import learners

        if learner not in learners():
            raise ValueError(f"learner={learner!r}: known learners are "
                             f"{', '.join(learners())}")
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
            raise ValueError(f"horizon={horizon!r}: must be an int >= 1")
        super().__init__(checkpoint=str(checkpoint), learner=learner, sha256=actual,
                         horizon=horizon, epsilon=float(epsilon))
        self._path, self._learner = path, learner
        self._horizon, self._epsilon = horizon, float(epsilon)
        self._model: Any = None

    def supports(self, benchmark: Any) -> bool:
        return getattr(benchmark, "env_id", None) == "mathgym/AC-v0"

    def _load(self) -> Any:
        if self._model is None:
            import torch
            from mathgym.agents.rl.common.train import algorithm_class

            torch.set_num_threads(1)
            custom = {"learning_rate": 0.0, "lr_schedule": lambda _: 0.0,
                      "exploration_schedule": lambda _: 0.0}
            self._model = algorithm_class(self._learner).load(
                self._path, device="cpu", custom_objects=custom)
        return self._model

    def _act(self, model: Any, obs: np.ndarray, mask: np.ndarray | None, greedy: bool,
             rng: np.random.Generator) -> int:
        import torch

        policy = model.policy
        with torch.no_grad():
            tensor = torch.as_tensor(obs[None], dtype=torch.float32)
            if hasattr(policy, "get_distribution"):
                dist = policy.get_distribution(tensor, action_masks=mask[None]) if (
                    self._learner == "sb3-maskable-ppo") else policy.get_distribution(tensor)
                probs = dist.distribution.probs[0].numpy().astype(np.float64)
                if greedy:
                    return int(np.argmax(probs))
                return int(rng.choice(len(probs), p=probs / probs.sum()))
            q = policy.q_net(tensor)[0].numpy()
            if not greedy and rng.random() < self._epsilon:
                return int(rng.integers(len(q)))
            return int(np.argmax(q))

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        model = self._load()
        width = int(model.observation_space.shape[0]) // 2
        env = benchmark.make_env(instance, horizon=self._horizon)
        cap = int(env.unwrapped.cap)
        if cap > width:
            raise ValueError(f"instance {instance.id} has cap {cap}, above the policy's training "
                             f"cap {width}")
        rng = np.random.default_rng([int(seed), 1190])
        padded = np.zeros((2, width), dtype=np.float32)
        spent, episodes, limit = 0, 0, int(budget)
        info_out = {"training_steps": int(model.num_timesteps), "episodes": 0}
        while spent < limit:
            obs, _ = env.reset()
            path: list[int] = []
            greedy = episodes == 0
            episodes += 1
            while spent < limit:
                padded[:, :cap] = np.asarray(obs, dtype=np.float32).reshape(2, cap)
                mask = env.unwrapped.action_masks()
                move = self._act(model, padded.reshape(-1), mask, greedy, rng)
                obs, _, terminated, truncated, _ = env.step(move)
                spent += 1
                path.append(move)
                if terminated:
                    info_out["episodes"] = episodes
                    return Attempt(True, path, float(spent), info_out)
                if truncated:
                    break
        info_out["episodes"] = episodes
        return Attempt(False, None, float(spent), info_out)


AGENTS = {"sb3": SB3Agent}

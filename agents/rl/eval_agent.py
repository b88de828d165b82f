"""``sb3``: a trained SB3 model attempting benchmark instances through the agent protocol.

``mathgym eval --benchmark ac/ms1190 --agent sb3 --config checkpoint=runs/ppo/model.zip
--budget 2000`` loads the model that ``mathgym train`` saved (a checkpoint is config) and,
for each instance, rolls the policy out in the benchmark's own env (the instance's cap, so the
certificate is checked under the rules it was found under): the first episode greedy
(``deterministic=True``), then, while budget is left, episodes sampled from the policy (PPO:
its action distribution; DQN: epsilon-greedy) with a numpy generator seeded by the attempt's
seed, so an attempt is a function of (instance, budget, seed, config). One env step costs one
budget unit.

The model is evaluated in the env semantics it was trained in, read from the
``training.json`` next to it (its ``family`` and ``config``; older runs: ``run.json``):

- **AC** (``ac/*``): the policy was trained at one cap (AC-Solver's 36, observation ``2 *
  36``); an instance at a smaller cap has its observation padded per relator to that width.
  When the model was trained with ``cyclic_reduction`` (AC-Solver's env, the default), every
  move is followed, as in training, by the cyclic reductions of the relators, each played in
  the plain benchmark env as the AC move it is (the conjugation ``r <- a^-1 r a``, from
  :func:`~mathgym.agents.rl.common.cyclic.expand_cyclic_path` of that one move). So the policy
  sees the reduced state it was trained on, the certificate is plain AC moves, and every move,
  reductions included, costs one budget unit.
- **ProgSynth** (``reasoning/progsynth-*``): the policy reads the benchmark env through
  :class:`~mathgym.envs.wrappers.progsynth_features.ProgSynthFeatures` with the training run's
  ``question_features``; a DQN trained with ``action_mask`` chooses (greedy and epsilon) among
  the allowed actions only, MaskablePPO with its mask.

The agent's config records the model file's sha256 (given or computed at load; a mismatch is
an error), the family and the semantics used (``cyclic_reduction``, ``action_mask``,
``question_features``), and every attempt's info the model's training steps
(``num_timesteps``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mathgym.harness.agent import Agent, Attempt
from mathgym.harness.results import sha256_file

#: benchmark env id -> training family the agent can evaluate.
FAMILIES = {"mathgym/AC-v0": "ac", "mathgym/MathProgSynth-v0": "progsynth"}


def _training_record(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(training.json, the run's config) next to a model.zip; {} when absent."""
    training: dict[str, Any] = {}
    file = path.with_name("training.json")
    if file.is_file():
        training = json.loads(file.read_text(encoding="utf-8"))
    config = training.get("config")
    run = path.with_name("run.json")
    if config is None and run.is_file():
        config = json.loads(run.read_text(encoding="utf-8")).get("config")
    return training, dict(config or {})


class SB3Agent(Agent):
    """Rolls out a trained SB3 policy (``checkpoint``: the ``model.zip`` of ``mathgym train``)."""

    name = "sb3"
    version = "2"
    demo = False

    def __init__(self, *, checkpoint: str, learner: str | None = None,
                 sha256: str | None = None, horizon: int = 2000, epsilon: float = 0.05,
                 family: str | None = None, cyclic_reduction: bool | None = None,
                 action_mask: bool | None = None,
                 question_features: int | None = None) -> None:
        path = Path(checkpoint)
        if not path.is_file():
            raise ValueError(f"checkpoint={checkpoint!r}: no such file; give the model.zip that "
                             "`mathgym train --out DIR` wrote (DIR/model.zip)")
        actual = sha256_file(path)
        if sha256 is not None and sha256 != actual:
            raise ValueError(f"checkpoint {checkpoint} has sha256 {actual}, not the {sha256} "
                             "this config names: it is another model")
        training, trained = _training_record(path)
        if learner is None:
            if "learner" not in training:
                raise ValueError(f"no training.json next to {checkpoint}: say which learner made "
                                 "it, e.g. --config learner=sb3-ppo")
            learner = training["learner"]
        from mathgym.agents.rl.common.train import learners

        if learner not in learners():
            raise ValueError(f"learner={learner!r}: known learners are "
                             f"{', '.join(learners())}")
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
            raise ValueError(f"horizon={horizon!r}: must be an int >= 1")
        if not 0.0 <= float(epsilon) <= 1.0:
            raise ValueError(f"epsilon={epsilon!r}: must be in [0, 1]")
        family = family or training.get("family", "ac")
        if family not in FAMILIES.values():
            raise ValueError(f"family={family!r}: the sb3 agent evaluates "
                             f"{', '.join(sorted(set(FAMILIES.values())))} models")
        # the semantics of training, unless the config says otherwise (then it is recorded)
        if cyclic_reduction is None:
            cyclic_reduction = bool(trained.get("cyclic_reduction", False)) if (
                family == "ac") else False
        if action_mask is None:
            action_mask = bool(trained.get("action_mask", False))
        if question_features is None and family == "progsynth":
            question_features = int(trained.get("question_features", 256))
        super().__init__(checkpoint=str(checkpoint), learner=learner, sha256=actual,
                         horizon=horizon, epsilon=float(epsilon), family=family,
                         cyclic_reduction=bool(cyclic_reduction), action_mask=bool(action_mask),
                         question_features=question_features)
        self._path, self._learner, self._family = path, learner, family
        self._horizon, self._epsilon = horizon, float(epsilon)
        self._cyclic, self._mask_q = bool(cyclic_reduction), bool(action_mask)
        self._question_features = question_features
        self._model: Any = None

    def supports(self, benchmark: Any) -> bool:
        return FAMILIES.get(getattr(benchmark, "env_id", None)) == self._family

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
            tensor = torch.as_tensor(np.asarray(obs, dtype=np.float32)[None])
            if hasattr(policy, "get_distribution"):
                dist = policy.get_distribution(tensor, action_masks=mask[None]) if (
                    self._learner == "sb3-maskable-ppo") else policy.get_distribution(tensor)
                probs = dist.distribution.probs[0].numpy().astype(np.float64)
                if greedy:
                    return int(np.argmax(probs))
                return int(rng.choice(len(probs), p=probs / probs.sum()))
            q = policy.q_net(tensor)[0].numpy()
            allowed = np.flatnonzero(mask) if self._mask_q and mask is not None else None
            if allowed is not None and allowed.size == 0:
                allowed = None
            if not greedy and rng.random() < self._epsilon:
                return int(rng.choice(allowed)) if allowed is not None else int(
                    rng.integers(len(q)))
            if allowed is not None:
                return int(allowed[np.argmax(q[allowed])])
            return int(np.argmax(q))

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        model = self._load()
        if self._family == "progsynth":
            return self._attempt_progsynth(model, benchmark, instance, budget, seed)
        return self._attempt_ac(model, benchmark, instance, budget, seed)

    # ------------------------------------------------------------------ AC
    def _attempt_ac(self, model: Any, benchmark: Any, instance: Any, budget: float,
                    seed: int) -> Attempt:
        from mathgym.agents.rl.common.cyclic import expand_cyclic_path

        width = int(model.observation_space.shape[0]) // 2
        env = benchmark.make_env(instance, horizon=self._horizon)
        cap = int(env.unwrapped.cap)
        if cap > width:
            raise ValueError(f"instance {instance.id} has cap {cap}, above the policy's training "
                             f"cap {width}")
        rng = np.random.default_rng([int(seed), 1190])
        padded = np.zeros((2, width), dtype=np.float32)
        spent, episodes, limit = 0, 0, int(budget)
        info_out: dict[str, Any] = {"training_steps": int(model.num_timesteps), "episodes": 0}
        while spent < limit:
            obs, _ = env.reset()
            path: list[int] = []
            greedy = episodes == 0
            episodes += 1
            truncated = False
            while spent < limit and not truncated:
                padded[:, :cap] = np.asarray(obs, dtype=np.float32).reshape(2, cap)
                mask = env.unwrapped.action_masks()
                move = self._act(model, padded.reshape(-1), mask, greedy, rng)
                moves = [move]
                if self._cyclic:  # the move, then its cyclic reductions as plain AC moves
                    relators = env.unwrapped.state_presentation.relators
                    moves = expand_cyclic_path(relators, [move], cap)
                for m in moves:
                    obs, _, terminated, truncated, _ = env.step(m)
                    spent += 1
                    path.append(m)
                    if terminated:
                        info_out["episodes"] = episodes
                        return Attempt(True, path, float(spent), info_out)
                    if truncated or spent >= limit:
                        break
        info_out["episodes"] = episodes
        return Attempt(False, None, float(spent), info_out)

    # ------------------------------------------------------------------ ProgSynth
    def _attempt_progsynth(self, model: Any, benchmark: Any, instance: Any, budget: float,
                           seed: int) -> Attempt:
        from mathgym.envs.wrappers.progsynth_features import ProgSynthFeatures

        env = ProgSynthFeatures(benchmark.make_env(instance), n_features=self._question_features)
        if env.observation_space.shape != model.observation_space.shape:
            raise ValueError(f"the model reads observations of shape "
                             f"{model.observation_space.shape}, the features of "
                             f"{benchmark.full_id} have {env.observation_space.shape}: it was "
                             "trained on another node cap or question_features")
        rng = np.random.default_rng([int(seed), 2107])
        spent, episodes, limit = 0, 0, int(budget)
        info_out: dict[str, Any] = {"training_steps": int(model.num_timesteps), "episodes": 0}
        try:
            while spent < limit:
                obs, _ = env.reset()
                path: list[int] = []
                greedy = episodes == 0
                episodes += 1
                terminated = False
                while spent < limit and not terminated:
                    action = self._act(model, obs, env.action_masks(), greedy, rng)
                    obs, reward, terminated, _, info = env.step(action)
                    spent += 1
                    path.append(action)
                    if terminated and info.get("is_success"):
                        info_out["episodes"] = episodes
                        return Attempt(True, path, float(spent), info_out)
        finally:
            env.close()
        info_out["episodes"] = episodes
        return Attempt(False, None, float(spent), info_out)


AGENTS = {"sb3": SB3Agent}

"""``MaskedDQN``: SB3's DQN that never explores, chooses or bootstraps from a masked action.

Why: in ``mathgym/MathProgSynth-v0`` an action the type mask forbids ends the episode with
reward 0, and only a few of the 38 actions are allowed at each step. Plain DQN explores
uniformly over all actions, so almost every exploratory episode dies on its first step, and
its TD target ``max_a Q(s', a)`` ranges over actions that are never taken (their Q-values are
never trained, so the max is an overestimate). sb3-contrib masks PPO, not DQN.

How: the observation must *end* with the action mask (``mask_size`` = number of actions;
:class:`~mathgym.envs.wrappers.progsynth_features.ProgSynthFeatures` lays its features out
so). Then, reading the mask from the observation itself, so that the replay buffer stores it
with every transition:

- exploration (uniform actions before ``learning_starts`` and with probability epsilon) is
  uniform over the allowed actions (``action_space.sample(mask=...)``, the space's seeded RNG);
- the greedy action is ``argmax`` of Q over the allowed actions;
- the TD target is ``r + gamma * (1 - done) * max_{a allowed in s'} Q_target(s', a)``; a state
  with no allowed action (a terminal observation) bootstraps 0.

With ``mask_size=None`` every method is SB3's own, so ``MaskedDQN`` is DQN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch as th
import torch.nn.functional as F
from stable_baselines3 import DQN


class MaskedDQN(DQN):
    """DQN with action masks read from the last ``mask_size`` features of the observation."""

    def __init__(self, *args: Any, mask_size: int | None = None, **kwargs: Any) -> None:
        self.mask_size = None if mask_size is None else int(mask_size)
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ masks
    def _masks(self, observation: np.ndarray) -> np.ndarray:
        """``(batch, n_actions)`` bool masks from a batch of observations."""
        obs = np.asarray(observation)
        return obs.reshape(-1, obs.shape[-1])[:, -self.mask_size:] > 0.5

    def _random_actions(self, observation: np.ndarray) -> np.ndarray:
        return np.array([self.action_space.sample(mask=m.astype(np.int8))
                         for m in self._masks(observation)])

    # ------------------------------------------------------------------ acting
    def predict(self, observation: Any, state: Any = None, episode_start: Any = None,
                deterministic: bool = False) -> tuple[np.ndarray, Any]:
        if getattr(self, "mask_size", None) is None:
            return super().predict(observation, state, episode_start, deterministic)
        if not deterministic and np.random.rand() < self.exploration_rate:
            return self._random_actions(observation), state
        obs = np.asarray(observation, dtype=np.float32).reshape(-1, np.shape(observation)[-1])
        with th.no_grad():
            q = self.q_net(th.as_tensor(obs, device=self.device))
            q = q.masked_fill(~th.as_tensor(self._masks(obs), device=self.device), -th.inf)
        return q.argmax(dim=1).cpu().numpy(), state

    def _sample_action(self, learning_starts: int, action_noise: Any = None,
                       n_envs: int = 1) -> tuple[np.ndarray, np.ndarray]:
        if getattr(self, "mask_size", None) is None:
            return super()._sample_action(learning_starts, action_noise, n_envs)
        if self.num_timesteps < learning_starts:
            action = self._random_actions(self._last_obs)
        else:
            action, _ = self.predict(self._last_obs, deterministic=False)
        return action, action

    # ------------------------------------------------------------------ learning
    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        if getattr(self, "mask_size", None) is None:
            return super().train(gradient_steps, batch_size)
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        losses = []
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            discounts = data.discounts if data.discounts is not None else self.gamma
            with th.no_grad():
                # ALGO LOGIC: the max over the actions allowed in s' only
                next_q = self.q_net_target(data.next_observations)             # (B, A)
                allowed = data.next_observations[:, -self.mask_size:] > 0.5    # (B, A)
                next_q = next_q.masked_fill(~allowed, -th.inf).max(dim=1).values
                next_q = th.where(allowed.any(dim=1), next_q, th.zeros_like(next_q))
                target = data.rewards + (1 - data.dones) * discounts * next_q.reshape(-1, 1)
            q = th.gather(self.q_net(data.observations), dim=1, index=data.actions.long())
            loss = F.smooth_l1_loss(q, target)
            losses.append(loss.item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", np.mean(losses))

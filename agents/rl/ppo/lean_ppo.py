"""Lean PPO: one readable file of PPO in torch over the numba AC vector env (CleanRL style).

Why it exists: ``python -m mathgym.bench rl`` measures how fast SB3's PPO trains on AC and where
its time goes. This loop is the yardstick for "what would a leaner loop reach": the same
algorithm and network as AC-Solver's PPO (``ac_solver/agents/``, a CleanRL port; Shehper et al.,
arXiv 2408.15332) with no per-env Python on the step path: one numba call steps all envs, the
rollout lives in preallocated torch tensors, no info dicts, no callbacks.

The loss reads like the PPO paper (Schulman et al. 2017, arXiv 1707.06347, eq. 7 and 9) and
like AC-Solver's ``ppo_training_loop``; :func:`ppo_loss` is a pure function with two value-loss
variants, each labelled: ``"cleanrl"`` (AC-Solver's, ``0.5 * max(unclipped, clipped)``) and
``"sb3"`` (Stable-Baselines3's ``PPO.train``: the MSE of the clipped prediction alone, no 0.5).
``tests/rl/test_lean_ppo.py`` checks the ``"sb3"`` variant against SB3's own loss on a fixed
batch and the loop's learning on the easy AC set.

Differences from AC-Solver's loop, on purpose:
- an episode cut by the horizon is bootstrapped with the value of its last observation (as SB3
  does); AC-Solver marks only solved episodes done, so its GAE runs on across a truncation;
- ``use_masks=True`` samples only moves that change the state (``ACVectorEnv.action_masks``),
  as sb3-contrib's MaskablePPO does (AC-Solver has no masks). Off by default.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical


@dataclass
class LeanPPOConfig:
    """Lean PPO hyperparameters; defaults are AC-Solver's."""

    n_steps: int = 2000
    """steps per env per rollout (AC-Solver: 2000)"""
    learning_rate: float = 2.5e-4
    """Adam step size at the start of training"""
    anneal_lr: bool = True
    """anneal the step size linearly to 0 over total_steps (AC-Solver: yes)"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE lambda"""
    num_minibatches: int = 4
    """minibatches per epoch (AC-Solver: 4)"""
    n_epochs: int = 1
    """passes over each rollout (AC-Solver: 1)"""
    clip_range: float = 0.2
    """surrogate clip epsilon"""
    clip_range_vf: float | None = 0.2
    """value clip around the rollout's values (None: unclipped value loss)"""
    value_loss: str = "cleanrl"
    """'cleanrl' (AC-Solver: 0.5 * max(unclipped, clipped) squared error) or 'sb3' (SB3: MSE of
    the clipped prediction)"""
    ent_coef: float = 0.01
    """entropy bonus coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """global gradient norm clip"""
    target_kl: float | None = 0.01
    """stop the update after an epoch whose last approximate KL passes this (AC-Solver/CleanRL)"""
    normalize_advantage: bool = True
    """normalise advantages per minibatch"""
    net_arch: list[int] = field(default_factory=lambda: [256, 256])
    """hidden layers of the actor and of the critic (separate networks, tanh)"""
    features: str = "raw"
    """'raw' (the state as floats, AC-Solver) or 'one-hot' (networks.one_hot_ac)"""
    use_masks: bool = False
    """sample only moves that change the state"""
    seed: int = 0
    """seed of the weights and of the action sampling"""


# ----------------------------------------------------------------------------- network
def _layer(n_in: int, n_out: int, gain: float) -> nn.Linear:
    """AC-Solver's ``initialize_layer``: orthogonal weights with ``gain``, zero bias."""
    layer = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.constant_(layer.bias, 0.0)
    return layer


def _mlp(sizes: list[int], last_gain: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [_layer(a, b, float(np.sqrt(2))), nn.Tanh()]
    layers.append(_layer(sizes[-2], sizes[-1], last_gain))
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    """AC-Solver's ``Agent``: separate actor and critic MLPs (tanh), last gains 0.01 and 1."""

    def __init__(self, obs_dim: int, n_actions: int, net_arch: list[int], features: str = "raw",
                 k: int = 2) -> None:
        super().__init__()
        if features not in ("raw", "one-hot"):
            raise ValueError(f"features must be 'raw' or 'one-hot', got {features!r}")
        self.features, self.k = features, k
        width = obs_dim * (2 * k + 1) if features == "one-hot" else obs_dim
        self.actor = _mlp([width, *net_arch, n_actions], 0.01)
        self.critic = _mlp([width, *net_arch, 1], 1.0)

    def _x(self, obs: torch.Tensor) -> torch.Tensor:
        if self.features == "one-hot":
            from mathgym.agents.rl.common.networks import one_hot_ac

            return one_hot_ac(obs, self.k)
        return obs

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, D)`` float states -> logits ``(B, A)`` and values ``(B,)``."""
        x = self._x(obs)
        return self.actor(x), self.critic(x).squeeze(-1)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(self._x(obs)).squeeze(-1)


def distribution(logits: torch.Tensor, mask: torch.Tensor | None) -> Categorical:
    """The policy's categorical; masked moves get logit -1e8 (as sb3-contrib does)."""
    if mask is not None:
        logits = torch.where(mask, logits, torch.tensor(-1e8, dtype=logits.dtype))
    return Categorical(logits=logits)


# ----------------------------------------------------------------------------- ALGO LOGIC
def gae(rewards: torch.Tensor, values: torch.Tensor, episode_starts: torch.Tensor,
        last_values: torch.Tensor, last_dones: torch.Tensor, gamma: float,
        lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016, arXiv 1506.02438, eq. 16).

    ``rewards``, ``values``: ``(T, N)``; ``episode_starts[t]`` is 1 where the observation of
    step ``t`` began a new episode (so step ``t - 1`` ended one); ``last_values``,
    ``last_dones``: ``(N,)`` for the observation after the rollout. Returns ``(advantages,
    returns)``, both ``(T, N)``, ``returns = advantages + values``.
    """
    n_steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(last_values)
    for t in reversed(range(n_steps)):
        if t == n_steps - 1:
            next_non_terminal, next_values = 1.0 - last_dones, last_values
        else:
            next_non_terminal, next_values = 1.0 - episode_starts[t + 1], values[t + 1]
        delta = rewards[t] + gamma * next_values * next_non_terminal - values[t]
        last = delta + gamma * lam * next_non_terminal * last
        advantages[t] = last
    return advantages, advantages + values


def ppo_loss(new_logp: torch.Tensor, old_logp: torch.Tensor, entropy: torch.Tensor,
             new_values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor,
             advantages: torch.Tensor, cfg: LeanPPOConfig) -> tuple[torch.Tensor,
                                                                   dict[str, float]]:
    """PPO's clipped loss on one minibatch (all tensors ``(B,)``); returns ``(loss, stats)``.

    ``loss = pg_loss - ent_coef * entropy + vf_coef * v_loss`` (paper eq. 9, as a loss).
    """
    if cfg.normalize_advantage and len(advantages) > 1:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    logratio = new_logp - old_logp
    ratio = logratio.exp()
    # clipped surrogate (paper eq. 7), negated to a loss
    pg_loss1 = -advantages * ratio
    pg_loss2 = -advantages * torch.clamp(ratio, 1 - cfg.clip_range, 1 + cfg.clip_range)
    pg_loss = torch.max(pg_loss1, pg_loss2).mean()
    # value loss
    if cfg.clip_range_vf is None:
        v_pred = new_values
    else:
        v_pred = old_values + torch.clamp(new_values - old_values, -cfg.clip_range_vf,
                                          cfg.clip_range_vf)
    if cfg.value_loss == "sb3":  # SB3 PPO.train: F.mse_loss(returns, values_pred)
        v_loss = ((returns - v_pred) ** 2).mean()
    elif cfg.value_loss == "cleanrl":  # AC-Solver / CleanRL: 0.5 * max(unclipped, clipped)
        v_unclipped = (new_values - returns) ** 2
        v_loss = 0.5 * torch.max(v_unclipped, (v_pred - returns) ** 2).mean()
    else:
        raise ValueError(f"value_loss must be 'cleanrl' or 'sb3', got {cfg.value_loss!r}")
    entropy_loss = entropy.mean()
    loss = pg_loss - cfg.ent_coef * entropy_loss + cfg.vf_coef * v_loss
    with torch.no_grad():  # http://joschu.net/blog/kl-approx.html, the k3 estimator
        approx_kl = ((ratio - 1) - logratio).mean().item()
        clipfrac = ((ratio - 1.0).abs() > cfg.clip_range).float().mean().item()
    return loss, {"pg_loss": pg_loss.item(), "v_loss": v_loss.item(),
                  "entropy": entropy_loss.item(), "approx_kl": approx_kl, "clipfrac": clipfrac}


# ----------------------------------------------------------------------------- the loop
class LeanPPO:
    """PPO over an ``ACVectorEnv`` (or a subclass, e.g. ``TrainingACVectorEnv``).

    ``learn(total_steps)`` runs whole rollouts of ``n_envs * n_steps`` env steps;
    ``episodes_solved`` counts the episodes that ended solved; ``timings``
    accumulates seconds per phase (``forward``, ``env``, ``store``, ``gae``, ``update``) for
    the bench's profile. Torch threads are the caller's (``torch.set_num_threads``).
    """

    def __init__(self, cfg: LeanPPOConfig, vec_env: Any) -> None:
        self.cfg, self.env = cfg, vec_env
        self.n_envs = int(vec_env.num_envs)
        rollout = self.n_envs * cfg.n_steps
        if cfg.n_steps < 1 or cfg.num_minibatches < 1 or rollout % cfg.num_minibatches:
            raise ValueError(f"num_minibatches={cfg.num_minibatches} must divide the rollout of "
                             f"n_envs * n_steps = {rollout} steps")
        torch.manual_seed(cfg.seed)
        obs_dim = int(vec_env.single_observation_space.shape[0])
        self.n_actions = int(vec_env.single_action_space.n)
        k = int(round(float(vec_env.single_observation_space.high.max())))
        self.agent = ActorCritic(obs_dim, self.n_actions, list(cfg.net_arch), cfg.features, k)
        self.optimizer = torch.optim.Adam(self.agent.parameters(), lr=cfg.learning_rate,
                                          eps=1e-5)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.num_timesteps = 0
        self.episodes_solved = 0  # episodes that ended solved (terminated), over all learn calls
        self.timings = dict.fromkeys(("forward", "env", "store", "gae", "update"), 0.0)
        self.stats: dict[str, float] = {}
        self._obs: torch.Tensor | None = None
        self._starts = torch.ones(self.n_envs)

    def _mask(self) -> torch.Tensor | None:
        return torch.from_numpy(self.env.action_masks()) if self.cfg.use_masks else None

    def learn(self, total_steps: int, callback: Callable[[LeanPPO], None] | None = None,
              ) -> LeanPPO:
        """Train for ``total_steps`` env steps (rounded up to whole rollouts)."""
        cfg, n, t_steps = self.cfg, self.n_envs, self.cfg.n_steps
        updates = -(-int(total_steps) // (n * t_steps))
        if self._obs is None:
            obs, _ = self.env.reset(seed=cfg.seed)
            self._obs = torch.as_tensor(obs, dtype=torch.float32)
        obs_buf = torch.zeros((t_steps, n) + tuple(self._obs.shape[1:]))
        act_buf = torch.zeros((t_steps, n), dtype=torch.long)
        logp_buf, rew_buf, val_buf, start_buf = (torch.zeros((t_steps, n)) for _ in range(4))
        mask_buf = torch.ones((t_steps, n, self.n_actions), dtype=torch.bool)
        clock = time.perf_counter
        for update in range(updates):
            if cfg.anneal_lr:  # linear to 0 over the whole run, as AC-Solver's default
                frac = 1.0 - update / updates
                self.optimizer.param_groups[0]["lr"] = frac * cfg.learning_rate
            # TRY NOT TO MODIFY: collect a rollout
            for t in range(t_steps):
                t0 = clock()
                mask = self._mask()
                with torch.no_grad():
                    logits, value = self.agent(self._obs)
                    dist = distribution(logits, mask)
                    # seeded sample (Categorical.sample takes no generator)
                    action = torch.multinomial(dist.probs, 1, generator=self.generator)[:, 0]
                    logp = dist.log_prob(action)
                t1 = clock()
                obs, reward, terminated, truncated, info = self.env.step(action.numpy())
                t2 = clock()
                reward = torch.as_tensor(reward, dtype=torch.float32)
                self.episodes_solved += int(np.count_nonzero(terminated))
                cut = np.flatnonzero(truncated & ~terminated)
                if cut.size:  # bootstrap a cut episode with its last state's value
                    final = np.stack([info["final_obs"][i] for i in cut])
                    with torch.no_grad():
                        reward[cut] += cfg.gamma * self.agent.value(
                            torch.as_tensor(final, dtype=torch.float32))
                obs_buf[t], act_buf[t], logp_buf[t], val_buf[t] = self._obs, action, logp, value
                rew_buf[t], start_buf[t] = reward, self._starts
                if mask is not None:
                    mask_buf[t] = mask
                self._obs = torch.as_tensor(obs, dtype=torch.float32)
                self._starts = torch.as_tensor(terminated | truncated, dtype=torch.float32)
                t3 = clock()
                self.timings["forward"] += t1 - t0
                self.timings["env"] += t2 - t1
                self.timings["store"] += t3 - t2
            self.num_timesteps += n * t_steps
            t0 = clock()
            with torch.no_grad():
                last_values = self.agent.value(self._obs)
            advantages, returns = gae(rew_buf, val_buf, start_buf, last_values, self._starts,
                                      cfg.gamma, cfg.gae_lambda)
            t1 = clock()
            self._update(obs_buf, act_buf, logp_buf, val_buf, advantages, returns, mask_buf)
            self.timings["gae"] += t1 - t0
            self.timings["update"] += clock() - t1
            if callback is not None:
                callback(self)
        return self

    def _update(self, obs, actions, old_logp, old_values, advantages, returns, masks) -> None:
        cfg = self.cfg
        b_obs = obs.reshape((-1,) + tuple(obs.shape[2:]))
        b_act, b_logp, b_val = actions.reshape(-1), old_logp.reshape(-1), old_values.reshape(-1)
        b_adv, b_ret = advantages.reshape(-1), returns.reshape(-1)
        b_mask = masks.reshape(-1, self.n_actions) if cfg.use_masks else None
        size = len(b_obs)
        minibatch = size // cfg.num_minibatches
        stats: dict[str, float] = {}
        for _ in range(cfg.n_epochs):
            order = torch.randperm(size, generator=self.generator)
            for start in range(0, size, minibatch):
                idx = order[start:start + minibatch]
                logits, new_values = self.agent(b_obs[idx])
                dist = distribution(logits, None if b_mask is None else b_mask[idx])
                loss, stats = ppo_loss(dist.log_prob(b_act[idx]), b_logp[idx], dist.entropy(),
                                       new_values, b_val[idx], b_ret[idx], b_adv[idx], cfg)
                self.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.agent.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
            if cfg.target_kl is not None and stats["approx_kl"] > cfg.target_kl:
                break  # CleanRL / AC-Solver: checked after the epoch
        self.stats = stats


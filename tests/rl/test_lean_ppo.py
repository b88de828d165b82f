"""The lean PPO loop (agents/rl/ppo/lean_ppo.py): its loss is SB3's on a fixed batch, its GAE is
SB3's, its value-loss variants match hand-computed values, it is deterministic, and a seeded
short run learns the easy AC set (more solved episodes than random moves in the same steps).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from ac_easy_plugin import CAP, easy_presentations
from mathgym.agents.rl import SB3VecEnv
from mathgym.agents.rl.ppo.lean_ppo import LeanPPO, LeanPPOConfig, gae, ppo_loss
from mathgym.envs.ac.vector_env import ACVectorEnv
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback

import mathgym  # noqa: F401  (registers the envs)


class _Snapshot(BaseCallback):
    """Keeps a copy of the policy as it was when the rollout ended (before SB3's update)."""

    def _on_rollout_end(self) -> None:
        self.policy_before = copy.deepcopy(self.model.policy)

    def _on_step(self) -> bool:
        return True


def test_loss_equals_sb3_ppo_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    starts = easy_presentations(N_PRESENTATIONS, moves=3, seed=0)
    venv = SB3VecEnv("mathgym/AC-v0", n_envs=8, seed=0, max_relator_length=CAP, horizon=4,
                     presentations=starts[:8])  # sparse reward; some episodes solve
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=256, n_epochs=1, clip_range=0.2,
                clip_range_vf=0.2, ent_coef=0.01, vf_coef=0.5, target_kl=None, seed=0,
                policy_kwargs={"net_arch": {"pi": [64, 64], "vf": [64, 64]}}, device="cpu")
    snap = _Snapshot()
    model.learn(256, callback=snap)  # one rollout, one minibatch: SB3 logs that batch's loss
    logged = model.logger.name_to_value
    assert (model.rollout_buffer.rewards >= 1.0).any()  # the batch has solves: a real signal
    data = next(model.rollout_buffer.get(batch_size=None))  # the whole batch (order is moot)
    with torch.no_grad():
        values, logp, entropy = snap.policy_before.evaluate_actions(
            data.observations, data.actions.long().flatten())
    cfg = LeanPPOConfig(clip_range=0.2, clip_range_vf=0.2, value_loss="sb3", ent_coef=0.01,
                        vf_coef=0.5)
    loss, stats = ppo_loss(logp, data.old_log_prob, entropy, values.flatten(), data.old_values,
                           data.returns, data.advantages, cfg)
    assert abs(loss.item() - logged["train/loss"]) < 1e-6, (loss.item(), logged["train/loss"])
    assert abs(stats["pg_loss"] - logged["train/policy_gradient_loss"]) < 1e-6
    assert abs(stats["v_loss"] - logged["train/value_loss"]) < 1e-6
    assert abs(-stats["entropy"] - logged["train/entropy_loss"]) < 1e-6
    assert stats["approx_kl"] == pytest.approx(0.0, abs=1e-7)  # the old policy itself


def test_value_loss_variants_by_hand():
    one = torch.ones(2)
    new_v, old_v, ret = torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]), torch.tensor([0.0,
                                                                                          1.0])
    adv = torch.tensor([1.0, -1.0])
    logp = torch.log(torch.tensor([0.5, 0.5]))
    ratio_logp = torch.log(torch.tensor([0.75, 0.75]))  # ratio 1.5 against old prob 0.5
    kw = {"clip_range": 0.2, "clip_range_vf": 0.2, "ent_coef": 0.0, "vf_coef": 1.0,
          "normalize_advantage": False}
    # clipped predictions [0.7, 0.3]: squared errors 0.49 each; unclipped 1 each
    sb3, s1 = ppo_loss(ratio_logp, logp, 0 * one, new_v, old_v, ret, adv,
                       LeanPPOConfig(value_loss="sb3", **kw))
    clean, s2 = ppo_loss(ratio_logp, logp, 0 * one, new_v, old_v, ret, adv,
                         LeanPPOConfig(value_loss="cleanrl", **kw))
    assert s1["v_loss"] == pytest.approx(0.49) and s2["v_loss"] == pytest.approx(0.5)
    # ratio 1.5: adv +1 takes the clipped 1.2 (max of -1.5, -1.2), adv -1 the unclipped 1.5
    assert s1["pg_loss"] == pytest.approx((-1.2 + 1.5) / 2)
    assert s1["clipfrac"] == 1.0
    assert sb3.item() == pytest.approx(0.15 + 0.49) and clean.item() == pytest.approx(0.15 + 0.5)
    with pytest.raises(ValueError, match="value_loss"):
        ppo_loss(logp, logp, one, new_v, old_v, ret, adv, LeanPPOConfig(value_loss="huber"))


def test_gae_equals_sb3_rollout_buffer():
    from gymnasium import spaces

    rng = np.random.default_rng(0)
    t_steps, n = 7, 3
    rewards, values = rng.normal(size=(t_steps, n)), rng.normal(size=(t_steps, n))
    starts = (rng.random((t_steps, n)) < 0.3).astype(np.float32)
    last_values, last_dones = rng.normal(size=n), np.array([1.0, 0.0, 1.0])
    buf = RolloutBuffer(t_steps, spaces.Box(-1, 1, (1,)), spaces.Discrete(2), "cpu", gamma=0.9,
                        gae_lambda=0.8, n_envs=n)
    for t in range(t_steps):
        buf.add(np.zeros((n, 1)), np.zeros((n, 1)), rewards[t], starts[t],
                torch.as_tensor(values[t]), torch.zeros(n))
    buf.compute_returns_and_advantage(torch.as_tensor(last_values), last_dones)
    f = torch.float32
    adv, ret = gae(torch.as_tensor(rewards, dtype=f), torch.as_tensor(values, dtype=f),
                   torch.as_tensor(starts), torch.as_tensor(last_values, dtype=f),
                   torch.as_tensor(last_dones, dtype=f), 0.9, 0.8)
    np.testing.assert_allclose(adv.numpy(), buf.advantages, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ret.numpy(), buf.returns, rtol=1e-5, atol=1e-6)


N_PRESENTATIONS, N_ENVS, HORIZON, STEPS = 16, 64, 16, 65_536
FAST = {"n_steps": 16, "num_minibatches": 4, "n_epochs": 4, "learning_rate": 1e-3,
        "anneal_lr": False, "gamma": 0.95, "net_arch": [64, 64], "clip_range_vf": None,
        "target_kl": None}


def _easy_env(n_envs: int = N_ENVS) -> ACVectorEnv:
    starts = easy_presentations(N_PRESENTATIONS, moves=3, seed=0)
    return ACVectorEnv(n_envs, max_relator_length=CAP, horizon=HORIZON,
                       presentations=[starts[i % len(starts)] for i in range(n_envs)])


def test_same_seed_same_weights_and_bad_config_is_refused():
    torch.set_num_threads(1)
    runs = []
    for _ in range(2):
        model = LeanPPO(LeanPPOConfig(**{**FAST, "use_masks": True, "features": "one-hot"}),
                        _easy_env(8))
        model.learn(8 * 16 * 3)
        runs.append(torch.cat([p.detach().flatten() for p in model.agent.parameters()]))
    assert torch.equal(runs[0], runs[1])
    with pytest.raises(ValueError, match="num_minibatches=3 must divide"):
        LeanPPO(LeanPPOConfig(n_steps=16, num_minibatches=3), _easy_env(8))
    with pytest.raises(ValueError, match="features must be"):
        LeanPPO(LeanPPOConfig(features="embedded"), _easy_env(8))


@pytest.mark.slow  # about 10 s of CPU
def test_lean_ppo_solves_more_than_random_with_the_same_steps():
    torch.set_num_threads(1)
    model = LeanPPO(LeanPPOConfig(**FAST, seed=0), _easy_env())
    model.learn(STEPS)
    assert model.num_timesteps == STEPS

    env = _easy_env()
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    random_solved = 0
    for _ in range(STEPS // N_ENVS):
        _, _, terminated, _, _ = env.step(rng.integers(0, 12, N_ENVS))
        random_solved += int(terminated.sum())
    # seen: lean PPO and SB3's PPO (test_ppo_learns.py) both far above random here
    assert model.episodes_solved > 10 * max(random_solved, 1), (model.episodes_solved,
                                                                 random_solved)

"""``GRPOTrainer``: the GRPO-family training loop of our own, in plain PyTorch.

API (stable; engineer scripts and ``mathgym train --agent llm-grpo`` use exactly this)::

    from mathgym.agents.llm.common.model import load_policy
    from mathgym.agents.llm.grpo.config import GRPOConfig
    from mathgym.agents.llm.grpo.prompts import MathQAPrompts
    from mathgym.agents.llm.grpo.trainer import GRPOTrainer

    cfg = GRPOConfig.preset("dr_grpo", prompts_per_step=4, num_generations=4, max_new_tokens=24)
    model, tokenizer = load_policy("smollm2", device="cpu")
    trainer = GRPOTrainer(cfg, model, tokenizer, MathQAPrompts(tokenizer), out_dir="runs/g")
    trainer.resume()                  # continue OUT/checkpoint.pt if there is one (else no-op)
    stats = trainer.train_step()      # one sampled batch -> num_iterations optimiser steps
    trainer.train(steps=100, checkpoint_every=10)   # run until trainer.step == 100
    trainer.save_checkpoint()         # OUT/checkpoint.pt, atomic
    trainer.save_adapter("runs/g/adapter")   # LoRA: adapter + sha256 (merge=True: full model)
    trainer.plot()                    # OUT/metrics.png

``stats`` (also one row of ``OUT/metrics.csv`` and TensorBoard scalars): see
:data:`~mathgym.agents.llm.grpo.metrics.METRIC_KEYS`.

Design note
-----------
One ``train_step`` is one *generation batch*: ``prompts_per_step`` prompts (global, over all
processes), G completions each, then ``num_iterations`` passes over it, each pass one AdamW step
with the gradient accumulated over micro-batches of ``micro_batch_size`` completions.

1. **Sample** (``torch.inference_mode``, our KV-cache sampler ``common/sampling.py``). Row j of
   prompt k is seeded by ``sha256(seed, k, j)``, where k is the prompt's global stream index, so
   the completions do not depend on the number of processes or the batch layout. The sampler's
   logprobs are kept (``sampler_logp``).
2. **Score** with the prompt source's exact reward (MathQA: the verifier, never eval), plus
   DAPO's overlong shaping; **dynamic sampling** drops zero-variance groups and samples more
   prompts (up to ``max_sampling_rounds``).
3. **Advantages** on the global reward vector (processes exchange rewards, a few floats), so
   batch-scaled estimators see the whole batch; each process keeps its rows.
4. **Loss.** Per micro-batch one forward pass gives ``logp`` (with gradient; logits divided by
   the sampling temperature, as the sampler drew). The old policy is the policy that sampled,
   and the first pass runs before any update, so ``old_logp = logp.detach()`` there and is kept
   for the later passes: no extra forward. The model stays in eval mode (no dropout), so that
   identity is exact. The reference (beta > 0 only) is the base with the LoRA adapter disabled,
   one no-grad forward per micro-batch, computed once per batch. Each micro-batch's loss is its
   exact share of the global loss: token-mean types get the global token count as
   ``num_tokens``; sequence-mean types are scaled by ``b / B_global``; so accumulation and data
   parallel give the gradient of one big batch. Processes sum their gradients (one flat
   ``all_reduce``, ``common/distributed.py``), then clip and step.
5. **Instrument** every step (reward, zero-variance groups, entropy, KL, clip fractions,
   grad norm, length, sampler-vs-trainer logprob gap) to CSV and TensorBoard, and pass it to
   the **guard** (``guard.py``), which stops or rolls back to the last good checkpoint.

Resuming: a checkpoint holds the trainable weights (the adapter, or the whole model), AdamW's
state, the RNG states (Python, numpy, torch), the prompt stream's position, the step and
sample counters and the guard's state; written atomically (temp file, fsync, rename). On CPU a
resumed run computes exactly what an uninterrupted one does (tested with kill -9).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import random
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mathgym.agents.llm.common.distributed import (
    DistContext,
    all_reduce_gradients,
    all_reduce_min,
    all_reduce_sum,
    gather_rows,
    init_from_env,
)
from mathgym.agents.llm.common.logprobs import selective_log_softmax, token_entropy
from mathgym.agents.llm.common.masks import completion_mask, position_ids_from_mask
from mathgym.agents.llm.common.sampling import left_pad, sample
from mathgym.agents.llm.grpo.advantages import compute_advantages, zero_variance_groups
from mathgym.agents.llm.grpo.config import GRPOConfig
from mathgym.agents.llm.grpo.guard import Guard, GuardEvent
from mathgym.agents.llm.grpo.loss import policy_loss, sampler_importance_weights
from mathgym.agents.llm.grpo.metrics import MetricsLog, plot_metrics
from mathgym.agents.llm.grpo.prompts import PromptItem, PromptSource
from mathgym.agents.llm.grpo.rewards import dynamic_sampling_keep, kept_rows, overlong_penalty

CHECKPOINT_NAME = "checkpoint.pt"
#: Bump when the loop's behaviour changes (checkpoints and results record it).
TRAINER_VERSION = "1"


class GuardStop(RuntimeError):
    """The guard fired with ``guard_action="stop"`` (or ran out of rollbacks)."""

    def __init__(self, event: GuardEvent, note: str = "") -> None:
        super().__init__(event.message() + (f"; {note}" if note else ""))
        self.event = event


def row_seed(seed: int, prompt_index: int, sample_index: int) -> int:
    """The sampler seed of completion ``sample_index`` of global prompt ``prompt_index``."""
    digest = hashlib.sha256(f"grpo|{seed}|{prompt_index}|{sample_index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class GRPOTrainer:
    """The GRPO-family trainer (see the module doc for the API and the design).

    ``model``: a transformers causal LM (its base weights; wrapped with a LoRA adapter here when
    ``config.lora``, or an already peft-wrapped model). ``prompts``: a
    :class:`~mathgym.agents.llm.grpo.prompts.PromptSource`. ``out_dir``: where checkpoints,
    metrics.csv, TensorBoard logs and plots go (None: nothing is written). ``device``:
    ``auto | cpu | cuda[:N]``; under ``torchrun`` each process takes ``cuda:LOCAL_RANK`` on GPU.
    ``dist``: a :class:`DistContext`; None joins the ``torchrun`` group if there is one.
    """

    def __init__(self, config: GRPOConfig, model: Any, tokenizer: Any, prompts: PromptSource,
                 out_dir: str | os.PathLike[str] | None = None, *, device: str = "auto",
                 dist: DistContext | None = None, tensorboard: bool = True) -> None:
        from mathgym.agents.llm.common.lora import is_peft, wrap_lora
        from mathgym.agents.rl.common.device import resolve_device

        self.config = config.validate()
        cfg = self.config
        torch.set_num_threads(cfg.torch_threads)
        self.device = resolve_device(device)
        if self.device.type == "cuda" and os.environ.get("LOCAL_RANK") is not None \
                and device in ("auto", "cuda"):
            self.device = torch.device(f"cuda:{int(os.environ['LOCAL_RANK'])}")
        self.dist = dist if dist is not None else init_from_env(self.device)
        if cfg.prompts_per_step % self.dist.world_size:
            raise ValueError(f"prompts_per_step={cfg.prompts_per_step} must be a multiple of the "
                             f"{self.dist.world_size} processes (each takes an equal share)")
        if cfg.dtype == "bfloat16" and self.device.type == "cpu" and cfg.torch_threads < 1:
            raise ValueError("bfloat16 needs torch_threads >= 1")
        random.seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)
        torch.manual_seed(cfg.seed)

        self.tokenizer = tokenizer
        self.eos_id = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None \
            else tokenizer.eos_token_id
        if self.eos_id is None:
            raise ValueError("the tokenizer has no eos_token_id: completions could never end")
        model = model.to(self.device)
        for p in model.parameters():  # weights stay fp32; bf16 is autocast only
            if p.dtype != torch.float32:
                raise ValueError(f"load the model in float32 (found {p.dtype}); bf16 training "
                                 "is GRPOConfig.dtype='bfloat16' (autocast)")
        self.ref_model = None
        if cfg.lora:
            if not is_peft(model):
                model = wrap_lora(model, r=cfg.lora_r, alpha=cfg.lora_alpha,
                                  dropout=cfg.lora_dropout,
                                  target_modules=cfg.lora_target_modules, seed=cfg.seed)
        else:
            if is_peft(model):
                raise ValueError("lora=False with a peft model: pass the plain base model")
            if cfg.beta > 0:  # full fine-tuning: the reference must be a frozen copy
                import copy

                self.ref_model = copy.deepcopy(model).requires_grad_(False)
                self.ref_model.train(False)
        self.model = model
        self.model.train(False)  # no dropout: the first pass's logp is exactly pi_old's
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        if not self.params:
            raise ValueError("the model has no trainable parameters")
        self.optimizer = torch.optim.AdamW(
            self.params, lr=cfg.learning_rate, betas=tuple(cfg.adam_betas), eps=cfg.adam_eps,
            weight_decay=cfg.weight_decay)
        self.loss_cfg = cfg.loss_config()
        self.prompts = prompts
        self.guard = Guard.from_config(cfg)
        self.step = 0
        self.samples = 0  # completions trained on (kept by dynamic sampling), all processes
        self.sampled = 0  # completions sampled, dropped ones included
        self.rollbacks = 0
        self.session = 0
        self.history: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.out = None if out_dir is None else Path(out_dir)
        self._tensorboard = tensorboard
        self._log: MetricsLog | None = None
        self._last_good: Path | None = None
        self.improve = None  # issue 13: an improver's hook, only when configured
        if cfg.improver is not None:
            from mathgym.agents.llm.improve.trainer_hook import TrainerHook, make_improver

            self.improve = TrainerHook(make_improver(cfg.improver, cfg.improver_options),
                                       seed=cfg.seed)

    # ------------------------------------------------------------------ helpers (TRY NOT TO MODIFY)
    @property
    def writes(self) -> bool:
        """This process writes files (rank 0 of a run with an out_dir)."""
        return self.out is not None and self.dist.is_main

    def _autocast(self):
        if self.config.dtype == "bfloat16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def _metrics(self) -> MetricsLog | None:
        if self._log is None and self.writes:
            self._log = MetricsLog(self.out, self.session, keep_until_step=self.step,
                                   tensorboard=self._tensorboard)
        return self._log

    def completion_logits(self, model: Any, prompt_ids: torch.Tensor,
                          prompt_attention: torch.Tensor, completion_ids: torch.Tensor,
                          lengths: torch.Tensor, repeats: int = 1) -> torch.Tensor:
        """``(B, T, V)`` logits that predict each completion token.

        Prompts are left-padded (``(B / repeats, P)``: each prompt once), completions
        right-padded (``(B, T)``, prompt-major); positions count real tokens only.

        ``repeats == 1``: one forward over prompt + completion (TRL's way), keeping only the
        completion's logits (``logits_to_keep = T + 1``). ``repeats = G > 1``: the prompt
        prefix is shared. Each prompt runs once, its KV cache (with its autograd graph) is
        repeated to its G rows, and the completions run on top of it. That is the same function,
        and the prompt's gradient is the sum over its rows, as in the full forward. With ~70
        prompt and 24 completion tokens at G = 4 it processes 2.4x fewer tokens.
        """
        from transformers import DynamicCache

        T = completion_ids.shape[1]
        cols = torch.arange(T, device=completion_ids.device).unsqueeze(0)
        completion_attention = (cols < lengths.unsqueeze(1)).to(prompt_attention.dtype)
        if repeats == 1:
            input_ids = torch.cat([prompt_ids, completion_ids], dim=1)  # (B, P + T)
            attention = torch.cat([prompt_attention, completion_attention], dim=1)
            with self._autocast():
                out = model(input_ids=input_ids, attention_mask=attention,
                            position_ids=position_ids_from_mask(attention), use_cache=False,
                            logits_to_keep=T + 1)
            return out.logits[:, :-1, :]  # (B, T, V)
        cache = DynamicCache()
        positions = position_ids_from_mask(prompt_attention)  # (B / G, P)
        with self._autocast():
            out = model(input_ids=prompt_ids, attention_mask=prompt_attention,
                        position_ids=positions, cache=cache, use_cache=True, logits_to_keep=1)
            first = out.logits[:, -1:, :].repeat_interleave(repeats, dim=0)  # (B, 1, V)
            cache.batch_repeat_interleave(repeats)
            attention = torch.cat([prompt_attention.repeat_interleave(repeats, dim=0),
                                   completion_attention], dim=1)  # (B, P + T)
            start = positions[:, -1:].repeat_interleave(repeats, dim=0) + 1  # (B, 1)
            out = model(input_ids=completion_ids, attention_mask=attention,
                        position_ids=start + cols, cache=cache, use_cache=True)
        return torch.cat([first, out.logits[:, :-1, :]], dim=1)  # (B, T, V)

    # ------------------------------------------------------------------ sampling
    def _sample_items(self, items: list[PromptItem]) -> dict[str, Any]:
        """G seeded completions of each local prompt, their rewards (task + overlong)."""
        cfg = self.config
        G = cfg.num_generations
        prompts = [it.ids for it in items for _ in range(G)]
        seeds = [row_seed(cfg.seed, it.index, j) for it in items for j in range(G)]
        if not items:
            return {"prompts": [], "completion_ids": torch.zeros((0, 1), dtype=torch.long),
                    "lengths": torch.zeros(0, dtype=torch.long),
                    "sampler_logp": torch.zeros((0, 1)), "task": torch.zeros(0), "texts": []}
        with torch.inference_mode(), self._autocast():
            s = sample(self.model, [it.ids for it in items], max_new_tokens=cfg.max_new_tokens,
                       eos_token_id=self.eos_id, pad_token_id=self.pad_id,
                       temperature=cfg.temperature, top_p=cfg.top_p, seeds=seeds, repeats=G)
        completion_ids, lengths = s.completion_ids.clone(), s.lengths.clone()
        sampler_logp = s.logprobs.clone().float()
        texts = [self.tokenizer.decode(completion_ids[i, : int(lengths[i])].tolist(),
                                       skip_special_tokens=True) for i in range(len(prompts))]
        task = torch.tensor(self.prompts.rewards(items, texts, G), dtype=torch.float32)
        if len(task) != len(prompts):
            raise RuntimeError(f"the prompt source gave {len(task)} rewards for "
                               f"{len(prompts)} completions")
        return {"prompts": prompts, "completion_ids": completion_ids.cpu(),
                "lengths": lengths.cpu(), "sampler_logp": sampler_logp.cpu(), "task": task,
                "texts": texts}

    def _collect(self) -> dict[str, Any]:
        """One generation batch for this process (dynamic sampling included)."""
        cfg = self.config
        G, world, rank = cfg.num_generations, self.dist.world_size, self.dist.rank
        local_prompts = cfg.prompts_per_step // world
        parts: list[dict[str, Any]] = []
        kept_groups = 0
        sampled_groups = 0
        rounds = 0
        while True:
            rounds += 1
            items = self.prompts.take(cfg.prompts_per_step)  # the same on every process
            mine = items[rank * local_prompts:(rank + 1) * local_prompts]
            part = self._sample_items(mine)
            if self.improve is not None and mine:  # improved samples replace some responses
                part = self.improve.improve_part(
                    part, mine, model=self.model, tokenizer=self.tokenizer, source=self.prompts,
                    group_size=G, step=self.step, max_new_tokens=cfg.max_new_tokens,
                    temperature=cfg.temperature, top_p=cfg.top_p, pad_id=self.pad_id)
            elif self.improve is not None:
                part["improved"] = []
            sampled_groups += len(mine)
            rewards = part["task"].clone()
            if cfg.overlong_cache > 0:
                rewards = rewards + overlong_penalty(part["lengths"], cfg.max_new_tokens,
                                                     cfg.overlong_cache)
            part["rewards"] = rewards
            if cfg.dynamic_sampling:
                keep = dynamic_sampling_keep(rewards, G)
                keep = keep[: local_prompts - kept_groups]
                rows = kept_rows(keep, G)
                part = {k: ([v[i] for i in rows.tolist()] if isinstance(v, list) else v[rows])
                        for k, v in part.items()}
                kept_groups += len(keep)
            else:
                kept_groups += len(mine)
            parts.append(part)
            if not cfg.dynamic_sampling or rounds >= cfg.max_sampling_rounds:
                break
            least = all_reduce_min(torch.tensor([kept_groups]), self.dist)
            if int(least) >= local_prompts:
                break
        batch: dict[str, Any] = {"prompts": [p for part in parts for p in part["prompts"]],
                                 "texts": [t for part in parts for t in part["texts"]]}
        if self.improve is not None:
            batch["improved"] = [s for part in parts for s in part["improved"]]
        for key in ("task", "rewards", "lengths"):
            batch[key] = torch.cat([part[key] for part in parts])
        T = max([part["completion_ids"].shape[1] for part in parts] + [1])
        for key, fill in (("completion_ids", self.pad_id), ("sampler_logp", 0.0)):
            tensors = []
            for part in parts:
                t = part[key]
                if t.shape[1] < T:
                    t = torch.cat([t, torch.full((t.shape[0], T - t.shape[1]), fill,
                                                 dtype=t.dtype)], dim=1)
                tensors.append(t)
            batch[key] = torch.cat(tensors) if tensors else torch.zeros((0, T))
        batch["stats"] = {"groups/sampled": sampled_groups, "groups/kept": kept_groups,
                          "sampling_rounds": rounds}
        return batch

    # ------------------------------------------------------------------ the step (ALGO LOGIC)
    def train_step(self) -> dict[str, Any]:
        """Sample, score, and take ``num_iterations`` optimiser steps; returns the step's stats.

        The guard then reads them: it may raise :class:`GuardStop` (``guard_action="stop"``)
        or roll the trainer back to its last good checkpoint (``"rollback"``).
        """
        cfg, dev = self.config, self.device
        G = cfg.num_generations
        log = self._metrics()  # opened before the step counts: a resume drops rows past it
        t0, cpu0 = time.perf_counter(), time.process_time()
        batch = self._collect()
        t_sample = time.perf_counter() - t0

        # Advantages over the global batch (every process's rewards, in rank order).
        rewards_all = gather_rows(batch["rewards"], self.dist)  # (B_global,)
        task_all = gather_rows(batch["task"], self.dist)
        offset = _row_offset(self.dist, batch["rewards"].shape[0])
        B_local = batch["rewards"].shape[0]
        B_global = rewards_all.shape[0]
        if B_global:
            adv_all = compute_advantages(rewards_all, G, cfg.advantage_estimator,
                                         scale_rewards=cfg.scale_rewards)
            zero_std = float(zero_variance_groups(rewards_all, G).float().mean())
        else:
            adv_all, zero_std = rewards_all, float("nan")
        advantages = adv_all[offset:offset + B_local]

        completion_ids, lengths = batch["completion_ids"], batch["lengths"]
        cm = completion_mask(completion_ids, self.eos_id, self.pad_id, lengths=lengths,
                             mask_truncated_completions=cfg.mask_truncated_completions)
        mask = cm.mask  # (B, T)
        num_tokens = all_reduce_sum(mask.sum().to(torch.float64).reshape(1), self.dist)
        num_tokens = float(num_tokens)
        token_mean = self.loss_cfg.resolved_aggregation() == "token-mean"

        # micro-batches of whole groups when the prompt prefix is shared
        share = G if cfg.share_prompt_prefix else 1
        rows = max(1, cfg.micro_batch_size // share) * share
        micro = [(i, min(i + rows, B_local)) for i in range(0, B_local, rows)]
        prompt_tensors = [left_pad(batch["prompts"][a:b:share], self.pad_id, dev)
                          for a, b in micro]
        old_logps: list[torch.Tensor] = []
        ref_logps: list[torch.Tensor | None] = []
        acc: dict[str, float] = {}

        def add(key: str, value: float, weight: float) -> None:
            acc[key] = acc.get(key, 0.0) + value * weight
            acc[key + "#w"] = acc.get(key + "#w", 0.0) + weight

        t1 = time.perf_counter()
        losses, grad_norms = [], []
        # nothing kept anywhere (dynamic sampling dropped every group): no update at all
        for iteration in range(cfg.num_iterations if B_global else 0):
            self.optimizer.zero_grad(set_to_none=True)
            loss_sum = 0.0
            for m, (a, b) in enumerate(micro):
                p_ids, p_att = prompt_tensors[m]
                width = max(int(lengths[a:b].max()), 1)
                c_ids = completion_ids[a:b, :width].to(dev)
                c_len = lengths[a:b].to(dev)
                c_mask = mask[a:b, :width].to(dev)
                logits = self.completion_logits(self.model, p_ids, p_att, c_ids, c_len, share)
                logits = logits.float() / cfg.temperature  # (b, T, V) the sampled distribution
                logp = selective_log_softmax(logits, c_ids)  # (b, T)
                entropy = None
                if iteration == 0:
                    old_logps.append(logp.detach())
                    if self.improve is not None:  # rows never sampled from the policy: NaN
                        sl = batch["sampler_logp"]
                        sl[a:b, :width] = self.improve.fill_unsampled(
                            sl[a:b, :width], logp.detach().to(sl.device, sl.dtype))
                    with torch.no_grad():
                        entropy = token_entropy(logits)
                        ref_logps.append(self._ref_logp(p_ids, p_att, c_ids, c_len, share))
                        gap = ((logp.detach() - batch["sampler_logp"][a:b, :width].to(dev))
                               .abs() * c_mask).sum()
                        add("logp_gap", float(gap) / max(float(c_mask.sum()), 1.0),
                            float(c_mask.sum()))
                old_logp = old_logps[m]
                is_weight = None
                if cfg.sampler_is is not None:
                    is_weight = sampler_importance_weights(
                        old_logp, batch["sampler_logp"][a:b, :width].to(dev), c_mask,
                        mode=cfg.sampler_is, clip_max=cfg.sampler_is_clip)
                loss_fn = policy_loss
                if self.improve is not None:  # off-policy weights and the shaped loss
                    improved = batch["improved"][a:b]
                    w = self.improve.weights(old_logp, c_mask, improved)
                    is_weight = w if is_weight is None else is_weight * w
                    loss_fn = functools.partial(self.improve.loss, improved=improved)
                loss, st = loss_fn(
                    logp, old_logp, advantages[a:b].to(dev), c_mask, self.loss_cfg,
                    ref_logp=ref_logps[m], is_weight=is_weight, entropy=entropy,
                    num_tokens=num_tokens if token_mean else None)
                part = 1.0 if token_mean else (b - a) / B_global  # its share of the loss
                (loss * part).backward()
                loss_sum += float(loss.detach()) * part
                w = float(c_mask.sum())
                for key, value in st.items():
                    add(key, float(value), w)
            all_reduce_gradients(self.params, self.dist)
            loss_sum = float(all_reduce_sum(torch.tensor([loss_sum], dtype=torch.float64),
                                            self.dist))
            max_norm = math.inf if cfg.max_grad_norm is None else cfg.max_grad_norm
            grad_norm = torch.nn.utils.clip_grad_norm_(self.params, max_norm)
            self.optimizer.step()
            losses.append(loss_sum)
            grad_norms.append(float(grad_norm))
        t_train = time.perf_counter() - t1

        self.step += 1
        counts = all_reduce_sum(torch.tensor([B_local, batch["stats"]["groups/sampled"] * G]),
                                self.dist)
        self.samples += int(counts[0])
        self.sampled += int(counts[1])
        stats = self._stats(acc, batch, rewards_all, task_all, zero_std, lengths, cm,
                            losses, grad_norms, t_sample, t_train, time.perf_counter() - t0)
        stats["time/cpu"] = time.process_time() - cpu0  # this process's CPU seconds
        if self.improve is not None:
            stats.update(self.improve.last)
        self.history.append(stats)
        if log is not None:
            log.log(stats)
        self._apply_guard(stats)
        return stats

    @torch.no_grad()
    def _ref_logp(self, p_ids, p_att, c_ids, c_len, share) -> torch.Tensor | None:
        """Reference logprobs (beta > 0 only): the base with the adapter disabled, or the frozen
        copy of a fully fine-tuned model."""
        if self.config.beta == 0:
            return None
        if self.ref_model is not None:
            logits = self.completion_logits(self.ref_model, p_ids, p_att, c_ids, c_len, share)
        else:
            with self.model.disable_adapter():
                logits = self.completion_logits(self.model, p_ids, p_att, c_ids, c_len, share)
        return selective_log_softmax(logits.float() / self.config.temperature, c_ids)

    def _stats(self, acc, batch, rewards_all, task_all, zero_std, lengths, cm, losses,
               grad_norms, t_sample, t_train, t_step) -> dict[str, Any]:
        # token-weighted means over micro-batches and processes
        keys = sorted(k for k in acc if not k.endswith("#w"))
        vec = torch.tensor([acc[k] for k in keys] + [acc[k + "#w"] for k in keys],
                           dtype=torch.float64)
        vec = all_reduce_sum(vec, self.dist)
        n = len(keys)
        means = {k: float(vec[i] / vec[n + i]) if vec[n + i] > 0 else float("nan")
                 for i, k in enumerate(keys)}
        length_stats = all_reduce_sum(torch.tensor(
            [float(cm.lengths.sum()), float(cm.is_truncated.sum()), float(len(lengths))],
            dtype=torch.float64), self.dist)
        rows = max(float(length_stats[2]), 1.0)
        stats: dict[str, Any] = {
            "step": self.step, "samples": self.samples, "rollbacks": self.rollbacks,
            "loss": losses[-1] if losses else None,
            "reward/mean": float(rewards_all.mean()) if len(rewards_all) else float("nan"),
            "reward/std": float(rewards_all.std()) if len(rewards_all) > 1 else 0.0,
            "reward_task/mean": float(task_all.mean()) if len(task_all) else float("nan"),
            "frac_zero_std": zero_std,
            "grad_norm": grad_norms[-1] if grad_norms else None,
            "completion/mean_length": float(length_stats[0]) / rows,
            "completion/truncated_frac": float(length_stats[1]) / rows,
            "time/sample": t_sample, "time/train": t_train, "time/step": t_step,
            **batch["stats"],
        }
        groups = all_reduce_sum(torch.tensor([batch["stats"]["groups/sampled"],
                                              batch["stats"]["groups/kept"]]), self.dist)
        stats["groups/sampled"], stats["groups/kept"] = int(groups[0]), int(groups[1])
        for key in ("entropy", "kl", "approx_kl", "clip_frac/low", "clip_frac/high",
                    "clip_frac/region", "logp_gap", "is_weight/mean"):
            stats[key] = means.get(key)
        if self.config.beta == 0:
            stats["kl"] = None
        return stats

    # ------------------------------------------------------------------ the guard
    def _apply_guard(self, stats: dict[str, Any]) -> None:
        event = self.guard.check(stats)
        if event is None:
            return
        cfg = self.config
        record = {**dataclasses.asdict(event), "action": cfg.guard_action}
        self.events.append(record)
        if self.writes:
            with open(self.out / "guard.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, sort_keys=True) + "\n")
        if cfg.guard_action == "warn":
            import sys

            print(event.message(), file=sys.stderr)
            return
        if cfg.guard_action == "stop":
            raise GuardStop(event)
        if self.rollbacks >= cfg.guard_max_rollbacks:
            raise GuardStop(event, f"{self.rollbacks} rollbacks already (guard_max_rollbacks)")
        path = self._last_good
        if path is None or not path.exists():
            raise GuardStop(event, "no good checkpoint to roll back to (set out_dir and "
                                   "checkpoint_every)")
        position = self.prompts.state_dict()  # fresh prompts after the rollback, not a replay
        counters = (self.samples, self.sampled, self.rollbacks + 1)
        self.load_checkpoint(path)
        self.prompts.load_state_dict(position)
        self.samples, self.sampled, self.rollbacks = counters  # what was spent stays spent
        self.guard.reset_streaks()

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything the run's future depends on (see the module doc)."""
        trainable = {n: p.detach().cpu().clone() for n, p in self.model.named_parameters()
                     if p.requires_grad}
        return {
            "version": TRAINER_VERSION, "config": dataclasses.asdict(self.config),
            "trainable": trainable, "optimizer": self.optimizer.state_dict(),
            "rng": {"python": random.getstate(), "numpy": np.random.get_state(),
                    "torch": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available()
                    else None},
            "prompts": self.prompts.state_dict(), "step": self.step, "samples": self.samples,
            "sampled": self.sampled,
            "rollbacks": self.rollbacks, "guard": self.guard.state_dict(),
            "session": self.session, "world_size": self.dist.world_size,
            "history": self.history, "events": self.events,
            **({} if self.improve is None else {"improve": self.improve.state_dict()}),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` (the same config, model and prompt source)."""
        if state.get("version") != TRAINER_VERSION:
            raise ValueError(f"checkpoint of trainer version {state.get('version')}, this is "
                             f"{TRAINER_VERSION}: start a new run")
        mine = dataclasses.asdict(self.config)
        diff = sorted(k for k in mine if state["config"].get(k) != mine[k])
        if diff:
            raise ValueError(f"the checkpoint was written with another config (differs in: "
                             f"{', '.join(diff)}); resume with the original settings")
        named = dict(self.model.named_parameters())
        missing = [n for n in state["trainable"] if n not in named]
        if missing or len(state["trainable"]) != len(self.params):
            raise ValueError(f"checkpoint parameters do not match the model (e.g. {missing[:3]})")
        with torch.no_grad():
            for n, t in state["trainable"].items():
                named[n].copy_(t.to(named[n].device))
        self.optimizer.load_state_dict(state["optimizer"])
        random.setstate(state["rng"]["python"])
        np.random.set_state(state["rng"]["numpy"])
        torch.set_rng_state(state["rng"]["torch"])
        if state["rng"].get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        self.prompts.load_state_dict(state["prompts"])
        self.step, self.samples = int(state["step"]), int(state["samples"])
        self.sampled = int(state["sampled"])
        self.rollbacks = int(state["rollbacks"])
        self.guard.load_state_dict(state["guard"])
        self.history = list(state["history"])
        self.events = list(state["events"])
        if self.improve is not None:
            self.improve.load_state_dict(state.get("improve", {}))

    def save_checkpoint(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """Write the state atomically (rank 0; default ``OUT/checkpoint.pt``); returns the path.

        A checkpoint taken while the guard is quiet becomes the rollback target.
        """
        from mathgym.agents.rl.common.checkpoint import save_checkpoint

        if path is None:
            if self.out is None:
                raise ValueError("save_checkpoint() without a path needs the trainer's out_dir")
            path = self.out / CHECKPOINT_NAME
        path = Path(path)
        if self.dist.is_main:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_checkpoint(path, self.state_dict())
        if self.guard.quiet:
            self._last_good = path
        return path

    def load_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """Restore a checkpoint written by :meth:`save_checkpoint`."""
        from mathgym.agents.rl.common.checkpoint import load_checkpoint

        self.load_state_dict(load_checkpoint(path))

    def resume(self) -> bool:
        """Continue from ``OUT/checkpoint.pt`` if it exists; True when it did. The CSV drops rows
        past the checkpoint's step, TensorBoard starts a new ``session-K``."""
        if self.out is None or not (self.out / CHECKPOINT_NAME).exists():
            return False
        from mathgym.agents.rl.common.checkpoint import load_checkpoint

        state = load_checkpoint(self.out / CHECKPOINT_NAME)
        self.load_state_dict(state)
        self.session = int(state["session"]) + 1
        self._last_good = self.out / CHECKPOINT_NAME
        if self._log is not None:
            self._log.close()
            self._log = None
        return True

    def train(self, steps: int, *, checkpoint_every: int | None = None,
              callback: Any = None) -> list[dict[str, Any]]:
        """Run ``train_step`` until ``self.step == steps`` (a total, so a resumed run stops at
        the same place); checkpoint every ``checkpoint_every`` steps and at the end. Returns the
        stats of the steps run here. ``callback(stats)`` after each step."""
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        run: list[dict[str, Any]] = []
        if checkpoint_every and self.out is not None and self._last_good is None:
            self.save_checkpoint()  # the first rollback target
        while self.step < steps:
            stats = self.train_step()
            run.append(stats)
            if callback is not None:
                callback(stats)
            if checkpoint_every and self.out is not None and self.step % checkpoint_every == 0:
                self.save_checkpoint()
        if self.out is not None and checkpoint_every:
            self.save_checkpoint()
        return run

    # ------------------------------------------------------------------ outputs
    def save_adapter(self, directory: str | os.PathLike[str], *, merge: bool = False,
                     meta: dict[str, Any] | None = None) -> str | None:
        """Save the trained policy (rank 0): the LoRA adapter (+ ``mathgym_adapter.json`` with
        its sha256 and the training samples), or with ``merge=True`` / full fine-tuning a
        Hub-format model directory ``load_policy(PATH)`` reads. Returns the adapter's sha256
        (None for a full model)."""
        from mathgym.agents.llm.common.lora import is_peft, save_adapter

        if not self.dist.is_main:
            return None
        info = {"training_samples": self.samples, "training_steps": self.step,
                "trainer_version": TRAINER_VERSION, **(meta or {})}
        if is_peft(self.model) and not merge:
            return save_adapter(self.model, directory, info)
        import copy

        model = self.model
        if is_peft(model):
            model = copy.deepcopy(model).merge_and_unload()
        _save_model_dir(model, self.tokenizer, Path(directory), info)
        return None

    def plot(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """The stability signals as a PNG (default ``OUT/metrics.png``; rank 0)."""
        if not self.writes:
            return None
        return plot_metrics(self.out / "metrics.csv", path or self.out / "metrics.png",
                            title=f"{self.config.loss_type} / {self.config.advantage_estimator}")

    def close(self) -> None:
        """Close the TensorBoard writer."""
        if self._log is not None:
            self._log.close()
            self._log = None


def _row_offset(ctx: DistContext, local_rows: int) -> int:
    from mathgym.agents.llm.common.distributed import row_offset

    return row_offset(ctx, local_rows)


def _save_model_dir(model: Any, tokenizer: Any, target: Path, info: dict[str, Any]) -> None:
    """``save_pretrained`` into a temp sibling, renamed into place (atomic)."""
    import shutil
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        (tmp / "mathgym_training.json").write_text(json.dumps(info, indent=2, sort_keys=True)
                                                   + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

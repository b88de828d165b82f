"""``python -m mathgym.bench grpo``: seconds per GRPO optimiser step, ours vs TRL ``GRPOTrainer``.

Issue 12 asks for the trainer's speed against TRL 1.16 at the same config, measured in one run,
and for the sampler's tokens/s against ``model.generate``. One process measures, in this order:

1. ``trl``: a real ``trl.GRPOTrainer`` (no vLLM, CPU) trains for ``warmup + steps`` optimiser
   steps; a callback stamps every ``on_step_end``, the first ``warmup`` intervals are dropped and
   the median of the rest is ``seconds_per_step``.
2. ``ours``: :class:`mathgym.agents.llm.grpo.trainer.GRPOTrainer` (engineer C's trainer) on a
   fresh copy of the same weights, same prompts, reward and config, timed the same way.
3. ``sampler``: our batched KV-cache sampler vs ``model.generate(do_sample=True)`` on the same
   left-padded batch (``prompts x group`` rows, ``max_new_tokens``, the same temperature).

The task: "What is a + b? Answer with the number only." with a, b drawn from a seeded
``random.Random`` (the issue's learning-test prompt; SmolLM2's reward starts near 0.3 on it). The
reward is 1 when the first integer in the completion (a plain regex, never ``eval``) is a + b.

Both trainers are configured alike: ``loss_type`` (default ``dr_grpo``, with
``scale_rewards="none"`` as Dr. GRPO prescribes), β = 0 (no reference pass), one iteration per
batch (so neither needs an old-logprob pass), fp32 everywhere (TRL's defaults ``bf16=True``
autocast and ``gradient_checkpointing=True`` are turned off, since ours does neither), AdamW at
the same learning rate, the gradient clipped at 1.0. ``per_step`` in the JSON says what each side
computes in a step; ``differences`` lists what could not be made identical.

CPU threads: ``--threads`` (default 2, ``torch.set_num_threads``). The machine is shared: the
JSON records ``os.getloadavg()`` before and after, so a reader can judge contention, and each
side's process CPU seconds per step (``time.process_time``, all threads) beside the wall
seconds: CPU seconds barely move with other load, wall seconds do. ``ratio_vs_trl`` is the wall
ratio (the issue's measure), ``cpu_ratio_vs_trl`` the CPU-seconds ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

#: The issue's prompt. ``{a}`` and ``{b}`` are drawn per prompt.
PROMPT = "What is {a} + {b}? Answer with the number only."
#: What could not be made identical between the two trainers (reported in the JSON).
DIFFERENCES = (
    "the sampled completions differ (each trainer has its own RNG), so their lengths differ: "
    "compare completion_mean_length of the two sides",
    "TRL's optimiser is its default adamw_torch_fused with a linear learning-rate decay; ours is "
    "torch.optim.AdamW (foreach) at a constant rate; the same betas, eps and weight decay 0",
    "TRL computes logprobs with transformers' fused_lm_head (chunked); ours takes the logits of "
    "the completion positions (logits_to_keep = T + 1) and a log-softmax",
    "TRL keeps the model in train mode (SmolLM2 has no dropout, so the forward is the same); "
    "ours keeps it in eval mode",
)
#: Loss types both trainers implement (``docs/llm.md``, "Checked against TRL 1.16").
LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo", "cispo")
SIDES = ("trl", "ours", "sampler")
_INT = re.compile(r"-?\d+")


@dataclass(frozen=True)
class BenchConfig:
    """What ``bench grpo`` measures; every field is a command-line flag of the same name."""

    model: str = "smollm2"
    """``"smollm2"`` (the cached fp32 rebuild) or a Hub-format model directory."""
    prompts: int = 4
    """Prompts per optimiser step."""
    group: int = 4
    """Completions per prompt (GRPO's G)."""
    max_new_tokens: int = 24
    """Completion length cap (TRL's ``max_completion_length``)."""
    loss_type: str = "dr_grpo"
    """One of ``LOSS_TYPES``."""
    steps: int = 3
    """Timed optimiser steps per trainer (the median is reported)."""
    warmup: int = 1
    """Optimiser steps run first and not timed."""
    threads: int = 2
    """``torch.set_num_threads``."""
    temperature: float = 1.0
    """Sampling temperature of both trainers and of the sampler comparison."""
    learning_rate: float = 1e-6
    """AdamW learning rate of both trainers (TRL's default)."""
    seed: int = 0
    """Seeds the prompts, TRL's ``seed`` and our trainer's seed."""
    sampler_runs: int = 3
    """Timed runs per sampler (median), after one warm-up."""
    sides: tuple[str, ...] = SIDES
    """Which measurements to run."""


def validate(cfg: BenchConfig) -> BenchConfig:
    """``cfg`` unchanged if every field is usable; else ``ValueError`` naming the field and fix."""
    positive = {"prompts": cfg.prompts, "max_new_tokens": cfg.max_new_tokens,
                "steps": cfg.steps, "threads": cfg.threads, "sampler_runs": cfg.sampler_runs}
    for name, value in positive.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be an integer >= 1, got {value!r}")
    if not isinstance(cfg.group, int) or cfg.group < 2:
        raise ValueError(f"--group must be an integer >= 2 (a group of 1 has no relative "
                         f"advantage), got {cfg.group!r}")
    if not isinstance(cfg.warmup, int) or cfg.warmup < 0:
        raise ValueError(f"--warmup must be an integer >= 0, got {cfg.warmup!r}")
    if cfg.loss_type not in LOSS_TYPES:
        raise ValueError(f"--loss-type must be one of {', '.join(LOSS_TYPES)}, "
                         f"got {cfg.loss_type!r}")
    if not cfg.temperature > 0:
        raise ValueError(f"--temperature must be > 0 (GRPO samples its groups), "
                         f"got {cfg.temperature!r}")
    if not cfg.learning_rate > 0:
        raise ValueError(f"--learning-rate must be > 0, got {cfg.learning_rate!r}")
    bad = [s for s in cfg.sides if s not in SIDES]
    if bad or not cfg.sides:
        raise ValueError(f"--sides must be a comma-separated subset of {','.join(SIDES)}, "
                         f"got {','.join(cfg.sides)!r}")
    return cfg


def addition_tasks(n: int, seed: int) -> list[tuple[str, int]]:
    """``n`` seeded ``(question, a + b)`` pairs, a and b in 1..99."""
    rng = random.Random(seed)
    tasks = []
    for _ in range(n):
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        tasks.append((PROMPT.format(a=a, b=b), a + b))
    return tasks


def addition_reward(completion: str, answer: int) -> float:
    """1.0 when the first integer in ``completion`` equals ``answer``, else 0.0 (regex only)."""
    match = _INT.search(completion)
    return 1.0 if match is not None and int(match.group()) == answer else 0.0


def prompt_ids(tokenizer: Any, question: str) -> list[int]:
    """The chat-templated prompt tokens of one user turn (TRL's and the ``llm`` agent's way)."""
    text = tokenizer.apply_chat_template([{"role": "user", "content": question}],
                                         tokenize=False, add_generation_prompt=True)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _completion_text(completion: Any) -> str:
    """TRL passes conversational completions as ``[{"role": "assistant", "content": ...}]``."""
    if isinstance(completion, list):
        return "".join(str(m.get("content", "")) for m in completion)
    return str(completion)


def _median_after_warmup(stamps: list[float], warmup: int) -> tuple[float, list[float]]:
    """``stamps[0]`` is the start, ``stamps[i]`` the end of step i; median of the timed steps."""
    intervals = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    timed = intervals[warmup:]
    if not timed:
        raise RuntimeError(f"the trainer ran {len(intervals)} steps, fewer than warmup + 1")
    return statistics.median(timed), intervals


def measure_trl(cfg: BenchConfig, tasks: list[tuple[str, int]]) -> dict:
    """TRL 1.16 ``GRPOTrainer`` at ``cfg``: seconds per optimiser step and what a step does."""
    import warnings

    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from mathgym.agents.llm.common.model import load_policy

    model, tokenizer = load_policy(cfg.model, device="cpu")
    total_steps = cfg.warmup + cfg.steps
    answers = {q: ans for q, ans in tasks}
    rewards_seen: list[float] = []
    lengths_seen: list[int] = []

    def reward(prompts, completions, completion_ids=None, **_):
        lengths_seen.extend(len(c) for c in completion_ids or [])
        out = []
        for prompt, completion in zip(prompts, completions, strict=True):
            question = prompt[-1]["content"] if isinstance(prompt, list) else str(prompt)
            out.append(addition_reward(_completion_text(completion), answers[question]))
        rewards_seen.extend(out)
        return out

    class Stamps(TrainerCallback):
        def __init__(self) -> None:
            self.stamps: list[float] = []

            self.cpu: list[float] = []

        def on_train_begin(self, args, state, control, **kwargs):
            self.stamps.append(time.perf_counter())
            self.cpu.append(time.process_time())

        def on_step_end(self, args, state, control, **kwargs):
            self.stamps.append(time.perf_counter())
            self.cpu.append(time.process_time())

    stamps = Stamps()
    rows = cfg.prompts * cfg.group
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="mathgym-bench-grpo-trl-"),
        per_device_train_batch_size=rows,
        num_generations=cfg.group,
        max_completion_length=cfg.max_new_tokens,
        gradient_accumulation_steps=1,
        steps_per_generation=1,
        num_iterations=1,
        loss_type=cfg.loss_type,
        scale_rewards="none" if cfg.loss_type == "dr_grpo" else "group",
        beta=0.0,
        temperature=cfg.temperature,
        learning_rate=cfg.learning_rate,
        max_grad_norm=1.0,
        bf16=False,
        activation_checkpointing=False,
        use_cpu=True,
        max_steps=total_steps,
        logging_steps=10_000,
        save_strategy="no",
        report_to=[],
        seed=cfg.seed,
        disable_tqdm=True,
        dataloader_num_workers=0,
        shuffle_dataset=False,
    )
    dataset = Dataset.from_dict(
        {"prompt": [[{"role": "user", "content": q}] for q, _ in tasks]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=args,
                              train_dataset=dataset, processing_class=tokenizer,
                              callbacks=[stamps])
        with contextlib.redirect_stdout(sys.stderr):  # its log printer would corrupt the JSON
            trainer.train()
    median, intervals = _median_after_warmup(stamps.stamps, cfg.warmup)
    cpu_median, cpu_intervals = _median_after_warmup(stamps.cpu, cfg.warmup)
    result = {
        "seconds_per_step": round(median, 3),
        "step_seconds": [round(x, 3) for x in intervals],
        "cpu_seconds_per_step": round(cpu_median, 3),
        "step_cpu_seconds": [round(x, 3) for x in cpu_intervals],
        "reward_mean": round(statistics.fmean(rewards_seen), 4) if rewards_seen else None,
        "completion_mean_length": round(statistics.fmean(lengths_seen), 2)
        if lengths_seen else None,
        "optimizer": args.optim,
        "per_step": ("model.generate (KV cache, sampling) on the prompts x group rows; the "
                     "reward; no old-logprob pass (num_iterations=1, steps_per_generation=1: "
                     "TRL uses the detached current logprobs); no reference pass (beta=0); one "
                     "forward+backward over the prompt+completion rows (fused_lm_head); grad "
                     "clip; optimiser step"),
    }
    del trainer, model
    torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return result


def measure_sampler(cfg: BenchConfig, tasks: list[tuple[str, int]]) -> dict:
    """Our sampler vs ``model.generate(do_sample=True)``, same rows, length and temperature.

    Both stop a row at EOS, so the sampled lengths differ between the two; ``tokens_per_s``
    counts real tokens (through each row's EOS), ``row_steps_per_s`` counts rows x decoding
    steps actually run (the work done, finished rows included).
    """
    import torch

    from mathgym.agents.llm.common.model import load_policy
    from mathgym.agents.llm.common.sampling import left_pad, sample

    model, tokenizer = load_policy(cfg.model, device="cpu")
    prompts = []
    for question, _ in tasks[: cfg.prompts]:
        prompts.extend([prompt_ids(tokenizer, question)] * cfg.group)
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    n = cfg.max_new_tokens
    counter = [0]

    def ours() -> tuple[int, int]:
        counter[0] += 1
        seeds = [cfg.seed * 1_000_003 + counter[0] * 1_000 + i for i in range(len(prompts))]
        out = sample(model, prompts, max_new_tokens=n, eos_token_id=eos, pad_token_id=pad,
                     temperature=cfg.temperature, top_p=1.0, seeds=seeds)
        return int(out.lengths.sum()), len(prompts) * int(out.completion_ids.shape[1])

    def generate() -> tuple[int, int]:
        ids, mask = left_pad(prompts, pad, model.device)
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n,
                                 do_sample=True, temperature=cfg.temperature, top_p=1.0,
                                 top_k=0, eos_token_id=eos, pad_token_id=pad)
        completions = out[:, ids.shape[1]:].tolist()
        real = sum(row.index(eos) + 1 if eos in row else len(row) for row in completions)
        return real, len(prompts) * len(completions[0])

    def timed(fn) -> dict:
        torch.manual_seed(cfg.seed)
        fn()  # warm-up
        runs = []
        for _ in range(cfg.sampler_runs):
            t = time.perf_counter()
            real, slots = fn()
            runs.append((time.perf_counter() - t, real, slots))
        seconds = statistics.median(r[0] for r in runs)
        real = sum(r[1] for r in runs)
        slots = sum(r[2] for r in runs)
        total = sum(r[0] for r in runs)
        return {"median_seconds": round(seconds, 3), "tokens": real, "row_steps": slots,
                "tokens_per_s": round(real / total, 1),
                "row_steps_per_s": round(slots / total, 1)}

    result = {"rows": len(prompts), "max_new_tokens": n, "temperature": cfg.temperature,
              "ours": timed(ours), "generate": timed(generate)}
    result["ratio_vs_generate"] = round(
        result["ours"]["row_steps_per_s"] / result["generate"]["row_steps_per_s"], 3)
    return result


def _our_config(cfg: BenchConfig) -> Any:
    """Our trainer's config matching TRL's at ``cfg`` (full fine-tune, as TRL without peft)."""
    from mathgym.agents.llm.grpo.config import GRPOConfig

    return GRPOConfig(
        prompts_per_step=cfg.prompts, num_generations=cfg.group,
        max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, top_p=1.0,
        micro_batch_size=cfg.prompts * cfg.group, loss_type=cfg.loss_type,
        advantage_estimator="grpo",
        scale_rewards="none" if cfg.loss_type == "dr_grpo" else "group",
        epsilon_low=0.2, epsilon_high=0.2, beta=0.0, num_iterations=1,
        dynamic_sampling=False, overlong_cache=0, learning_rate=cfg.learning_rate,
        weight_decay=0.0, max_grad_norm=1.0, lora=False, dtype="float32",
        torch_threads=cfg.threads, seed=cfg.seed, guard_action="warn",
        guard_entropy_ratio=None)


def measure_ours(cfg: BenchConfig, tasks: list[tuple[str, int]]) -> dict:
    """Our ``GRPOTrainer`` at ``cfg`` (the same prompts in the same order, the same reward)."""
    import torch

    from mathgym.agents.llm.common.model import load_policy
    from mathgym.agents.llm.grpo.prompts import ListPrompts
    from mathgym.agents.llm.grpo.trainer import GRPOTrainer

    model, tokenizer = load_policy(cfg.model, device="cpu")
    prompts = [prompt_ids(tokenizer, q) for q, _ in tasks]

    def reward(item: Any, text: str) -> float:
        return addition_reward(text, tasks[item.index % len(tasks)][1])

    trainer = GRPOTrainer(_our_config(cfg), model, tokenizer, ListPrompts(prompts, reward),
                          out_dir=None, device="cpu", tensorboard=False)
    stamps, cpu = [time.perf_counter()], [time.process_time()]
    history = []
    for _ in range(cfg.warmup + cfg.steps):
        history.append(trainer.train_step())
        stamps.append(time.perf_counter())
        cpu.append(time.process_time())
    median, intervals = _median_after_warmup(stamps, cfg.warmup)
    cpu_median, cpu_intervals = _median_after_warmup(cpu, cfg.warmup)
    timed = history[cfg.warmup:]
    result = {
        "seconds_per_step": round(median, 3),
        "step_seconds": [round(x, 3) for x in intervals],
        "cpu_seconds_per_step": round(cpu_median, 3),
        "step_cpu_seconds": [round(x, 3) for x in cpu_intervals],
        "sample_seconds": round(statistics.median(h["time/sample"] for h in timed), 3),
        "train_seconds": round(statistics.median(h["time/train"] for h in timed), 3),
        "reward_mean": round(statistics.fmean(h["reward/mean"] for h in history), 4),
        "completion_mean_length": round(
            statistics.fmean(h["completion/mean_length"] for h in history), 2),
        "optimizer": "torch.optim.AdamW",
        "per_step": ("our KV-cache sampler on the prompts x group rows (per-row seeded "
                     "generators, sampler logprobs kept); the reward; no old-logprob pass (the "
                     "first pass's logp.detach() is pi_old); no reference pass (beta=0); one "
                     "forward+backward over the prompt+completion rows (logits_to_keep = T + 1, "
                     "completions cut to the longest real length); grad clip; optimiser step"),
    }
    del trainer, model
    torch.set_num_threads(cfg.threads)
    return result


def parse_args(argv: list[str] | None) -> BenchConfig:
    """The command line as a validated :class:`BenchConfig`."""
    defaults = BenchConfig()
    parser = argparse.ArgumentParser(prog="python -m mathgym.bench grpo",
                                     description=__doc__.split("\n")[0])
    for field, value in asdict(defaults).items():
        flag = "--" + field.replace("_", "-")
        if field == "sides":
            parser.add_argument(flag, default=",".join(value),
                                help="comma-separated subset of " + ",".join(SIDES))
        else:
            parser.add_argument(flag, type=type(value), default=value)
    ns = vars(parser.parse_args(argv or []))
    ns["sides"] = tuple(s.strip() for s in ns["sides"].split(",") if s.strip())
    return validate(BenchConfig(**ns))


def main(argv: list[str] | None = None) -> dict:
    """Run the measurements ``--sides`` names and return the JSON document."""
    cfg = parse_args(argv)
    import torch

    torch.set_num_threads(cfg.threads)
    tasks = addition_tasks(max(64, cfg.prompts * (cfg.warmup + cfg.steps)), cfg.seed)
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "torch": torch.__version__,
                    "torch_threads": cfg.threads, "device": "cpu",
                    "loadavg_before": [round(x, 2) for x in os.getloadavg()]},
        "config": {**asdict(cfg), "sides": list(cfg.sides), "prompt": PROMPT,
                   "rows_per_step": cfg.prompts * cfg.group},
    }
    if "trl" in cfg.sides:
        import trl

        report["trl"] = {"version": trl.__version__, **measure_trl(cfg, tasks)}
    if "ours" in cfg.sides:
        report["ours"] = measure_ours(cfg, tasks)
    if "trl" in cfg.sides and "ours" in cfg.sides:
        report["ratio_vs_trl"] = round(
            report["ours"]["seconds_per_step"] / report["trl"]["seconds_per_step"], 3)
        report["cpu_ratio_vs_trl"] = round(
            report["ours"]["cpu_seconds_per_step"] / report["trl"]["cpu_seconds_per_step"], 3)
    report["differences"] = list(DIFFERENCES)
    if "sampler" in cfg.sides:
        report["sampler"] = measure_sampler(cfg, tasks)
    report["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return report

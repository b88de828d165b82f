"""Critique-GRPO (Zhang et al. 2025, arXiv 2506.03106) as an improver: critique, refine, mix.

Design note, following their code (zhangxy-2019/critique-GRPO, ``verl/verl/critique_grpo/``):

1. **Critique** every sampled response. Sources (``critique_prompts.py``, ``generate_critique``:
   ``simple`` = "The generated solution is correct/incorrect.", ``simple_gt`` adds "the ground
   truth is X", ``text`` asks a critic model):
   - :class:`RuleCritic`: our verifier's verdict (the trainer's reward), optionally with the
     reference answer, and for MathQA the verifier's typed feedback (``mathqa_env.judge``);
   - env feedback of multi-turn families: :class:`ACFeedbackCritic` (the state the parsed path
     reaches, or the first bad move), :class:`MetamathKernelCritic` (the kernel's error on the
     proof), :class:`LeanREPLCritic` (the Lean REPL's message on the tactics: its error, the
     goals left, or the proof complete; a real REPL when configured, else the recorded
     transcript); :class:`CallableCritic` wraps any ``fn(task, text, reward) -> str``;
   - :class:`ModelCritic`: a critic language model (greedy, our sampler).
2. **Refine**: the policy answers a refinement prompt made of the question, its response and
   the critique (``refinement_prompts.py``, ``refine_prompt``; our wording), one refinement per
   response (their ``n = 1`` per refinement prompt). ``rounds = k > 1``: a refinement still
   below ``success`` is critiqued and refined again, the chat growing by one turn per round.
3. **Mix** (``critique_vllm_rollout_spmd.py``, ``process_refinement_groups`` and the
   ``n_prefix`` layout): per group, the first refinement scoring ``success`` (1.0), else the
   highest-scoring one (the first of equals), replaces one of the G responses, so the group
   size is kept. Their layout puts it in slot 0 of the group (``replace="first"``, default);
   ``replace="worst"`` puts it in the lowest-reward response's slot instead.
4. **Train** the refinement *as a response to the original prompt* (their ``prefix_mask`` rows
   hold the refinement tokens under the original prompt) with the shaped loss -A f(pi), f(p) =
   p / (p + gamma) (``shaping.py``); the other G-1 responses keep the clipped surrogate. The
   refinement's reward enters the group's advantages like any response's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mathgym.agents.llm.improve.base import (
    ImproveContext,
    ImprovedSample,
    Improver,
    Task,
    check_batch,
)

REFINE_INSTRUCTIONS = (
    "Answer the question again. Fix the mistakes the critique points out, if there are any, "
    "reason step by step, and give the final answer in the form the question asks for."
)


class Critic:
    """``critique(task, response_text, reward) -> str``: one response's critique."""

    name: ClassVar[str] = "critic"

    def critique(self, task: Task, text: str, reward: float) -> str:
        raise NotImplementedError


@dataclass
class RuleCritic(Critic):
    """The verifier's verdict as text (Critique-GRPO's ``simple`` / ``simple_gt``).

    ``with_reference`` adds the reference answer (or the known AC path); ``typed_feedback``
    adds, for MathQA tasks whose ``data`` holds the problem, the verifier's typed reason
    ("expected an integer") from ``mathqa_env.judge``, which never reveals the answer.
    """

    with_reference: bool = False
    typed_feedback: bool = True
    success: float = 1.0
    name: ClassVar[str] = "rule"

    def critique(self, task: Task, text: str, reward: float) -> str:
        ok = reward >= self.success
        parts = ["The response is correct." if ok else "The response is incorrect."]
        if not ok and self.typed_feedback and task.family == "reasoning" \
                and "answer_type" in task.data and task.answer is not None:
            from mathgym.envs.reasoning.mathqa_env import judge

            from mathgym.types import Problem

            problem = Problem(module=str(task.data.get("module", "")),
                              difficulty=int(task.data.get("difficulty", 1)), seed=0, index=0,
                              question=task.question, answer=str(task.answer),
                              answer_type=str(task.data["answer_type"]),
                              spec=dict(task.data.get("spec") or {}))
            _, feedback = judge(text, problem)
            if feedback not in ("correct", "incorrect"):
                parts.append(f"Verifier: {feedback}.")
        if self.with_reference:
            if task.family == "ac" and task.path:
                from mathgym.agents.llm.improve.hints import format_path

                parts.append(f"A solving path is {format_path(task.path)}.")
            elif task.answer is not None:
                parts.append(f"The reference answer is {task.answer}.")
        return " ".join(parts)


@dataclass
class ACFeedbackCritic(Critic):
    """The AC env's feedback on a path: parse the move ids as the llm agent does, replay them
    under the instance's cap, and say where they lead (``task.data``: ``relators``,
    ``max_relator_length``)."""

    name: ClassVar[str] = "ac_env"

    def critique(self, task: Task, text: str, reward: float) -> str:
        from mathgym.agents.llm.agent import parse_move_ids
        from mathgym.envs.ac.moves import num_moves
        from mathgym.verifiers.ac import verify_ac_path

        relators = tuple(tuple(r) for r in task.data["relators"])
        cap = int(task.data["max_relator_length"])
        path = parse_move_ids(text, num_moves(2, False))
        if not path:
            return "No move ids could be read from the response; reply with a list like [3, 0]."
        result = verify_ac_path(relators, path, cap)
        if result.ok:
            return f"The {len(path)} moves reach the trivial presentation: solved."
        final = result.final
        lengths = "" if final is None else f" (relator lengths {list(final.lengths)})"
        return (f"After the {len(path)} moves {path} the presentation is {final}{lengths}, "
                "which is not trivial yet.")


@dataclass
class MetamathKernelCritic(Critic):
    """The Metamath kernel's verdict on a proof (``verifiers.metamath.verify_theorem_proof``):
    the response text is the proof (its tokens), ``task.data["label"]`` the theorem, and
    ``task.data.get("statement")`` its text."""

    database: str | None = None
    name: ClassVar[str] = "metamath_kernel"

    def critique(self, task: Task, text: str, reward: float) -> str:
        from mathgym.verifiers.metamath.certificate import DEFAULT_DATABASE, verify_theorem_proof

        ok, reason = verify_theorem_proof(task.data["label"], text.strip(),
                                          self.database or DEFAULT_DATABASE,
                                          task.data.get("statement"))
        return "The kernel accepts the proof." if ok else f"The kernel rejects it: {reason}"


@dataclass
class LeanREPLCritic(Critic):
    """The Lean REPL's message on a tactic proof, as the env's feedback turn words it.

    ``task.data`` is a ``formal/lean-replay`` instance's data (``transcript``, ``header``,
    ``theorem``; ``envs/lean/benchmarks.py``). The response holds tactics, one per non-empty
    line (a fenced block's fence lines are dropped; a one-line reply is the llm agent's
    one-tactic turn). Each is checked by the multi-turn loop's parser
    (``multiturn.parse_lean_tactic``: ``sorry``, ``native_decide``, code-running commands and
    characters outside Lean's charset are refused, never sent), then run in a fresh
    ``mathgym/Lean-v0`` episode on the theorem's ``sorry``: the local Lean REPL when one is
    configured, else the recorded transcript (``ReplayTransport``), whose answer to a tactic it
    never saw is reported as such. The critique is the first Lean error (with the goals it
    leaves unchanged), else "proof complete", else the goals left after the last tactic.
    """

    max_tactics: int = 16
    """tactics run per critique (the rest of a longer response is ignored, and said so)"""
    name: ClassVar[str] = "lean_repl"

    def critique(self, task: Task, text: str, reward: float) -> str:
        import gymnasium as gym
        from mathgym.agents.llm.multiturn import ActionParseError, parse_lean_tactic
        from mathgym.envs.lean.benchmarks import LEAN_ENV_ID, replay_env_kwargs

        import mathgym  # noqa: F401  (registers mathgym/Lean-v0)
        from mathgym.harness.benchmark import Instance

        lines = [ln.strip() for ln in str(text).splitlines()
                 if ln.strip() and not ln.strip().startswith("```")]
        if not lines:
            return "No tactic could be read from the response; reply with Lean tactics, one " \
                   "per line."
        missing = [k for k in ("transcript", "header", "theorem") if k not in task.data]
        if missing:
            raise ValueError(f"LeanREPLCritic needs a formal/lean-replay task: task.data has no "
                             f"{missing}")
        env = gym.make(LEAN_ENV_ID, **replay_env_kwargs(
            Instance(str(task.data.get("id", "lean")), dict(task.data))))
        try:
            obs, info = env.reset()
            for i, line in enumerate(lines[: self.max_tactics], start=1):
                try:
                    tactic = parse_lean_tactic(line)
                except ActionParseError as err:
                    return f"Tactic {i} ({line[:80]}) is refused and was not sent: {err}."
                obs, step_reward, terminated, truncated, info = env.step(tactic)
                if "error" in info:
                    return (f"Lean error at tactic {i} ({tactic}): {_clip(info['error'])}\n"
                            f"The goals are unchanged:\n{obs}")
                if terminated and step_reward > 0:
                    return f"Lean reports the proof complete after {i} tactic(s)."
                if truncated:
                    return (f"The episode ended at tactic {i}: "
                            f"{info.get('truncation_reason', 'step limit')}.")
            extra = (f" (only the first {self.max_tactics} tactics were run)"
                     if len(lines) > self.max_tactics else "")
            status = info.get("proof_status") or "open"
            return f"Lean accepted the tactics{extra} ({status}); the goals left:\n{obs}"
        finally:
            env.close()


def _clip(text: str) -> str:
    """The env message, cut as the multi-turn loop cuts its feedback."""
    from mathgym.agents.llm.multiturn import MAX_FEEDBACK_CHARS

    text = str(text)
    return text if len(text) <= MAX_FEEDBACK_CHARS else text[:MAX_FEEDBACK_CHARS] + " ..."


@dataclass
class CallableCritic(Critic):
    """Any ``fn(task, text, reward) -> str`` as a critic (e.g. a Lean REPL's message)."""

    fn: Callable[[Task, str, float], str]
    name: ClassVar[str] = "callable"

    def critique(self, task: Task, text: str, reward: float) -> str:
        return str(self.fn(task, text, reward))


class ModelCritic(Critic):
    """A critic language model: greedy completion of a critique prompt (question, response,
    and the reference when ``with_reference``), as Critique-GRPO's ``text`` critique asks
    GPT-4o. ``model``/``tokenizer`` may be the policy itself (self-critique)."""

    name: ClassVar[str] = "model"

    def __init__(self, model: Any, tokenizer: Any, *, with_reference: bool = True,
                 max_new_tokens: int = 64) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.with_reference, self.max_new_tokens = with_reference, max_new_tokens

    def messages(self, task: Task, text: str) -> list[dict[str, str]]:
        ref = f"\nReference answer: {task.answer}" if self.with_reference and task.answer else ""
        return [
            {"role": "system", "content": "You check a student's answer. Point out any error "
                                          "briefly, then end with 'Conclusion: right' or "
                                          "'Conclusion: wrong'."},
            {"role": "user", "content": f"Question: {task.question}\nStudent's answer: {text}"
                                        f"{ref}\nCritique:"},
        ]

    def critique(self, task: Task, text: str, reward: float) -> str:
        from mathgym.agents.llm.common.sampling import sample

        tok = self.tokenizer
        prompt = tok.apply_chat_template(self.messages(task, text), tokenize=False,
                                         add_generation_prompt=True)
        ids = list(tok(prompt, add_special_tokens=False)["input_ids"])
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        out = sample(self.model, [ids], max_new_tokens=self.max_new_tokens,
                     eos_token_id=tok.eos_token_id, pad_token_id=pad, temperature=0.0)
        return tok.decode(out.tokens(0), skip_special_tokens=True).strip()


def refinement_messages(task: Task, response: str, critique: str) -> list[dict[str, str]]:
    """The refinement chat: the task's own system prompt (its answer format), then one user turn
    with the question, the previous response and the critique."""
    system = [dict(m) for m in task.messages if m["role"] == "system"][:1]
    return system + [{"role": "user", "content": (
        f"Question: {task.question}\n\nPrevious response: {response}\n\n"
        f"Critique: {critique}\n\n{REFINE_INSTRUCTIONS}")}]


def select_refinement(rewards: Sequence[float], success: float = 1.0) -> int:
    """Index of the refinement a group keeps: the first scoring >= ``success``, else the first
    of the highest (``process_refinement_groups``)."""
    if not rewards:
        raise ValueError("a group needs at least one refinement to select from")
    for i, r in enumerate(rewards):
        if r >= success:
            return i
    best = max(rewards)
    return next(i for i, r in enumerate(rewards) if r == best)


def replaced_slot(rewards: Sequence[float], replace: str) -> int:
    """The response a group's refinement replaces: ``first`` = slot 0 (their layout), ``worst``
    = the first lowest-reward response."""
    if replace == "first":
        return 0
    if replace == "worst":
        low = min(rewards)
        return next(i for i, r in enumerate(rewards) if r == low)
    raise ValueError(f"replace must be 'first' or 'worst', got {replace!r}")


@dataclass
class CritiqueConfig:
    """Options of :class:`CritiqueImprover`."""

    rounds: int = 1
    """k: rounds of critique and refinement (a solved refinement stops its chain)"""
    replace: str = "first"
    """which response the refinement replaces: first (the paper's code) | worst"""
    gamma: float = 0.1
    """f(pi) = pi / (pi + gamma) of the shaped loss (the trainer reads it from here)"""
    refine_temperature: float | None = None
    """temperature of the refinements (None: the trainer's)"""

    def __post_init__(self) -> None:
        if not isinstance(self.rounds, int) or self.rounds < 1:
            raise ValueError(f"rounds must be an int >= 1, got {self.rounds!r}")
        if self.replace not in ("first", "worst"):
            raise ValueError(f"replace must be 'first' or 'worst', got {self.replace!r}")
        if not self.gamma > 0:
            raise ValueError(f"gamma must be > 0 (the paper uses 0.1), got {self.gamma!r}")


class CritiqueImprover(Improver):
    """Critique-GRPO's refinement mixing; see the module doc."""

    name: ClassVar[str] = "critique"

    def __init__(self, critic: Critic | None = None, config: CritiqueConfig | None = None
                 ) -> None:
        self.critic = critic or RuleCritic(with_reference=True)
        self.config = config or CritiqueConfig()
        self.last_chats: list[list[dict[str, str]]] = []

    def refine(self, chats: list[list[dict[str, str]]], context: ImproveContext,
               seeds: Sequence[int]) -> list[tuple[list[int], list[float]]]:
        """One sampled refinement per chat (seeded by ``seeds``): ``(token ids, logprobs)``."""
        from mathgym.agents.llm.common.sampling import sample

        temperature = context.temperature if self.config.refine_temperature is None \
            else self.config.refine_temperature
        prompts = [context.render(chat) for chat in chats]
        out = sample(context.model, prompts, max_new_tokens=context.max_new_tokens,
                     eos_token_id=context.eos_token_id, pad_token_id=context.pad_token_id,
                     temperature=temperature, top_p=context.top_p,
                     seeds=seeds if temperature > 0 else None)
        return [(out.tokens(i), out.logprobs[i, : int(out.lengths[i])].tolist())
                for i in range(len(chats))]

    def improve(self, prompts, responses, rewards, context: ImproveContext
                ) -> list[ImprovedSample]:
        G = context.group_size
        n = check_batch(prompts, responses, rewards, G)
        B = n * G
        texts = [context.decode(r) for r in responses]
        chats = [refinement_messages(context.tasks[b // G], texts[b],
                                     self.critic.critique(context.tasks[b // G], texts[b],
                                                          float(rewards[b])))
                 for b in range(B)]
        best: list[tuple[list[int], list[float]]] = [([], [])] * B
        best_reward = [float("-inf")] * B
        live = list(range(B))
        for round_ in range(self.config.rounds):
            refined = self.refine([chats[b] for b in live], context,
                                  [context.draw_seed(self.name, b // G, b % G, round_)
                                   for b in live])
            still = []
            for b, (ids, logp) in zip(live, refined, strict=True):
                if not ids:
                    continue
                r = context.reward(b // G, ids)
                if r > best_reward[b]:  # a chain keeps its best refinement
                    best[b], best_reward[b] = (ids, logp), r
                if r < context.success and round_ + 1 < self.config.rounds:
                    task = context.tasks[b // G]
                    text = context.decode(ids)
                    chats[b] = chats[b] + [
                        {"role": "assistant", "content": text},
                        {"role": "user", "content": "Critique: " + self.critic.critique(
                            task, text, r) + "\n\n" + REFINE_INSTRUCTIONS}]
                    still.append(b)
            live = still
            if not live:
                break
        self.last_chats = chats
        out = []
        for g in range(n):
            group = range(g * G, (g + 1) * G)
            candidates = [b for b in group if best[b][0]]
            if not candidates:
                continue
            pick = candidates[select_refinement([best_reward[b] for b in candidates],
                                                context.success)]
            ids, logp = best[pick]
            slot = replaced_slot([float(rewards[b]) for b in group], self.config.replace)
            out.append(ImprovedSample(
                group=g, replaces=slot, prompt_ids=tuple(prompts[g]), completion_ids=tuple(ids),
                reward=best_reward[pick], sampler_logp=tuple(logp), loss="shaped",
                source=self.name, info={"from_response": pick - g * G,
                                        "critic": self.critic.name}))
        return out

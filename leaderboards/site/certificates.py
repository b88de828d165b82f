"""A certificate as a reader wants to see it, per family.

- AC (``mathgym/AC-v0``): the move ids, their written form (``r1 <- x^-1 r1 x``) and a chart
  of the relator lengths after each move, replayed on the plain-Python reference
  (:mod:`mathgym.envs.ac.reference`, the verifier's own) under the instance's length cap.
- Metamath: the proof (labels in RPN order).
- MathQA: the answer text.
- ProgSynth: the program (nested operator calls) and the value it evaluates to, rebuilt from
  the action ids by the verifier's ``GraphBuilder``; the ids themselves as well.
- Anything else: the certificate's JSON.

Certificates come from submission files, so everything is escaped, and a certificate that
cannot be replayed or decoded is shown raw with the reason instead of failing the page.
"""

from __future__ import annotations

import json
from typing import Any

from mathgym.leaderboards.site.charts import relator_lengths
from mathgym.leaderboards.site.markup import esc

AC_ENV, METAMATH_ENV, MATHQA_ENV, PROGSYNTH_ENV = (
    "mathgym/AC-v0", "mathgym/Metamath-v0", "mathgym/MathQA-v0", "mathgym/MathProgSynth-v0")


def _raw(certificate: Any) -> str:
    text = certificate if isinstance(certificate, str) else json.dumps(certificate,
                                                                       sort_keys=True)
    return f'<pre class="cert">{esc(text)}</pre>'


def _ac(instance: Any, moves: Any) -> str:
    from mathgym.envs.ac.moves import move_name
    from mathgym.envs.ac.reference import apply_move

    if not isinstance(moves, list) or not all(
            isinstance(m, int) and not isinstance(m, bool) for m in moves):
        return _raw(moves)
    parts = [f"<p>A path of {len(moves)} moves (AC-Solver's move ids):</p>",
             f'<pre class="cert">{esc(" ".join(map(str, moves)))}</pre>']
    if instance is None:
        return "".join(parts)
    try:
        state = tuple(tuple(r) for r in instance.data["relators"])
        cap = int(instance.data["max_relator_length"])
        k = len(state)
        lengths = [tuple(len(r) for r in state)]
        for m in moves:
            state = apply_move(state, m, cap)
            lengths.append(tuple(len(r) for r in state))
        for m in set(moves):
            move_name(m, k)  # every id names a move of k relators (else: not replayed)
    except Exception as err:  # an id out of range, a malformed instance
        parts.append(f"<p>(not replayed: {esc(type(err).__name__)}: {esc(err)})</p>")
        return "".join(parts)
    parts.append(relator_lengths(lengths, cap))
    final = ", ".join(map(str, lengths[-1]))
    parts.append(f"<p>Relator lengths: start {esc(', '.join(map(str, lengths[0])))}, end "
                 f"{esc(final)}. The moves used, written out:</p><ul class=\"moves\">"
                 + "".join(f"<li><code>{m}</code> {esc(move_name(m, k))}</li>"
                           for m in sorted(set(moves))) + "</ul>")
    return "".join(parts)


def _metamath(certificate: Any) -> str:
    proof = certificate.get("proof") if isinstance(certificate, dict) else None
    if not isinstance(proof, str):
        return _raw(certificate)
    return (f"<p>The proof ({len(proof.split())} labels, RPN):</p>"
            f'<pre class="cert">{esc(proof)}</pre>')


def _answer(certificate: Any) -> str:
    if not isinstance(certificate, str):
        return _raw(certificate)
    return f'<p>The answer:</p><pre class="cert">{esc(certificate)}</pre>'


def _program(instance: Any, actions: Any) -> str:
    parts = [f'<p>Action ids:</p><pre class="cert">{esc(json.dumps(actions))}</pre>']
    if instance is None or not isinstance(actions, list):
        return "".join(parts)
    try:
        from mathgym.envs.reasoning.benchmarks import instance_problem
        from mathgym.envs.reasoning.progsynth_graph import GraphBuilder

        builder = GraphBuilder(instance_problem(instance), max_nodes=instance.data["max_nodes"])
        for a in actions:
            builder.apply(a)
        text, value = builder.text(), builder.answer()
    except Exception as err:
        parts.append(f"<p>(not decoded: {esc(type(err).__name__)}: {esc(err)})</p>")
        return "".join(parts)
    return (f'<p>The program:</p><pre class="cert">{esc(text)}</pre>'
            f'<p>Its value, the answer:</p><pre class="cert">{esc(value)}</pre>'
            + "".join(parts))


def render_certificate(env_id: str | None, instance: Any, certificate: Any) -> str:
    """HTML of one certificate (``instance``: the registry's instance, or None if unknown)."""
    if env_id == AC_ENV:
        return _ac(instance, certificate)
    if env_id == METAMATH_ENV:
        return _metamath(certificate)
    if env_id == MATHQA_ENV:
        return _answer(certificate)
    if env_id == PROGSYNTH_ENV:
        return _program(instance, certificate)
    return _raw(certificate)


#: Instance data shown above the certificates, per env (public facts of the task).
FACT_KEYS: dict[str, tuple[str, ...]] = {
    AC_ENV: ("presentation", "max_relator_length"),
    METAMATH_ENV: ("theorem", "statement"),
    MATHQA_ENV: ("question", "answer_type"),
    PROGSYNTH_ENV: ("question", "answer_type"),
}

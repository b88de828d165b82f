"""Lean benchmarks for the harness: ``formal/lean-replay``.

``formal/lean-replay`` holds the theorems of the recorded Lean REPL transcripts
(``$MATHGYM_LEAN_TRANSCRIPTS``, default ``../shared/lean-repl-transcripts`` next to the
checkout) that end in ``sorry`` and that some recorded tactic sequence proves
(``proofStatus == "Completed"``). It exists so the Lean path - env, agent, certificate,
verifier, results - runs end to end on machines without a Lean toolchain. Four instances from
the REPL's test suite: ``proof_branching.0``, ``proof_step.0``, ``readme.0``, ``trace_simp.4``
(id = transcript name and request index).

Instance data: ``transcript`` (name), ``transcript_sha256`` (of the pair, so a changed
recording changes the content hash), ``header`` (commands building the theorem's environment),
``theorem`` (Lean source ending in ``sorry``) and ``goal`` (its initial goal).

Certificate: the JSON list of tactics from the theorem's ``sorry`` to the completed proof
(``info["proof"]`` of Lean-v0). The verifier (:mod:`mathgym.verifiers.lean`) replays them in a
fresh session: on a real REPL when one is configured (``MATHGYM_LEAN_PROJECT`` /
``MATHGYM_LEAN_REPL_CMD``), otherwise on the recording, which can confirm only recorded steps.

Budget unit: ``env_steps`` (one tactic or one ``backtrack N``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from mathgym.harness.benchmark import Benchmark, Instance, Verdict

LEAN_ENV_ID = "mathgym/Lean-v0"
REPLAY_ID = "formal/lean-replay"
REPLAY_VERSION = 1


def _transcripts_available() -> bool:
    from mathgym.envs.lean.transcripts import default_transcripts_dir

    return default_transcripts_dir().is_dir()


def replay_instances() -> list[Instance]:
    """One instance per provable recorded theorem, sorted by id."""
    from mathgym.envs.lean.transcripts import find_episodes, load_transcript, transcript_names

    instances = []
    for name in transcript_names():
        transcript = load_transcript(name)
        for episode in find_episodes(transcript):
            if not episode.provable:
                continue
            data = {
                "transcript": name,
                "transcript_sha256": transcript.sha256,
                "header": list(episode.header),
                "theorem": episode.theorem,
                "goal": episode.root_goal,
            }
            instances.append(Instance(episode.id, data, {"header": bool(episode.header)}))
    return sorted(instances, key=lambda inst: inst.id)


def replay_env_kwargs(instance: Instance) -> dict[str, Any]:
    """The theorem, on the local REPL if configured, else replayed from its transcript."""
    from mathgym.envs.lean.config import lean_available
    from mathgym.envs.lean.transcripts import resolve_pair

    kwargs: dict[str, Any] = {
        "theorem": instance.data["theorem"],
        "header": list(instance.data["header"]),
    }
    if not lean_available():
        stem = resolve_pair(instance.data["transcript"])[0]
        kwargs["replay"] = str(stem)[: -len(".in")]
        kwargs["replay_ordered"] = False
    return kwargs


def verification_client(instance: Instance):
    """A fresh client: the local REPL if configured, else the instance's recording."""
    from mathgym.envs.lean.client import LeanClient
    from mathgym.envs.lean.config import lean_available, make_transport
    from mathgym.envs.lean.transcripts import load_transcript
    from mathgym.envs.lean.transport import ReplayTransport

    if lean_available():
        return LeanClient(make_transport("repl"))
    transcript = load_transcript(instance.data["transcript"])
    if transcript.sha256 != instance.data["transcript_sha256"]:
        raise ValueError(
            f"transcript {instance.data['transcript']!r} differs from the one this benchmark "
            "version was built from"
        )
    return LeanClient(ReplayTransport(transcript, ordered=False))


def verify_replay(instance: Instance, certificate: Any) -> Verdict:
    """Re-run the certificate's tactics from the theorem's ``sorry`` in a fresh session."""
    from mathgym.verifiers.lean import check_tactic_proof

    client = verification_client(instance)
    try:
        result = check_tactic_proof(
            client, instance.data["theorem"], certificate, instance.data["header"]
        )
    finally:
        client.close()
    return Verdict(result.ok, result.reason)


@functools.lru_cache(maxsize=1)
def lean_replay_benchmark() -> Benchmark:
    """``formal/lean-replay``; ``FileNotFoundError`` naming the folder when it is absent."""
    from mathgym.envs.lean.transcripts import transcripts_dir

    transcripts_dir()  # raises a clear FileNotFoundError when the recordings are missing
    return Benchmark(
        id=REPLAY_ID,
        version=REPLAY_VERSION,
        description=(
            "Theorems from recorded Lean 4 REPL sessions (the REPL's own test suite) that a "
            "recorded tactic sequence proves; certificate = the tactic list, re-checked in a "
            "fresh session (a real REPL if configured, else the recording). One unit of "
            "budget is one env step (a tactic or a backtrack)."
        ),
        instances=tuple(replay_instances()),
        budget_unit="env_steps",
        default_budget=32,
        env_id=LEAN_ENV_ID,
        env_kwargs=replay_env_kwargs,
        verify=verify_replay,
        strata=("header",),
    )


#: Registered only when the transcripts are present, so ``mathgym benchmarks`` works anywhere.
BENCHMARKS: dict[str, Callable[[], Benchmark]] = (
    {REPLAY_ID: lean_replay_benchmark} if _transcripts_available() else {}
)

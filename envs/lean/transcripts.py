"""Recorded Lean REPL sessions: locating, loading and mining them for proof episodes.

A transcript is a pair ``NAME.in`` (requests) / ``NAME.expected.out`` (responses) recorded from
the REPL's own test suite (``/work/shared/lean-repl-transcripts`` here). The folder is taken
from ``$MATHGYM_LEAN_TRANSCRIPTS``, else ``shared/lean-repl-transcripts`` next to the
repository checkout. :func:`find_episodes` extracts the theorems of a transcript that end in
``sorry`` together with the recorded tactic steps below their proof state, which is what the
``formal/lean-replay`` benchmark and the ``lean-replay`` agent are built from.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathgym.envs.lean.protocol import (
    CommandResponse,
    ProofStepResponse,
    Response,
    decode_block,
    iter_request_blocks,
    iter_response_blocks,
    parse_response,
    request_kind,
)

#: Environment variable naming the transcript folder.
TRANSCRIPTS_ENV = "MATHGYM_LEAN_TRANSCRIPTS"
#: Suffixes of a transcript pair.
REQUEST_SUFFIX = ".in"
RESPONSE_SUFFIX = ".expected.out"


def default_transcripts_dir() -> Path:
    """``$MATHGYM_LEAN_TRANSCRIPTS``, else ``<checkout>/../shared/lean-repl-transcripts``."""
    configured = os.environ.get(TRANSCRIPTS_ENV)
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "lean-repl-transcripts"


def transcripts_dir(path: str | Path | None = None) -> Path:
    """The transcript folder, checked to exist; ``FileNotFoundError`` says how to point at one."""
    folder = Path(path) if path is not None else default_transcripts_dir()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no Lean REPL transcripts at {folder}: set ${TRANSCRIPTS_ENV} to a folder of "
            f"NAME{REQUEST_SUFFIX} / NAME{RESPONSE_SUFFIX} pairs recorded from "
            "leanprover-community/repl (its test/ folder has them)"
        )
    return folder


def transcript_names(path: str | Path | None = None) -> list[str]:
    """Names (sorted) of the complete pairs in the transcript folder."""
    folder = transcripts_dir(path)
    names = []
    for req in sorted(folder.glob(f"*{REQUEST_SUFFIX}")):
        name = req.name[: -len(REQUEST_SUFFIX)]
        if (folder / f"{name}{RESPONSE_SUFFIX}").is_file():
            names.append(name)
    return sorted(names)


@dataclass(frozen=True)
class Transcript:
    """One recorded session: its requests and raw responses, index-aligned."""

    name: str
    requests: tuple[dict[str, Any], ...]
    responses: tuple[dict[str, Any], ...]
    sha256: str

    def decoded(self) -> list[Response]:
        """The responses as protocol values."""
        return [parse_response(r) for r in self.responses]


def resolve_pair(stem: str | Path, folder: str | Path | None = None) -> tuple[Path, Path]:
    """``(NAME.in, NAME.expected.out)`` for a stem path or a bare name in the folder."""
    stem = Path(stem)
    if stem.name.endswith(REQUEST_SUFFIX):
        stem = stem.with_name(stem.name[: -len(REQUEST_SUFFIX)])
    elif stem.name.endswith(RESPONSE_SUFFIX):
        stem = stem.with_name(stem.name[: -len(RESPONSE_SUFFIX)])
    if not stem.is_absolute() and len(stem.parts) == 1 and not stem.with_suffix(".in").exists():
        stem = transcripts_dir(folder) / stem
    return (
        stem.with_name(stem.name + REQUEST_SUFFIX),
        stem.with_name(stem.name + RESPONSE_SUFFIX),
    )


def load_pair(requests_path: str | Path, responses_path: str | Path) -> Transcript:
    """Load a pair of files; ``ValueError`` naming the file and block when they do not fit."""
    requests_path, responses_path = Path(requests_path), Path(responses_path)
    for p in (requests_path, responses_path):
        if not p.is_file():
            raise FileNotFoundError(f"Lean transcript file {p} does not exist")
    req_text = requests_path.read_text(encoding="utf-8")
    resp_text = responses_path.read_text(encoding="utf-8")
    requests = []
    for i, block in enumerate(iter_request_blocks(req_text)):
        obj = decode_block(block, f"{requests_path} request {i}")
        try:
            request_kind(obj)
        except ValueError as err:
            raise ValueError(f"{requests_path} request {i}: {err}") from None
        requests.append(obj)
    responses = [
        decode_block(block, f"{responses_path} response {i}")
        for i, block in enumerate(iter_response_blocks(resp_text))
    ]
    if len(requests) != len(responses):
        raise ValueError(
            f"{requests_path} has {len(requests)} requests but {responses_path} has "
            f"{len(responses)} responses; a transcript pair needs one response per request"
        )
    digest = hashlib.sha256(req_text.encode() + b"\0" + resp_text.encode()).hexdigest()
    name = requests_path.name[: -len(REQUEST_SUFFIX)]
    return Transcript(name, tuple(requests), tuple(responses), digest)


def load_transcript(stem: str | Path, folder: str | Path | None = None) -> Transcript:
    """Load ``NAME.in`` / ``NAME.expected.out`` (``stem`` is a path without suffix or a name)."""
    return load_pair(*resolve_pair(stem, folder))


# --------------------------------------------------------------------------- episodes
@dataclass(frozen=True)
class RecordedStep:
    """A recorded tactic request below an episode's root and what it produced."""

    index: int
    tactic: str
    proof_state: int
    result_proof_state: int | None
    proof_status: str | None
    error: bool


@dataclass(frozen=True)
class RecordedEpisode:
    """A theorem ending in ``sorry`` found in a transcript, with the steps tried on it.

    ``header`` are the commands that built its environment (run first, each in the previous
    one's env); ``root_proof_state`` is the recorded id of the final ``sorry``'s proof state.
    """

    transcript: str
    index: int
    header: tuple[str, ...]
    theorem: str
    root_proof_state: int
    root_goal: str
    steps: tuple[RecordedStep, ...]

    @property
    def id(self) -> str:
        """``NAME.INDEX``: the transcript name and the request index of the theorem."""
        return f"{self.transcript}.{self.index}"

    @property
    def provable(self) -> bool:
        """Whether some recorded step completed the proof (``proofStatus == "Completed"``)."""
        return any(s.proof_status == "Completed" and not s.error for s in self.steps)


def _final_sorry(resp: CommandResponse):
    candidates = [s for s in resp.sorries if s.proof_state is not None]
    if not candidates:
        return None

    def key(s):
        return (s.pos.line, s.pos.column) if s.pos is not None else (0, 0)

    return max(candidates, key=key)


def find_episodes(transcript: Transcript) -> list[RecordedEpisode]:
    """Every plain command ending in ``sorry`` that Lean accepted, with its recorded steps.

    The environment history is followed through ``env`` ids so each episode knows the header
    commands it needs; environments restored by unpickling have no known history and are
    skipped, as are commands with options (``allTactics``, ``rootGoals``, ...).
    """
    responses = transcript.decoded()
    chains: dict[int, tuple[str, ...]] = {}
    roots: list[tuple[int, tuple[str, ...], str, int, str]] = []
    for i, (req, resp) in enumerate(zip(transcript.requests, responses, strict=True)):
        kind = request_kind(req)
        if kind == "unpickle_env" and isinstance(resp, CommandResponse) and resp.env is not None:
            chains.pop(resp.env, None)
        if kind != "command" or not isinstance(resp, CommandResponse) or resp.env is None:
            continue
        if set(req) - {"cmd", "env"}:
            continue
        base = () if "env" not in req else chains.get(req["env"])
        if base is None:
            continue
        chain = (*base, req["cmd"])
        chains[resp.env] = chain
        final = _final_sorry(resp)
        if resp.errors or final is None or not req["cmd"].rstrip().endswith("sorry"):
            continue
        roots.append((i, chain[:-1], req["cmd"], final.proof_state, final.goal))
    episodes = []
    for index, header, theorem, root, goal in roots:
        reachable = {root}
        steps = []
        for j in range(index + 1, len(transcript.requests)):
            req, resp = transcript.requests[j], responses[j]
            if request_kind(req) != "tactic" or req["proofState"] not in reachable:
                continue
            if isinstance(resp, ProofStepResponse):
                error = bool(resp.errors) or (resp.proof_status or "").startswith("Error")
                if not error:
                    reachable.add(resp.proof_state)
                steps.append(
                    RecordedStep(
                        j, req["tactic"], req["proofState"], resp.proof_state,
                        resp.proof_status, error,
                    )
                )
            else:
                steps.append(RecordedStep(j, req["tactic"], req["proofState"], None, None, True))
        episodes.append(
            RecordedEpisode(transcript.name, index, header, theorem, root, goal, tuple(steps))
        )
    return episodes

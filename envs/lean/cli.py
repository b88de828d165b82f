"""``mathgym lean``: Lean REPL tools.

``mathgym lean replay IN OUT`` runs the REPL client over a recorded transcript pair (``IN``
holds the requests, ``OUT`` the responses) and prints one JSON line per response::

    {"index": 1, "kind": "tactic", "proofState": 1, "goals": ["⊢ Int"],
     "status": "Incomplete: open goals remain", "messages": []}

``kind`` is ``command`` (with ``env`` and ``sorries``), ``tactic`` (with ``proofState`` and
``status`` = the REPL's ``proofStatus``) or ``error`` (the REPL's ``{"message"}``, reported as
one error message). Exit status 0 when every response decoded, 1 on a protocol error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``lean replay IN OUT [--unordered]``."""
    sub = parser.add_subparsers(dest="lean_command", metavar="LEAN_COMMAND")
    replay = sub.add_parser(
        "replay",
        help="run the REPL client over a recorded transcript pair",
        description="Run the REPL client over a transcript pair; one JSON line per response.",
    )
    replay.add_argument("requests", metavar="IN", help="requests file (NAME.in)")
    replay.add_argument("responses", metavar="OUT", help="responses file (NAME.expected.out)")
    replay.add_argument(
        "--unordered", action="store_true",
        help="match each request against any unused recorded one (default: in order)",
    )


def response_line(index: int, resp: Any) -> dict[str, Any]:
    """The JSON-ready summary of one decoded response printed by ``replay``."""
    from mathgym.envs.lean.protocol import CommandResponse, ProofStepResponse

    if isinstance(resp, CommandResponse):
        return {
            "index": index,
            "kind": "command",
            "env": resp.env,
            "goals": [s.goal for s in resp.sorries],
            "sorries": [{"proofState": s.proof_state, "goal": s.goal} for s in resp.sorries],
            "status": None,
            "messages": [m.to_json() for m in resp.messages],
        }
    if isinstance(resp, ProofStepResponse):
        return {
            "index": index,
            "kind": "tactic",
            "proofState": resp.proof_state,
            "goals": list(resp.goals),
            "status": resp.proof_status,
            "messages": [m.to_json() for m in resp.messages],
        }
    return {
        "index": index,
        "kind": "error",
        "goals": [],
        "status": None,
        "messages": [{"severity": "error", "data": resp.message}],
    }


def run(args: argparse.Namespace) -> int:
    """Dispatch ``mathgym lean ...``."""
    if getattr(args, "lean_command", None) != "replay":
        print("usage: mathgym lean replay IN OUT [--unordered]", file=sys.stderr)
        return 2
    from mathgym.envs.lean.client import LeanClient
    from mathgym.envs.lean.errors import LeanBackendError
    from mathgym.envs.lean.transcripts import load_pair
    from mathgym.envs.lean.transport import ReplayTransport

    try:
        transcript = load_pair(args.requests, args.responses)
    except (OSError, ValueError) as err:
        print(f"mathgym lean replay: {err}", file=sys.stderr)
        return 2
    client = LeanClient(ReplayTransport(transcript, ordered=not args.unordered))
    for index, request in enumerate(transcript.requests):
        try:
            resp = client.send(request)
        except LeanBackendError as err:
            print(f"mathgym lean replay: request {index}: {err}", file=sys.stderr)
            return 1
        try:
            print(json.dumps(response_line(index, resp), ensure_ascii=False), flush=True)
        except BrokenPipeError:  # `... | head`: the reader has seen enough
            sys.stderr.close()
            return 0
    return 0

"""Lean REPL protocol, framing, transcripts and replay transport.

These tests run on recorded transcripts of the real Lean 4 REPL (leanprover-community/repl
test suite, Lean v4.33.0-rc2) because no package registry ships a Lean toolchain; they skip
with a clear reason when ``../shared/lean-repl-transcripts`` is absent. Decoding is checked
differentially against a plain reference (``json.loads`` of each blank-line block).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lean_testing import TRANSCRIPTS, needs_transcripts, pair_names, raw_blocks, stem
from mathgym.envs.lean.client import LeanClient
from mathgym.envs.lean.errors import LeanProtocolError, ReplayMismatchError
from mathgym.envs.lean.protocol import (
    CommandResponse,
    ErrorResponse,
    ProofStepResponse,
    build_command,
    encode_request,
    iter_request_blocks,
    parse_response,
    request_kind,
)
from mathgym.envs.lean.transcripts import (
    find_episodes,
    load_pair,
    load_transcript,
    transcript_names,
    transcripts_dir,
)
from mathgym.envs.lean.transport import ReplayTransport

#: Response class each request kind may get (besides an ErrorResponse).
EXPECTED_KIND = {
    "command": CommandResponse,
    "file": CommandResponse,
    "pickle_env": CommandResponse,
    "unpickle_env": CommandResponse,
    "tactic": ProofStepResponse,
    "pickle_proof_state": ProofStepResponse,
    "unpickle_proof_state": ProofStepResponse,
}

#: Every proofStatus in the recordings (the REPL's getProofStatus cases that occur).
KNOWN_STATUSES = {
    "Completed",
    "Incomplete: open goals remain",
    "Incomplete: contains sorry",
    "Incomplete: contains metavariable(s)",
}


@needs_transcripts
def test_transcript_folder_has_the_recorded_pairs():
    names = transcript_names()
    assert names == pair_names()
    assert len(names) == 46  # 48 .in files, 2 without a recorded response
    assert {"readme", "proof_step", "tactic_mode_sorry", "unknown_tactic"} <= set(names)


@needs_transcripts
@pytest.mark.parametrize("name", pair_names())
def test_every_response_decodes_like_the_reference(name):
    transcript = load_transcript(name)
    reference = raw_blocks(TRANSCRIPTS / f"{name}.expected.out")
    assert list(transcript.responses) == reference
    for req, raw, resp in zip(transcript.requests, reference, transcript.decoded(), strict=True):
        assert isinstance(resp, EXPECTED_KIND[request_kind(req)] | ErrorResponse), (req, raw)
        if isinstance(resp, ErrorResponse):
            assert set(raw) == {"message"} and resp.message == raw["message"]
            continue
        assert [m.to_json() for m in resp.messages] == raw.get("messages", [])
        assert [s.goal for s in resp.sorries] == [s["goal"] for s in raw.get("sorries", [])]
        assert [s.proof_state for s in resp.sorries] == [
            s.get("proofState") for s in raw.get("sorries", [])
        ]
        if isinstance(resp, CommandResponse):
            assert resp.env == raw["env"]
            assert [t.tactic for t in resp.tactics] == [t["tactic"] for t in raw.get("tactics", [])]
            assert resp.infotree == raw.get("infotree")
        else:
            assert resp.proof_state == raw["proofState"]
            assert list(resp.goals) == raw["goals"]
            assert resp.proof_status == raw.get("proofStatus")
            assert list(resp.traces) == raw.get("traces", [])
            assert resp.completed == (raw.get("proofStatus") == "Completed")


@needs_transcripts
def test_every_recorded_proof_status_is_known_and_only_completed_counts():
    seen = set()
    for name in pair_names():
        for resp in load_transcript(name).decoded():
            if isinstance(resp, ProofStepResponse):
                seen.add(resp.proof_status)
                assert resp.completed == (resp.proof_status == "Completed")
    errors = {s for s in seen if s.startswith("Error: kernel type check failed")}
    assert len(errors) == 1  # self_proof_exact_check
    assert seen - errors == KNOWN_STATUSES


@needs_transcripts
def test_request_framing_matches_the_repl_line_joining():
    # The REPL joins the lines of a request with their newlines removed: the raw line break
    # in invalid_line_break.in makes `bysorry`, which is what Lean then complains about.
    t = load_transcript("invalid_line_break")
    assert t.requests[0] == {"cmd": "theorem foo : 1 = 1 := bysorry"}
    assert "Unknown identifier `bysorry`" in t.responses[0]["messages"][0]["data"]
    t = load_transcript("line_breaks")
    assert t.requests[0]["cmd"] == "theorem foo : 1 = 1 := by\nsorry"
    assert t.requests[1]["cmd"] == "theorem foo : 1 = 1 := by\n  sorry"
    assert t.decoded()[1].sorries[0].goal == "⊢ 1 = 1"


def test_comment_and_empty_blocks_get_no_response():
    text = (
        '# a comment\n\n\n\n{"cmd": "def f := 1"}\n\n-- another\n\n'
        '{"tactic": "rfl",\n "proofState": 0}\n'
    )
    assert [json.loads(b) for b in iter_request_blocks(text)] == [
        {"cmd": "def f := 1"},
        {"tactic": "rfl", "proofState": 0},
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_encoded_requests_survive_the_repl_reader(cmd, env):
    request = build_command(cmd, env)
    wire = encode_request(request)
    assert wire.endswith("\n\n") and wire.count("\n") == 2  # one line, then the blank line
    blocks = list(iter_request_blocks(wire))
    assert [json.loads(b) for b in blocks] == [request]


@pytest.mark.parametrize(
    "obj, fragment",
    [
        ([], "expected a JSON object"),
        ({"proofState": "1", "goals": []}, "'proofState' must be an integer"),
        ({"proofState": 1, "goals": "⊢ p"}, "'goals' must be a list"),
        ({"proofState": 1, "goals": [], "proofStatus": 3}, "'proofStatus' must be a string"),
        ({"env": 0, "messages": [{"severity": "error"}]}, "'data' must be a string"),
        ({"weird": 1}, "unrecognised keys"),
    ],
)
def test_malformed_responses_are_rejected_with_the_reason(obj, fragment):
    with pytest.raises(LeanProtocolError, match="malformed REPL response") as err:
        parse_response(obj)
    assert fragment in str(err.value)


def test_request_kind_rejects_non_requests():
    assert request_kind({"proofState": 3, "tactic": "simp"}) == "tactic"
    assert request_kind({"pickleTo": "a.olean", "proofState": 3}) == "pickle_proof_state"
    with pytest.raises(ValueError, match="not a Lean REPL request"):
        request_kind({"command": "def f := 1"})


@needs_transcripts
def test_replay_in_order_answers_the_recording_and_names_mismatches():
    transport = ReplayTransport(stem("proof_step"))
    t = transport.transcript
    assert transport.request(t.requests[0]) == t.responses[0]
    with pytest.raises(ReplayMismatchError) as err:
        transport.request({"tactic": "exact 42", "proofState": 0})
    assert err.value.index == 1
    assert err.value.expected == {"tactic": "apply Int.natAbs", "proofState": 0}
    assert err.value.actual == {"tactic": "exact 42", "proofState": 0}
    assert "request 1" in str(err.value) and "apply Int.natAbs" in str(err.value)
    # a mismatch consumes nothing: the recorded request is still answered next
    for req, resp in zip(t.requests[1:], t.responses[1:], strict=True):
        assert transport.request(dict(reversed(list(req.items())))) == resp  # key order free
    with pytest.raises(ReplayMismatchError, match="past the end") as err:
        transport.request(t.requests[0])
    assert err.value.index == 4 and err.value.expected is None
    transport.restart()
    assert transport.request(t.requests[0]) == t.responses[0]


@needs_transcripts
def test_unordered_replay_skips_recorded_dead_ends():
    transport = ReplayTransport(stem("proof_step"), ordered=False)
    client = LeanClient(transport)
    assert client.command("def f : Nat := by sorry").sorries[0].proof_state == 0
    step = client.tactic("have t : Nat := 42", 0)
    assert step.proof_state == 2 and step.goals == ("t : Nat\n⊢ Nat",)
    assert client.tactic("exact t", 2).completed
    with pytest.raises(ReplayMismatchError, match="not among the unused recorded") as err:
        client.tactic("exact t", 2)  # already used
    assert err.value.expected == {"tactic": "apply Int.natAbs", "proofState": 0}
    assert client.generation == 0  # a replay miss is not a backend failure: no restart


@needs_transcripts
@pytest.mark.parametrize("name", pair_names())
def test_client_replays_every_recorded_request(name):
    client = LeanClient.replay(stem(name))
    for req in client.transport.transcript.requests:
        client.send(req)
    assert client.transport.exhausted and client.failures == 0


@needs_transcripts
def test_episodes_found_in_the_transcripts():
    provable = {}
    for name in pair_names():
        for ep in find_episodes(load_transcript(name)):
            if ep.provable:
                provable[ep.id] = ep
    assert sorted(provable) == ["proof_branching.0", "proof_step.0", "readme.0", "trace_simp.4"]
    ep = provable["trace_simp.4"]
    assert ep.header == (
        "def f := 37",
        "@[simp] theorem f_def : f = 37 := by rfl",
        "set_option trace.Meta.Tactic.simp true",
    )
    assert ep.theorem == "example : f = 37 := by sorry" and ep.root_goal == "⊢ f = 37"
    assert [(s.tactic, s.proof_status) for s in ep.steps] == [
        ('trace "37"', "Incomplete: open goals remain"),
        ("simp", "Completed"),
    ]
    # pickled / unpickled proof states are not reachable by tactics from the root
    pickled = find_episodes(load_transcript("pickle_proof_state_1"))
    assert [(e.id, e.header, e.steps) for e in pickled] == [("pickle_proof_state_1.1",
                                                             ("import Lean",), ())]


def test_missing_transcript_folder_is_reported_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("MATHGYM_LEAN_TRANSCRIPTS", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="MATHGYM_LEAN_TRANSCRIPTS"):
        transcripts_dir()


def test_unbalanced_pair_is_rejected(tmp_path):
    (tmp_path / "x.in").write_text('{"cmd": "def f := 1"}\n\n{"cmd": "def g := 1"}\n')
    (tmp_path / "x.expected.out").write_text('{"env": 0}\n\n')
    with pytest.raises(ValueError, match="has 2 requests but .* has 1 responses"):
        load_pair(tmp_path / "x.in", tmp_path / "x.expected.out")

"""Metamath benchmarks for the harness: ``formal/metamath-easy`` and ``formal/metamath-test``.

Instances are fixed in ``benchmark_instances.json`` (written by :func:`write_instance_file`
from Debian's set.mm, so listing benchmarks never needs the 41 MB database):

- ``formal/metamath-easy``: the first 100 theorems of the ``easy`` split (proofs with at most
  3 ``|-`` steps, ordered by sha256 of the label);
- ``formal/metamath-test``: the first 100 theorems of the ``test`` split in the same order;
- ``formal/metamath-quick``: the first 10 easy ones (tag ``quick``, for ``mathgym demo``).

Instance data: ``theorem`` (label), ``statement`` (its ``|-`` text; the verifier refuses a
database where the label states something else) and ``proof_steps`` (``|-`` steps of the
stored set.mm proof; stratum). Budget unit ``search_nodes``: proof states expanded (a search
agent) or env steps (an agent acting in ``mathgym/Metamath-v0``).

Certificate: ``{"proof": "<normal or compressed Metamath proof tokens>"}`` (or, from env-acting
agents, the list of Metamath-v0 actions, replayed only to assemble the proof). The verifier
re-checks it with mathgym's own kernel (:mod:`mathgym.verifiers.metamath`) against the
database at ``$MATHGYM_METAMATH_DB`` (default Debian's set.mm), ``$d`` included, under the
usage rule (:mod:`mathgym.verifiers.metamath.usage`): the proof may cite only what the
theorem's own set.mm proof may use. Size limits: :data:`MAX_CERTIFICATE_ACTIONS` actions,
:data:`~mathgym.verifiers.metamath.certificate.MAX_PROOF_STEPS` proof steps.

Cost lower bound (:func:`min_cost`): a proof with k ``|-`` steps cost at least k units (each
step is one env action, or one move on the search path, every state of which was expanded);
an action list of k actions cost at least k env steps.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from mathgym.harness.benchmark import Benchmark, Instance, Verdict

METAMATH_ENV_ID = "mathgym/Metamath-v0"
INSTANCE_FILE = os.path.join(os.path.dirname(__file__), "benchmark_instances.json")
SAMPLE_SIZE = 100
#: Version 2: the verifier enforces the usage rule (docs/metamath.md): a proof may use only
#: what the theorem's own set.mm proof may use. 13 records of the version-1 boards cite lemmas
#: outside their theorem's axiom closure, so version-1 results are not comparable.
EASY_VERSION = 2
TEST_VERSION = 2
QUICK_VERSION = 2
DEFAULT_BUDGET = 300
#: The most env actions an action-list certificate may have: an episode of the benchmark env
#: has at most 64, so 256 leaves room; longer lists are refused before any replay (an index
#: action after a move costs one candidate list, tens of ms, so this bounds the replay).
MAX_CERTIFICATE_ACTIONS = 256
#: Candidate-list length used when replaying index actions (Metamath-v0's default).
REPLAY_CANDIDATES = 64


def database_path() -> str:
    """The database certificates are checked against (``$MATHGYM_METAMATH_DB`` or set.mm)."""
    from mathgym.verifiers.metamath.database import DEFAULT_DATABASE

    return os.environ.get("MATHGYM_METAMATH_DB") or DEFAULT_DATABASE


def verify_certificate(instance: Instance, certificate: Any) -> Verdict:
    """Check the certificate proves the instance's theorem, with our kernel and usage rule.

    ``{"proof": "..."}`` is checked directly. A list of env actions (what env-acting agents
    such as ``random`` record) is first replayed only to *assemble* the proof text, which is
    then checked by the kernel exactly like a submitted proof.
    """
    from mathgym.verifiers.metamath.certificate import verify_theorem_proof

    if isinstance(certificate, list):
        proof, why = proof_from_actions(instance, certificate)
        if proof is None:
            return Verdict(False, why)
        certificate = {"proof": proof}
    if not isinstance(certificate, dict) or not isinstance(certificate.get("proof"), str):
        return Verdict(
            False, 'certificate must be {"proof": "<Metamath proof tokens>"} or a list of actions'
        )
    ok, reason = verify_theorem_proof(
        instance.data["theorem"],
        certificate["proof"],
        database_path(),
        statement=instance.data["statement"],
    )
    return Verdict(ok, reason)


def proof_from_actions(instance: Instance, actions: list) -> tuple[str | None, str]:
    """Replay Metamath-v0 actions to assemble a proof: ``(proof, "")`` or ``(None, why)``.

    Same semantics as the env (an invalid action leaves the state unchanged; an index picks
    from the candidate list of the current state), but on the prover directly: the candidate
    list is computed only for index actions, once per state, instead of after every step as
    the env's ``info`` does (that made 10,000 actions take about a minute).
    """
    from mathgym.envs.metamath.library import load_library
    from mathgym.envs.metamath.prover import ActionError, Prover

    if len(actions) > MAX_CERTIFICATE_ACTIONS:
        return None, (
            f"the action list has {len(actions)} actions, more than the "
            f"{MAX_CERTIFICATE_ACTIONS} a certificate may have; submit the proof as "
            '{"proof": "<Metamath proof tokens>"} instead'
        )
    if not all(isinstance(a, (int, str)) and not isinstance(a, bool) for a in actions):
        return None, "every action must be an int (candidate index) or a str (text action)"
    prover = Prover(load_library(database_path()), instance.data["theorem"])
    state = prover.initial_state()
    candidates: list | None = None
    candidates_limit = 0
    for action in actions:
        try:
            if isinstance(action, str):
                label, subs = prover.parse_action(action)
            else:
                if not 0 <= action < REPLAY_CANDIDATES:
                    continue
                if candidates is None or (
                    len(candidates) <= action and len(candidates) == candidates_limit
                ):  # only the first action + 1 candidates are needed: the list stops early
                    candidates_limit = max(action + 1, 8)
                    candidates = prover.candidates(state, candidates_limit)
                if action >= len(candidates):
                    continue
                label, subs = candidates[action], {}
            state = prover.apply(state, label, subs)
        except ActionError:
            continue
        candidates = None
        if state.proved:
            try:
                return " ".join(prover.assemble_proof(state)), ""
            except ActionError as err:
                return None, f"the action list finishes the proof, but {err}"
    return None, "the action list does not finish the proof in Metamath-v0"


def min_cost(instance: Instance, certificate: Any) -> float:
    """The least ``search_nodes`` any agent could have spent to find ``certificate``.

    An action list of k actions: k env steps. A proof: its number of ``|-`` steps (syntax
    steps and reuses of ``Z``-saved steps not counted), since a backward prover applies one
    move per ``|-`` step and a search expands every state on the path to its proof. 0 for a
    malformed certificate (the verifier rejects it anyway).
    """
    if isinstance(certificate, list):
        return float(len(certificate))
    if not isinstance(certificate, dict) or not isinstance(certificate.get("proof"), str):
        return 0.0
    from mathgym.verifiers.metamath.certificate import (
        MAX_PROOF_STEPS,
        load_database,
        proof_steps,
        provable_steps,
    )

    proof = certificate["proof"]
    if proof_steps(proof) > MAX_PROOF_STEPS:
        return 0.0
    return float(provable_steps(load_database(database_path()), instance.data["theorem"], proof))


def _env_kwargs(instance: Instance) -> dict[str, Any]:
    return {"theorem": instance.data["theorem"], "max_steps": 64}


@functools.lru_cache(maxsize=1)
def _instances() -> dict:
    try:
        with open(INSTANCE_FILE, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as err:
        raise RuntimeError(
            f"{INSTANCE_FILE} is missing; regenerate it with "
            "`python -m mathgym.envs.metamath.benchmarks --write`"
        ) from err


def _benchmark(bid: str, key: str, version: int, description: str, tags: tuple) -> Benchmark:
    rows = _instances()[key]
    instances = [
        Instance(
            row["theorem"],
            {k: row[k] for k in ("theorem", "statement", "proof_steps")},
            {"proof_steps": row["proof_steps"]},
        )
        for row in rows
    ]
    return Benchmark(
        id=bid,
        version=version,
        description=description,
        instances=tuple(instances),
        budget_unit="search_nodes",
        default_budget=DEFAULT_BUDGET,
        env_id=METAMATH_ENV_ID,
        env_kwargs=_env_kwargs,
        verify=verify_certificate,
        strata=("proof_steps",),
        tags=tags,
        min_cost=min_cost,
    )


def metamath_easy() -> Benchmark:
    """100 set.mm theorems whose stored proofs take at most 3 ``|-`` steps."""
    return _benchmark(
        "formal/metamath-easy",
        "easy",
        EASY_VERSION,
        "100 set.mm theorems with short proofs (<= 3 |- steps in set.mm), proved backwards in "
        "Metamath-v0; certificate = Metamath proof re-checked by mathgym's kernel. Budget: "
        "proof states expanded (search) or env steps.",
        (),
    )


def metamath_test() -> Benchmark:
    """A fixed sample of 100 theorems of the sha256 ``test`` split."""
    return _benchmark(
        "formal/metamath-test",
        "test",
        TEST_VERSION,
        "100 held-out set.mm theorems (sha256 label split 'test'), proved backwards in "
        "Metamath-v0; certificate = Metamath proof re-checked by mathgym's kernel. Budget: "
        "proof states expanded (search) or env steps.",
        (),
    )


def metamath_quick() -> Benchmark:
    """The first 10 ``formal/metamath-easy`` theorems (demo, tests); tag ``quick``."""
    bench = _benchmark(
        "formal/metamath-quick",
        "easy",
        QUICK_VERSION,
        "The first 10 formal/metamath-easy theorems (demo). Budget: proof states expanded "
        "(search) or env steps.",
        ("quick",),
    )
    return Benchmark(
        id=bench.id, version=bench.version, description=bench.description,
        instances=bench.instances[:10], budget_unit=bench.budget_unit, default_budget=100,
        env_id=bench.env_id, env_kwargs=bench.env_kwargs, verify=bench.verify,
        strata=bench.strata, tags=bench.tags, min_cost=bench.min_cost,
    )


BENCHMARKS = {
    "formal/metamath-quick": metamath_quick,
    "formal/metamath-easy": metamath_easy,
    "formal/metamath-test": metamath_test,
}


def write_instance_file(database: str | None = None) -> str:
    """Regenerate ``benchmark_instances.json`` from the database (atomic write)."""
    from mathgym.envs.metamath.library import load_library

    lib = load_library(database or database_path())
    out: dict = {"database": "set.mm (Debian metamath-databases)"}
    for key in ("easy", "test"):
        rows = []
        for label in lib.split(key)[:SAMPLE_SIZE]:
            thm = lib.db.labels[label]
            rows.append(
                {
                    "theorem": label,
                    "statement": lib.db.format(thm.expr),
                    "proof_steps": lib.proof_steps[label],
                }
            )
        out[key] = rows
    tmp = INSTANCE_FILE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, INSTANCE_FILE)
    return INSTANCE_FILE


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write"]:
        print(write_instance_file())
    else:
        print("usage: python -m mathgym.envs.metamath.benchmarks --write")

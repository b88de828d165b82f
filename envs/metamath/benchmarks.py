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
database at ``$MATHGYM_METAMATH_DB`` (default Debian's set.mm), ``$d`` included.
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
EASY_VERSION = 1
TEST_VERSION = 1
QUICK_VERSION = 1
DEFAULT_BUDGET = 300


def database_path() -> str:
    """The database certificates are checked against (``$MATHGYM_METAMATH_DB`` or set.mm)."""
    from mathgym.verifiers.metamath.database import DEFAULT_DATABASE

    return os.environ.get("MATHGYM_METAMATH_DB") or DEFAULT_DATABASE


def verify_certificate(instance: Instance, certificate: Any) -> Verdict:
    """Check the certificate proves the instance's theorem, with our kernel.

    ``{"proof": "..."}`` is checked directly. A list of env actions (what env-acting agents
    such as ``random`` record) is first replayed in Metamath-v0 only to *assemble* the proof
    text, which is then checked by the kernel exactly like a submitted proof.
    """
    from mathgym.verifiers.metamath.certificate import verify_theorem_proof

    if isinstance(certificate, list):
        proof = _proof_from_actions(instance, certificate)
        if proof is None:
            return Verdict(False, "the action list does not finish the proof in Metamath-v0")
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


def _proof_from_actions(instance: Instance, actions: list) -> str | None:
    from mathgym.envs.metamath.env import MetamathEnv

    if not all(isinstance(a, (int, str)) and not isinstance(a, bool) for a in actions):
        return None
    env = MetamathEnv(theorem=instance.data["theorem"], database=database_path(),
                      max_steps=max(1, len(actions)))
    env.reset(seed=0)
    for action in actions:
        _, _, terminated, truncated, info = env.step(action)
        if terminated:
            return info.get("proof")
        if truncated:
            return None
    return None


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
        strata=bench.strata, tags=bench.tags,
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

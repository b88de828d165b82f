"""Sealed splits: benchmarks whose problems come from a secret the agent cannot read.

Every open benchmark of a generated family is regenerable from public seeds, so an agent can
rebuild its instance list and look questions up. A sealed split of the same family draws its
problems from a seed derived from a secret::

    seed = int(HMAC-SHA256(secret, "mathgym.sealed|" + benchmark_id)[:8]) >> 1

The secret is a file outside the repository (at least :data:`MIN_SECRET_BYTES` bytes, mode
0600) that only the harness reads (``mathgym eval --sealed-secret FILE``); agents run in spawned
worker processes that receive only views (:mod:`mathgym.harness.views`), never the secret or the
seed, and act in envs served by the harness (:mod:`mathgym.harness.remote_env`). Results name
the sealed benchmark (its own id, e.g. ``reasoning/mathqa-l3-sealed``) and carry
``benchmark.sealed.secret_sha256``, a commitment to the secret that lets whoever holds it check
and re-verify the run (:func:`sealed_benchmark`, :func:`secret_matches`) and tells nobody else
anything.

Families declare sealed splits in their benchmarks module as
``SEALED_BENCHMARKS: dict[str, Callable[[int], Benchmark]]`` (sealed id -> factory of the seed).
Only mathgym's own benchmark modules are consulted, never ``MATHGYM_EXTRA_MODULES`` plug-ins.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Callable
from pathlib import Path

from mathgym.harness.benchmark import Benchmark, parse_benchmark_spec

#: Shortest secret accepted (128 bits): the commitment is a plain SHA-256 of it.
MIN_SECRET_BYTES = 16
#: Longest secret file read.
MAX_SECRET_BYTES = 4096
#: Suffix of every sealed benchmark id.
SEALED_SUFFIX = "-sealed"


class SealedError(ValueError):
    """A secret file or a sealed benchmark that cannot be used, with what to do about it."""


def sealed_seed(secret: bytes, benchmark_id: str) -> int:
    """The problem seed of sealed benchmark ``benchmark_id``: a 63-bit int from HMAC-SHA256."""
    mac = hmac.new(bytes(secret), f"mathgym.sealed|{benchmark_id}".encode(), hashlib.sha256)
    return int.from_bytes(mac.digest()[:8], "big") >> 1


def secret_commitment(secret: bytes) -> str:
    """``sha256`` hex of the secret, stored in results as ``benchmark.sealed.secret_sha256``."""
    return hashlib.sha256(bytes(secret)).hexdigest()


def secret_matches(secret: bytes, commitment: str) -> bool:
    """Whether ``secret`` is the one ``commitment`` (a ``secret_sha256`` value) commits to."""
    return hmac.compare_digest(secret_commitment(secret), str(commitment))


def _repo_root() -> Path:
    import mathgym

    return Path(mathgym.__file__).resolve().parents[1]


def read_secret(path: str | os.PathLike[str]) -> bytes:
    """Read a secret file, refusing one agents could plausibly read or guess.

    Refused: a missing or non-regular file, one inside the mathgym repository (agents' code
    lives there), one readable or writable by group or others (``chmod 600 FILE``), one shorter
    than :data:`MIN_SECRET_BYTES` or longer than :data:`MAX_SECRET_BYTES` bytes.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError as err:
        raise SealedError(f"--sealed-secret {path}: {err.strerror or err}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SealedError(f"--sealed-secret {path}: not a regular file")
    if path.resolve().is_relative_to(_repo_root()):
        raise SealedError(f"--sealed-secret {path}: the secret must live outside the repository "
                          f"({_repo_root()}), where agent code cannot find it")
    if info.st_mode & 0o077:
        raise SealedError(f"--sealed-secret {path}: mode {stat.filemode(info.st_mode)} lets "
                          f"other users read it; run `chmod 600 {path}`")
    if not MIN_SECRET_BYTES <= info.st_size <= MAX_SECRET_BYTES:
        raise SealedError(
            f"--sealed-secret {path}: {info.st_size} bytes; a secret has "
            f"{MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes (make one with "
            f"`head -c 32 /dev/urandom > {path}; chmod 600 {path}`)"
        )
    try:
        return path.read_bytes()
    except OSError as err:
        raise SealedError(f"--sealed-secret {path}: {err.strerror or err}") from None


def sealed_factories() -> dict[str, Callable[[int], Benchmark]]:
    """Every sealed benchmark id -> its factory of the seed (mathgym's own modules only)."""
    from mathgym.harness.registry import BENCHMARK_MODULES, _import_optional

    found: dict[str, Callable[[int], Benchmark]] = {}
    for name in BENCHMARK_MODULES:
        module = _import_optional(name)
        found.update(getattr(module, "SEALED_BENCHMARKS", None) or {})
    return dict(sorted(found.items()))


def is_sealed_id(benchmark_id: str) -> bool:
    """Whether ``benchmark_id`` (with or without ``@version``) names a sealed split."""
    return parse_benchmark_spec(benchmark_id)[0] in sealed_factories()


def sealed_benchmark(benchmark_id: str, secret: bytes) -> Benchmark:
    """The sealed benchmark ``benchmark_id`` (``"reasoning/mathqa-l3-sealed"``, optionally
    ``@version``) drawn with ``secret``; what the harness evaluates and submit re-verifies.

    ``SealedError`` for an unknown sealed id, a version this mathgym does not provide, or a
    secret shorter than :data:`MIN_SECRET_BYTES`.
    """
    name, version = parse_benchmark_spec(benchmark_id)
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise SealedError(f"a sealed split needs a secret of at least {MIN_SECRET_BYTES} bytes")
    factories = sealed_factories()
    if name not in factories:
        known = ", ".join(factories) or "(none)"
        raise SealedError(f"unknown sealed benchmark {name!r}; sealed splits: {known}")
    bench = factories[name](sealed_seed(secret, name))
    if bench.id != name:
        raise SealedError(f"the sealed factory {name!r} built benchmark {bench.id!r}")
    if version is not None and version != bench.version:
        raise SealedError(f"unknown benchmark version {benchmark_id!r}: this mathgym provides "
                          f"{bench.full_id}")
    return bench

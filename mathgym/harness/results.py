"""The results file (``results.json``) and the attempt log (``attempts.jsonl``) of a run.

``results.json`` follows a versioned JSON schema (:data:`RESULTS_SCHEMA`, ``schema_version``
:data:`SCHEMA_VERSION`), validated with jsonschema on write and on read; a violation raises
:class:`ResultsError` listing each problem as ``at <json path>: <what is wrong>``. Files are
written atomically: a temporary file in the same folder, flushed, then renamed over the target.

``attempts.jsonl`` is the crash-safe log: a header line naming the run (benchmark + content
hash, agent + config, budget, seeds), then one line per finished attempt, appended and flushed
at once. :class:`AttemptLog` reopens it for ``--resume``: it checks the header matches, drops a
torn last line left by a kill (with a warning), and returns the finished (instance, seed) records.

The format is strict, because a leaderboard is built from these files:

- strict JSON only: ``NaN``, ``Infinity`` and ``-Infinity`` are refused on read and never
  written (``allow_nan=False``); every number anywhere in the document must be finite;
- budgets and costs are numbers (not bools, not strings), costs ``>= 0``, budgets ``> 0``;
- ``seeds`` are distinct integers; agent names match :data:`AGENT_NAME_PATTERN`;
- a file larger than :data:`MAX_RESULTS_BYTES` is refused before it is parsed.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_ID_PATTERN = "^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)+$"
RESULTS_KIND = "mathgym-results"

#: Agent names (registry keys and ``$.agent.name``): see :data:`AGENT_NAME_RULE`.
AGENT_NAME_PATTERN = "^[a-z0-9][a-z0-9_.-]{0,63}$"
#: :data:`AGENT_NAME_PATTERN` in words, for error messages.
AGENT_NAME_RULE = ("agent names are 1-64 characters of lower-case letters, digits, '_', '.' "
                   "and '-', starting with a letter or digit (e.g. 'ac-greedy')")
#: Largest results file :func:`read_results` reads (64 MiB); checked before parsing. A full
#: ms1190 run with 5 seeds and long certificates is a few MiB.
MAX_RESULTS_BYTES = 64 * 2**20

_RECORD = {
    "type": "object",
    "required": ["instance", "seed", "solved", "certificate", "cost"],
    "properties": {
        "instance": {"type": "string", "minLength": 1},
        "seed": {"type": "integer"},
        "solved": {"type": "boolean"},
        "certificate": {},
        "cost": {"type": "number", "minimum": 0},
        "claimed": {"type": "boolean"},
        "verdict": {"type": "string"},
        "wall_time": {"type": "number", "minimum": 0},
        "info": {"type": "object"},
        "error": {"type": ["string", "null"]},
    },
    "additionalProperties": False,
}

#: JSON schema of ``results.json`` (draft 2020-12).
RESULTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "mathgym results file",
    "type": "object",
    "required": [
        "kind", "schema_version", "benchmark", "env", "agent", "budget", "seeds",
        "instances", "results", "metrics", "environment", "run",
    ],
    "properties": {
        "kind": {"const": RESULTS_KIND},
        "schema_version": {"const": SCHEMA_VERSION},
        "benchmark": {
            "type": "object",
            "required": ["id", "version", "content_hash", "num_instances", "budget_unit"],
            "properties": {
                "id": {"type": "string", "pattern": _ID_PATTERN},
                "version": {"type": "integer", "minimum": 1},
                "content_hash": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                "num_instances": {"type": "integer", "minimum": 1},
                "budget_unit": {
                    "enum": ["env_steps", "search_nodes", "samples", "tokens", "seconds"]
                },
                "env_id": {"type": ["string", "null"]},
                "strata": {"type": "array", "items": {"type": "string"}},
                "sealed": {
                    "type": "object",
                    "required": ["secret_sha256"],
                    "properties": {"secret_sha256": {"type": "string",
                                                     "pattern": "^[0-9a-f]{64}$"}},
                    "additionalProperties": False,
                },
            },
        },
        "env": {
            "type": "object",
            "required": ["id", "kwargs"],
            "properties": {
                "id": {"type": ["string", "null"]},
                "kwargs": {"type": "object", "additionalProperties": {"type": "object"}},
            },
        },
        "agent": {
            "type": "object",
            "required": ["name", "version", "config"],
            "properties": {
                "name": {"type": "string", "pattern": AGENT_NAME_PATTERN},
                "version": {"type": "string"},
                "config": {"type": "object"},
                "oracle": {"type": "boolean"},
            },
        },
        "budget": {
            "type": "object",
            "required": ["unit", "amount"],
            "properties": {
                "unit": {"enum": ["env_steps", "search_nodes", "samples", "tokens", "seconds"]},
                "amount": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "seeds": {"type": "array", "items": {"type": "integer"}, "minItems": 1,
                  "uniqueItems": True},
        "instances": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "results": {"type": "array", "items": _RECORD},
        "metrics": {
            "type": "object",
            "required": ["solved", "solve_rate", "num_records", "per_stratum"],
        },
        "environment": {
            "type": "object",
            "required": ["mathgym_version", "python", "timestamp"],
        },
        "run": {"type": "object"},
    },
}


class ResultsError(ValueError):
    """A results file (or attempt log) that is malformed, with every problem spelled out."""


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_results(doc: Any, source: str = "results") -> None:
    """Raise :class:`ResultsError` listing every schema violation of ``doc`` (up to 20)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(RESULTS_SCHEMA)
    _check_finite(doc, source)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        _check_consistency(doc, source)
        return
    lines = [f"{source} does not follow the mathgym results schema v{SCHEMA_VERSION}:"]
    for err in errors[:20]:
        where = _json_path(err.absolute_path)
        hint = f" ({AGENT_NAME_RULE})" if where == "$.agent.name" else ""
        lines.append(f"  at {where}: {_short(err.message)}{hint}")
    if len(errors) > 20:
        lines.append(f"  ... and {len(errors) - 20} more")
    raise ResultsError("\n".join(lines))


def _non_finite(obj: Any, path: tuple = ()) -> list[tuple[tuple, float]]:
    """Every NaN or infinite float in ``obj`` with its JSON path (depth-first, in key order)."""
    if isinstance(obj, float):
        return [] if math.isfinite(obj) else [(path, obj)]
    if isinstance(obj, dict):
        return [hit for k, v in obj.items() for hit in _non_finite(v, (*path, k))]
    if isinstance(obj, list | tuple):
        return [hit for i, v in enumerate(obj) for hit in _non_finite(v, (*path, i))]
    return []


def _check_finite(doc: Any, source: str) -> None:
    """Refuse NaN and infinities anywhere: strict JSON has no such numbers, boards sum costs."""
    bad = _non_finite(doc)
    if bad:
        lines = [f"{source} holds numbers that are not finite (strict JSON has no NaN or "
                 "Infinity; costs, budgets and times must be finite numbers):"]
        lines += [f"  at {_json_path(p)}: {v!r}" for p, v in bad[:20]]
        raise ResultsError("\n".join(lines))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not strict JSON (numbers must be finite)")


def strict_loads(text: str, source: str) -> Any:
    """``json.loads`` refusing ``NaN``, ``Infinity`` and ``-Infinity`` (Python accepts them)."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as err:  # JSONDecodeError is a ValueError, and so is a refused constant
        message = f"{source}: not valid JSON (strict: no NaN, no Infinity): {err}"
        raise ResultsError(message) from None


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _check_consistency(doc: dict[str, Any], source: str) -> None:
    """Rules a JSON schema cannot state: records match seeds and instances, no duplicates."""
    problems = []
    if doc["budget"]["unit"] != doc["benchmark"]["budget_unit"]:
        problems.append(
            f"at $.budget.unit: {doc['budget']['unit']!r} differs from the benchmark's "
            f"budget unit {doc['benchmark']['budget_unit']!r}"
        )
    seeds = set(doc["seeds"])
    instances = set(doc["instances"])
    seen: set[tuple[str, int]] = set()
    for i, rec in enumerate(doc["results"]):
        key = (rec["instance"], rec["seed"])
        if key in seen:
            problems.append(
                f"at $.results[{i}]: duplicate record for instance {key[0]!r} seed {key[1]}"
            )
        seen.add(key)
        if rec["seed"] not in seeds:
            problems.append(f"at $.results[{i}].seed: {rec['seed']} is not in $.seeds")
        if rec["instance"] not in instances:
            problems.append(
                f"at $.results[{i}].instance: {rec['instance']!r} is not in $.instances"
            )
    if problems:
        head = f"{source} is inconsistent:"
        raise ResultsError("\n".join([head, *("  " + p for p in problems[:20])]))


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks (checkpoints, adapters, models)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically: temp file in the same folder, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results and boards are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dumps(doc: Any) -> str:
    """Pretty, key-sorted JSON text (stable diffs, identical bytes for identical data)."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_results(path: str | os.PathLike[str], doc: dict[str, Any]) -> None:
    """Validate ``doc`` and write it atomically to ``path``."""
    validate_results(doc, source=str(path))
    atomic_write_text(path, dumps(doc))


def canonical_submission_id(doc: dict[str, Any]) -> str:
    """12 hex digits identifying a run's outcome: benchmark, agent, budget, seeds and records.

    Timing, environment and run metadata are left out, so the same run submitted twice (or an
    identical re-run) gets the same id and the leaderboard refuses the duplicate.
    """
    import hashlib

    core = {
        "benchmark": [doc["benchmark"]["id"], doc["benchmark"]["version"],
                      doc["benchmark"]["content_hash"]],
        "agent": doc["agent"],
        "budget": doc["budget"],
        "seeds": doc["seeds"],
        "results": [[r["instance"], r["seed"], r["solved"], r["certificate"], r["cost"]]
                    for r in doc["results"]],
    }
    text = json.dumps(core, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def read_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a results file; :class:`ResultsError` says what is wrong and where."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_RESULTS_BYTES:
                raise ResultsError(
                    f"{path}: {size} bytes is more than a results file may hold "
                    f"({MAX_RESULTS_BYTES} bytes, MAX_RESULTS_BYTES); a real run is far smaller, "
                    "so this is not one (split huge runs by --instances)"
                )
            raw = fh.read(MAX_RESULTS_BYTES + 1)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such results file (run `mathgym eval --out DIR`)") from None
    except OSError as err:
        raise ResultsError(f"{path}: cannot read it: {err.strerror or err}") from None
    if len(raw) > MAX_RESULTS_BYTES:  # grew while we looked
        raise ResultsError(f"{path}: more than {MAX_RESULTS_BYTES} bytes (MAX_RESULTS_BYTES)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ResultsError(f"{path}: not UTF-8 text: {err}") from None
    doc = strict_loads(text, str(path))
    validate_results(doc, source=str(path))
    return doc


def _line(obj: dict[str, Any]) -> str:
    """One strict-JSON log line (``allow_nan=False``: a NaN is a bug, never data)."""
    return json.dumps(obj, sort_keys=True, allow_nan=False) + "\n"


def _parses(line: bytes) -> bool:
    try:
        json.loads(line, parse_constant=_refuse_constant)
    except ValueError:
        return False
    return True


def _strict_line(line: bytes, where: str) -> dict[str, Any]:
    try:
        obj = json.loads(line, parse_constant=_refuse_constant)
    except ValueError as err:
        raise ResultsError(
            f"{where}: not strict JSON ({err}); the log is corrupt in the middle, which a kill "
            "cannot cause: inspect it, or start afresh in another --out"
        ) from None
    if not isinstance(obj, dict):
        raise ResultsError(f"{where}: a log line must be a JSON object, got {type(obj).__name__}")
    return obj


class AttemptLog:
    """Append-only JSONL log of finished attempts, the source of truth for ``--resume``."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any], resume: bool):
        self.path = Path(path)
        self.header = header
        self.records: dict[tuple[str, int], dict[str, Any]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            self._load()
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        else:
            if self.path.exists() and not resume:
                raise ResultsError(
                    f"{self.path} already exists; pass --resume to continue that run or choose "
                    "another --out"
                )
            self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
            self._write_line({"type": "header", **header})

    def _load(self) -> None:
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        tail = lines.pop()  # bytes after the last newline: empty, or a line torn by a kill
        if tail:
            self._drop_torn(len(raw) - len(tail), len(lines) + 1, "it has no end of line")
        if lines and lines[-1] and len(lines) > 1 and not _parses(lines[-1]):
            # a kill can also tear a line before its newline reaches the disk
            self._drop_torn(len(raw) - len(tail) - len(lines[-1]) - 1, len(lines),
                            "it is not JSON")
            lines.pop()
        if not lines:
            with open(self.path, "w", encoding="utf-8") as fh:
                fh.write(_line({"type": "header", **self.header}))
            return
        first = _strict_line(lines[0], f"{self.path}:1: header")
        stored = {k: v for k, v in first.items() if k != "type"}
        if first.get("type") != "header" or stored != json.loads(json.dumps(self.header)):
            diff = sorted(
                k for k in set(stored) | set(self.header)
                if stored.get(k) != json.loads(json.dumps(self.header.get(k)))
            )
            raise ResultsError(
                f"{self.path}: --resume with different settings than the logged run "
                f"(differs in: {', '.join(diff) or 'header type'}); use the original "
                "benchmark/agent/config/budget/seeds or another --out"
            )
        for lineno, line in enumerate(lines[1:], start=2):
            rec = _strict_line(line, f"{self.path}:{lineno}")
            if rec.get("type") != "record":
                continue
            rec = {k: v for k, v in rec.items() if k != "type"}
            self.records.setdefault((rec["instance"], int(rec["seed"])), rec)

    def _drop_torn(self, offset: int, lineno: int, why: str) -> None:
        """Truncate the log at ``offset`` (the start of a torn last line) and say so."""
        with open(self.path, "r+b") as fh:
            fh.truncate(offset)
        print(f"warning: {self.path}:{lineno}: dropped a torn last line ({why}; left by a "
              "kill mid-write); that attempt is run again", file=sys.stderr)

    def _write_line(self, obj: dict[str, Any]) -> None:
        self._fh.write(_line(obj))
        self._fh.flush()

    def append(self, record: dict[str, Any]) -> None:
        """Log one finished attempt (flushed immediately); a repeated key is not written again."""
        key = (record["instance"], int(record["seed"]))
        if key in self.records:
            return
        self.records[key] = record
        self._write_line({"type": "record", **record})

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> AttemptLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

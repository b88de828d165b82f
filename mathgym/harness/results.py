"""The results file (``results.json``) and the attempt log (``attempts.jsonl``) of a run.

``results.json`` follows a versioned JSON schema (:data:`RESULTS_SCHEMA`, ``schema_version``
:data:`SCHEMA_VERSION`), validated with jsonschema on write and on read; a violation raises
:class:`ResultsError` listing each problem as ``at <json path>: <what is wrong>``. Files are
written atomically: a temporary file in the same folder, flushed, then renamed over the target.

``attempts.jsonl`` is the crash-safe log: a header line naming the run (benchmark + content
hash, agent + config, budget, seeds), then one line per finished attempt, appended and flushed
at once. :class:`AttemptLog` reopens it for ``--resume``: it checks the header matches, drops a
torn last line left by a kill, and returns the finished (instance, seed) records.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_ID_PATTERN = "^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)+$"
RESULTS_KIND = "mathgym-results"

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
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string"},
                "config": {"type": "object"},
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
        "seeds": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
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
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        _check_consistency(doc, source)
        return
    lines = [f"{source} does not follow the mathgym results schema v{SCHEMA_VERSION}:"]
    for err in errors[:20]:
        lines.append(f"  at {_json_path(err.absolute_path)}: {_short(err.message)}")
    if len(errors) > 20:
        lines.append(f"  ... and {len(errors) - 20} more")
    raise ResultsError("\n".join(lines))


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
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such results file (run `mathgym eval --out DIR`)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultsError(f"{path}: not valid JSON: {err}") from None
    validate_results(doc, source=str(path))
    return doc


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
        end = raw.rfind(b"\n") + 1
        if end < len(raw):  # torn last line from a kill: drop it so appends stay line-aligned
            with open(self.path, "r+b") as fh:
                fh.truncate(end)
            raw = raw[:end]
        lines = raw.decode("utf-8").splitlines()
        if not lines:
            with open(self.path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"type": "header", **self.header}, sort_keys=True) + "\n")
            return
        try:
            first = json.loads(lines[0])
        except json.JSONDecodeError as err:
            raise ResultsError(f"{self.path}:1: header is not JSON: {err}") from None
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
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                raise ResultsError(f"{self.path}:{lineno}: not JSON: {err}") from None
            if rec.get("type") != "record":
                continue
            rec = {k: v for k, v in rec.items() if k != "type"}
            self.records.setdefault((rec["instance"], int(rec["seed"])), rec)

    def _write_line(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, sort_keys=True) + "\n")
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

"""What machine and software produced a result: recorded in every results file.

Reading the CPU model, the git commit or the GPU list must never fail a run: each probe has a
timeout and falls back to ``None``.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

#: Distributions whose versions are recorded when installed.
KEY_PACKAGES: tuple[str, ...] = (
    "gymnasium", "numpy", "numba", "sympy", "ray", "jsonschema", "torch",
    "stable-baselines3", "transformers",
)


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a ``Z`` suffix, second precision."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _run(cmd: list[str], cwd: Path | None = None, timeout: float = 5.0) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        out = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit() -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}`` of the mathgym source tree."""
    root = Path(__file__).resolve().parents[2]
    sha = _run(["git", "rev-parse", "HEAD"], cwd=root)
    if sha is None:
        return {"commit": None, "dirty": None}
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root)
    return {"commit": sha, "dirty": bool(status) if status is not None else None}


def cpu_model() -> str | None:
    """CPU model name from /proc/cpuinfo (Linux) or :func:`platform.processor`."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def gpu_models() -> list[str]:
    """GPU names reported by ``nvidia-smi`` (empty when there is none)."""
    out = _run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"])
    return [line.strip() for line in out.splitlines() if line.strip()] if out else []


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`KEY_PACKAGES` (absent ones are left out)."""
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def capture_environment() -> dict[str, Any]:
    """Everything recorded under ``environment`` in a results file, except the wall time."""
    import mathgym

    return {
        "mathgym_version": mathgym.__version__,
        "git": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpus": gpu_models(),
        "timestamp": utc_now(),
    }

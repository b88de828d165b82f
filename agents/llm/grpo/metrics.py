"""Per-step stability metrics of the GRPO trainer: one CSV row and TensorBoard scalars a step,
and a matplotlib PNG of the signals that matter (issue 12's list).

The CSV (``OUT/metrics.csv``) has a fixed header (:data:`METRIC_KEYS`), so runs compare
column by column. A resumed run first rewrites it atomically without the rows past the
checkpoint's step, so after a kill -9 and ``--resume`` the file equals an uninterrupted run's.
TensorBoard events go to ``OUT/logs/session-K`` (K counts the resumes), like ``mathgym train``'s
SB3 learners.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Columns of metrics.csv, in order.
METRIC_KEYS: tuple[str, ...] = (
    "step", "samples", "rollbacks", "loss", "reward/mean", "reward/std", "reward_task/mean",
    "frac_zero_std", "entropy", "kl", "approx_kl", "clip_frac/low", "clip_frac/high",
    "clip_frac/region", "grad_norm", "completion/mean_length", "completion/truncated_frac",
    "logp_gap", "is_weight/mean", "groups/sampled", "groups/kept", "sampling_rounds",
    "time/sample", "time/train", "time/step", "time/cpu",
)
#: The panels of the plot: (title, CSV column).
PLOT_PANELS: tuple[tuple[str, str], ...] = (
    ("reward mean", "reward/mean"), ("reward std", "reward/std"),
    ("zero-variance groups", "frac_zero_std"), ("token entropy", "entropy"),
    ("KL to reference", "kl"), ("clip fraction low", "clip_frac/low"),
    ("clip fraction high", "clip_frac/high"), ("grad norm", "grad_norm"),
    ("completion length", "completion/mean_length"),
    ("|sampler - trainer| logprob", "logp_gap"),
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class MetricsLog:
    """Appends one row per step to ``metrics.csv`` and TensorBoard (see the module doc)."""

    def __init__(self, out_dir: str | os.PathLike[str], session: int = 0, *,
                 keep_until_step: int | None = None, tensorboard: bool = True) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.out / "metrics.csv"
        rows = read_metrics(self.csv_path) if self.csv_path.exists() else []
        if keep_until_step is not None:
            rows = [r for r in rows if r["step"] is not None and r["step"] <= keep_until_step]
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(METRIC_KEYS)
        for r in rows:
            writer.writerow([_cell(r.get(k)) for k in METRIC_KEYS])
        _atomic_write(self.csv_path, buf.getvalue())
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.out / "logs" / f"session-{session}"))

    def log(self, stats: dict[str, Any]) -> None:
        """One step's row (missing keys are empty cells)."""
        with open(self.csv_path, "a", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerow([_cell(stats.get(k)) for k in METRIC_KEYS])
            fh.flush()
        if self.writer is not None:
            step = int(stats["step"])
            for key in METRIC_KEYS[1:]:
                value = stats.get(key)
                if isinstance(value, int | float) and math.isfinite(float(value)):
                    self.writer.add_scalar(key, float(value), step)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, float | None]]:
    """Rows of a metrics.csv as dicts of floats (``step``, ``samples`` as ints; empty -> None)."""
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            parsed: dict[str, Any] = {}
            for key, text in row.items():
                if text in ("", None):
                    parsed[key] = None
                elif key in ("step", "samples", "rollbacks"):
                    parsed[key] = int(float(text))
                else:
                    parsed[key] = float(text)
            out.append(parsed)
    return out


def plot_metrics(csv_path: str | os.PathLike[str], png_path: str | os.PathLike[str],
                 panels: Sequence[tuple[str, str]] = PLOT_PANELS, title: str = "") -> Path:
    """A grid of the stability signals against the step, written atomically as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(csv_path)
    cols = 5
    nrows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.6 * nrows), squeeze=False)
    for ax, (name, key) in zip(axes.flat, panels, strict=False):
        pts = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=1.2)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    png = Path(png_path)
    tmp = png.with_name(f".{png.name}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, png)
    return png

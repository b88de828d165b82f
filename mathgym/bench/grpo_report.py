"""``python -m mathgym.bench.grpo_report``: before/after pass@1 of the GRPO run, with CIs, and its
curves as a PNG.

Reads two ``mathgym eval`` output folders (``--before``, ``--after``: the same benchmark, agent
and budget, the model being the only difference) and, optionally, the run's ``metrics.csv``:

- pass@1 of each with a Wilson 95% interval;
- the paired difference (after - before) over the same instances: a seeded percentile
  bootstrap over instances (``--resamples``, default 10,000) and the exact two-sided McNemar
  test on the discordant pairs (instances solved by exactly one of the two);
- ``--plot PNG``: reward mean per step (and its moving mean), completion length, entropy.

Prints one JSON document. Nothing here evaluates model text: it reads the records' ``solved``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from pathlib import Path


def solved_by_instance(folder: str | Path) -> dict[str, bool]:
    """``{instance: solved}`` of an eval folder's ``attempts.jsonl`` (seed 0 records only)."""
    path = Path(folder) / "attempts.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: pass the --out folder of `mathgym eval`")
    out: dict[str, bool] = {}
    header = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("type") == "header":
                header = row
            elif row.get("type") == "record" and row.get("seed", 0) == 0:
                if row.get("error"):
                    raise ValueError(f"{path}: instance {row['instance']} is an error record "
                                     f"({row['error']}); re-run it before comparing")
                out[row["instance"]] = bool(row["solved"])
    if header is None:
        raise ValueError(f"{path} has no header line; is it a mathgym eval output?")
    return out


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of k successes in n trials."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: b, c discordant counts, binomial(b + c, 1/2)."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired_bootstrap(before: list[bool], after: list[bool], resamples: int,
                     seed: int = 0) -> tuple[float, float]:
    """Percentile 95% interval of mean(after) - mean(before), instances resampled in pairs."""
    rng = random.Random(seed)
    n = len(before)
    diffs = [int(a) - int(b) for a, b in zip(after, before, strict=True)]
    stats = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n
                   for _ in range(resamples))
    return (stats[int(0.025 * resamples)], stats[min(resamples - 1, int(0.975 * resamples))])


def compare(before_dir: str | Path, after_dir: str | Path, resamples: int = 10_000) -> dict:
    """The before/after numbers (see the module doc)."""
    before, after = solved_by_instance(before_dir), solved_by_instance(after_dir)
    if set(before) != set(after):
        only = sorted(set(before) ^ set(after))[:5]
        raise ValueError(f"the two runs cover different instances (e.g. {only}); evaluate "
                         "both on the whole benchmark")
    ids = sorted(before)
    b = [before[i] for i in ids]
    a = [after[i] for i in ids]
    n = len(ids)
    gained = sum(1 for x, y in zip(b, a, strict=True) if y and not x)
    lost = sum(1 for x, y in zip(b, a, strict=True) if x and not y)
    lo, hi = paired_bootstrap(b, a, resamples)
    return {
        "instances": n,
        "before": {"solved": sum(b), "pass@1": round(sum(b) / n, 4),
                   "wilson95": [round(x, 4) for x in wilson(sum(b), n)]},
        "after": {"solved": sum(a), "pass@1": round(sum(a) / n, 4),
                  "wilson95": [round(x, 4) for x in wilson(sum(a), n)]},
        "difference": {"pass@1": round((sum(a) - sum(b)) / n, 4),
                       "bootstrap95": [round(lo, 4), round(hi, 4)], "resamples": resamples,
                       "gained": gained, "lost": lost,
                       "mcnemar_exact_p": round(mcnemar_exact(gained, lost), 4),
                       "excludes_zero": lo > 0 or hi < 0},
        "gained_instances": [i for i, x, y in zip(ids, b, a, strict=True) if y and not x],
        "lost_instances": [i for i, x, y in zip(ids, b, a, strict=True) if x and not y],
    }


def curves(csv_path: str | Path) -> dict[str, list[float]]:
    """Columns of the trainer's metrics.csv as floats (empty cells dropped per column)."""
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, list[float]] = {}
    for key in ("step", "reward/mean", "frac_zero_std", "completion/mean_length", "entropy",
                "completion/truncated_frac", "time/step"):
        out[key] = [float(r[key]) for r in rows if r.get(key) not in (None, "")]
    return out


def plot(csv_path: str | Path, png: str | Path, title: str) -> dict:
    """A small 3-panel PNG of the run's curves; returns a summary of the curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = curves(csv_path)
    steps, reward = c["step"], c["reward/mean"]
    window = 5
    moving = [sum(reward[max(0, i - window + 1):i + 1]) / len(reward[max(0, i - window + 1):i + 1])
              for i in range(len(reward))]
    fig, axes = plt.subplots(1, 3, figsize=(10, 2.8), dpi=80)
    axes[0].plot(steps, reward, ".", color="tab:blue", label="reward mean")
    axes[0].plot(steps, moving, "-", color="tab:orange", label=f"moving mean ({window})")
    axes[0].set_title("reward (verifier, 0/1)")
    axes[0].legend(fontsize=7)
    axes[1].plot(steps, c["completion/mean_length"], "-", color="tab:green")
    axes[1].set_title("completion length (tokens)")
    axes[2].plot(steps[: len(c["entropy"])], c["entropy"], "-", color="tab:red")
    axes[2].set_title("token entropy (nats)")
    for ax in axes:
        ax.set_xlabel("optimiser step")
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)
    n = len(reward)
    half = max(1, n // 2)
    return {"steps": n, "reward_first_half": round(sum(reward[:half]) / half, 4),
            "reward_second_half": round(sum(reward[half:]) / max(1, n - half), 4),
            "reward_first": reward[0] if reward else None,
            "reward_last5": round(sum(reward[-5:]) / max(1, len(reward[-5:])), 4),
            "length_first": c["completion/mean_length"][:1],
            "length_last": c["completion/mean_length"][-1:],
            "png_bytes": Path(png).stat().st_size}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mathgym.bench.grpo_report")
    p.add_argument("--before", required=True, help="mathgym eval --out of the base model")
    p.add_argument("--after", required=True, help="mathgym eval --out of the trained model")
    p.add_argument("--metrics", help="the run's metrics.csv (for --plot and the curve summary)")
    p.add_argument("--plot", help="write the curves here (PNG)")
    p.add_argument("--title", default="GRPO run")
    p.add_argument("--resamples", type=int, default=10_000)
    args = p.parse_args(argv)
    report = compare(args.before, args.after, args.resamples)
    if args.metrics and args.plot:
        report["curves"] = plot(args.metrics, args.plot, args.title)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

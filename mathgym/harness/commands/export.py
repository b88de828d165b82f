"""``mathgym export``: write a benchmark as a Hugging Face ``datasets.Dataset``.

Example::

    mathgym export --benchmark reasoning/mathqa-l1 --out data/mathqa-l1            # save_to_disk
    mathgym export --benchmark ac/ms1190 --out data/ms1190 --parquet                # data.parquet

Read it back with ``datasets.load_from_disk(DIR)`` (or ``datasets.load_dataset("parquet",
data_files="DIR/data.parquet")``). One row per instance; the columns and the verifier hook are
described in :mod:`mathgym.harness.export` and docs/reasoning.md. Errors (an unknown or
non-exportable benchmark, an --out that exists) print one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import sys

from mathgym.harness.commands import os_error_line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--benchmark", required=True,
                        help="e.g. reasoning/mathqa-l1, ac/ms1190, formal/metamath-easy")
    parser.add_argument("--out", required=True,
                        help="folder to create (must not exist, or be empty)")
    parser.add_argument("--parquet", action="store_true",
                        help="write OUT/data.parquet instead of datasets' save_to_disk layout")


def run(args: argparse.Namespace) -> int:
    from datasets import disable_progress_bars

    from mathgym.harness import export

    disable_progress_bars()  # one summary line below instead of datasets' bars
    try:
        dataset = export.to_dataset(args.benchmark)
        out = export.save(dataset, args.out, parquet=args.parquet)
    except (ValueError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(os_error_line(err), file=sys.stderr)
        return 2
    where = out / export.PARQUET_NAME if args.parquet else out
    how = "Parquet" if args.parquet else "datasets.save_to_disk"
    row = dataset[0]
    print(f"exported {dataset.num_rows} rows of {row['benchmark']} to {where} ({how}); "
          f"verifier hook {row['verifier']}")
    return 0

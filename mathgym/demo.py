"""``mathgym demo`` (what ``make demo`` runs): the main job on the embedded defaults."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="where results are written")


def run(args: argparse.Namespace) -> int:
    print("mathgym demo: nothing to run yet")
    return 0

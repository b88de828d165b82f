"""``python -m mathgym.agents.search.external``: one external-memory BFS from the command line.

Example (AK(3) at cap 13, 2 GB of working arrays)::

    python -m mathgym.agents.search.external --presentation AK3 --cap 13 \\
        --workdir runs/ak3-ext-cap13 --max-ram 2GB

Kill it at any time (kill -9 included) and rerun with ``--resume``: finished levels are kept,
the interrupted one is redone. Progress lines go to stderr; the summary is printed as JSON and
written atomically to ``<workdir>/result.json``. Exit code 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_ram(text: str) -> int:
    """``"2GB"``, ``"512MiB"``, ``"1000000"`` -> bytes; ValueError naming the accepted forms."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"--max-ram {text!r} is not a size; write e.g. 2GB, 512MB, 4GiB or a "
                         f"number of bytes")
    return int(float(match.group(1)) * _UNITS[unit])


def parse_presentation(text: str) -> str:
    """``AK3`` / ``AK(3)`` -> AK(3)'s relators as text; anything else is passed through."""
    match = re.fullmatch(r"\s*AK\(?(\d+)\)?\s*", text, flags=re.IGNORECASE)
    if match:
        from mathgym.envs.ac.datasets import akbulut_kirby

        return str(akbulut_kirby(int(match.group(1))))
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mathgym.agents.search.external",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--presentation", required=True,
                        help='AK3 / AK(n), or relators, e.g. "x^3 y^-4, x y x y^-1 x^-1 y^-1"')
    parser.add_argument("--cap", type=int, required=True, help="max relator length (1..19)")
    parser.add_argument("--workdir", type=Path, required=True,
                        help="directory for level files and the manifest (empty or a run)")
    parser.add_argument("--max-ram", default="2GB",
                        help="bytes for the working arrays (default 2GB; min 1MB)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --workdir")
    parser.add_argument("--no-symmetry", action="store_true",
                        help="search presentations, not orbits under the 16 relabelings")
    args = parser.parse_args(argv)

    from mathgym.agents.search.external.bfs import Config, log_progress, run_search, summary

    from mathgym.harness.results import atomic_write_text

    try:
        cfg = Config(parse_presentation(args.presentation), args.cap, args.workdir,
                     parse_ram(args.max_ram), not args.no_symmetry)
        manifest = run_search(cfg, resume=args.resume, progress=log_progress)
    except ValueError as err:
        print(f"external BFS: {err}", file=sys.stderr)
        return 2
    record = summary(manifest)
    atomic_write_text(args.workdir / "result.json", json.dumps(record, indent=1) + "\n")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())

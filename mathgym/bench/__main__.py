"""``python -m mathgym.bench SUITE [args]``: run one suite (or ``all``) and print JSON."""

from __future__ import annotations

import importlib
import json
import sys

from mathgym.bench import SUITES


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(f"usage: python -m mathgym.bench {{{','.join(SUITES)},all}} [suite args]")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    names = SUITES if name == "all" else (name,)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"unknown suite {unknown[0]!r}; choose one of {', '.join(SUITES)} or all",
              file=sys.stderr)
        return 2
    report = {}
    for suite in names:
        module = importlib.import_module(f"mathgym.bench.{suite.replace('-', '_')}")
        report[suite] = module.main(rest)
    print(json.dumps(report if name == "all" else report[name], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``python -m mathgym`` = the ``mathgym`` command (useful where the script is not on PATH)."""

from mathgym.cli import main

raise SystemExit(main())

"""Problem generators, one file per category (algebra, arithmetic, calculus, ...)."""

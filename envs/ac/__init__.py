"""Andrews–Curtis environment family (AC-Solver semantics, numba kernels)."""

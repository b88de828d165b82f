"""Resource limits of the math verifier: every answer is refused *before* it can get expensive.

The grammar (``grammar.py``) checks these while it builds sympy objects, so an answer such as
``10^10^10`` or ``9^9^9^9`` is rejected from the size of its operands without computing
anything. The hard per-check timeout of the worker pool (``pool.py``) is the second line of
defence for whatever a limit does not foresee.
"""

from __future__ import annotations

#: Longest completion accepted by answer extraction (characters). Extraction is linear.
MAX_TEXT_CHARS = 1_000_000
#: Longest extracted answer the grammar will tokenize (characters).
MAX_ANSWER_CHARS = 2_000
#: Most tokens in one answer.
MAX_TOKENS = 1_000
#: Deepest nesting of brackets, unary signs, powers and function calls.
MAX_DEPTH = 48
#: Most digits in one number literal (integer part + fraction part).
MAX_LITERAL_DIGITS = 1_000
#: Largest |exponent| of a scientific literal such as ``1e-3``.
MAX_SCI_EXPONENT = 1_000
#: Largest size (bits of numerator or denominator) of any exact rational the grammar builds;
#: about 10,000 decimal digits. A power whose result would exceed it is refused unevaluated.
MAX_RATIONAL_BITS = 33_300
#: Largest |integer exponent| on a symbolic or irrational base (``x^200``, ``sqrt(2)^200``).
MAX_SYMBOLIC_EXPONENT = 200
#: Largest root index (``x^(1/q)``, ``\sqrt[q]{x}``).
MAX_ROOT_INDEX = 64
#: Largest base (bits) under a fractional exponent: sympy factors it to extract roots.
MAX_ROOT_BASE_BITS = 1_000
#: Largest numerator/denominator (bits) of a rational inside a transcendental function or a
#: non-rational exponent: keeps numerical evaluation at fixed precision cheap.
MAX_TRANSCENDENTAL_ARG_BITS = 64
#: Largest n in ``n!``: 3000! has 9,131 digits.
MAX_FACTORIAL = 3_000
#: Most elements in a list, set or solution.
MAX_ITEMS = 500
#: Most digits of a base-n numeral.
MAX_BASE_N_DIGITS = 2_000

#: Default hard timeout of one check in the worker pool (seconds).
DEFAULT_TIMEOUT = 3.0
#: Address-space limit of a worker process (bytes); allocation beyond it raises MemoryError.
WORKER_MEMORY_BYTES = 2 * 1024**3

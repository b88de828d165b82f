"""Pictures of AC states for ``render_mode="rgb_array"`` (pure numpy, no plotting library).

A state is drawn as ``k`` rows, one per relator, of ``max_relator_length`` square cells: cell
``(i, j)`` shows the ``j``-th letter of relator ``i``. Generator ``g`` (``x`` = 1, ``y`` = 2, ...)
has a saturated colour and its inverse a light shade of the same hue (matplotlib's ``tab20``
pairs: blue for ``x``, orange for ``y``, ...); an empty cell (padding) is light grey, and a
white line of ``GAP`` pixels separates the cells. The picture has the same size for every state
of an env, as video recorders expect.
"""

from __future__ import annotations

import numpy as np

#: Side of one letter's cell, in pixels (white separator included).
CELL = 12
#: White pixels between neighbouring cells (the last ``GAP`` rows and columns of each cell).
GAP = 1

# matplotlib's tab20: (saturated, light) pairs, one pair per generator.
_PAIRS = np.array([
    [(31, 119, 180), (174, 199, 232)],   # blue
    [(255, 127, 14), (255, 187, 120)],   # orange
    [(44, 160, 44), (152, 223, 138)],    # green
    [(214, 39, 40), (255, 152, 150)],    # red
    [(148, 103, 189), (197, 176, 213)],  # purple
    [(140, 86, 75), (196, 156, 148)],    # brown
    [(227, 119, 194), (247, 182, 210)],  # pink
    [(127, 127, 127), (199, 199, 199)],  # grey
    [(188, 189, 34), (219, 219, 141)],   # olive
    [(23, 190, 207), (158, 218, 229)],   # cyan
], dtype=np.uint8)
#: Colour of an empty (padding) cell.
EMPTY = np.array((235, 235, 235), dtype=np.uint8)
#: Colour of the separator lines.
SEPARATOR = np.array((255, 255, 255), dtype=np.uint8)


def letter_colour(letter: int) -> np.ndarray:
    """RGB (uint8) of a letter: ``g > 0`` generator ``g``, ``-g`` its inverse, 0 empty."""
    if letter == 0:
        return EMPTY.copy()
    pair = _PAIRS[(abs(int(letter)) - 1) % len(_PAIRS)]
    return pair[0 if letter > 0 else 1].copy()


def palette(k: int) -> np.ndarray:
    """``(2k + 1, 3)`` uint8 colours indexed by ``letter + k`` for letters ``-k..k``."""
    return np.stack([letter_colour(letter) for letter in range(-k, k + 1)])


def render_rgb(state: np.ndarray, k: int, cap: int, cell: int = CELL) -> np.ndarray:
    """The picture of one flat AC-Solver state: a uint8 ``(k*cell, cap*cell, 3)`` array."""
    if cell <= GAP:
        raise ValueError(f"cell must be more than GAP={GAP} pixels, got {cell}")
    letters = np.asarray(state).reshape(k, cap).astype(np.intp) + k  # (k, cap) palette indices
    image = palette(k)[letters]  # (k, cap, 3)
    image = np.repeat(np.repeat(image, cell, axis=0), cell, axis=1)  # (k*cell, cap*cell, 3)
    inside = np.arange(cell) < cell - GAP  # pixels of one cell that are not separator
    image[~np.tile(inside, k)] = SEPARATOR
    image[:, ~np.tile(inside, cap)] = SEPARATOR
    return image

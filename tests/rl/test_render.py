"""AC's rgb_array render: one cell per letter, a colour per generator, a shade per inverse."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from mathgym.agents.rl import SB3VecEnv
from mathgym.envs.ac.render import CELL, EMPTY, GAP, SEPARATOR, render_rgb

import mathgym  # noqa: F401  (registers the envs)

BLUE, LIGHT_BLUE = (31, 119, 180), (174, 199, 232)  # x, x^-1 (tab20)
ORANGE, LIGHT_ORANGE = (255, 127, 14), (255, 187, 120)  # y, y^-1


def _cell(image: np.ndarray, row: int, col: int) -> tuple[int, int, int]:
    """Colour at the centre of cell (row, col); asserts the cell is one flat colour."""
    block = image[row * CELL: (row + 1) * CELL - GAP, col * CELL: (col + 1) * CELL - GAP]
    assert (block == block[0, 0]).all()
    return tuple(int(c) for c in block[0, 0])


def test_known_presentation_has_the_expected_colours():
    env = gym.make("mathgym/AC-v0", presentation="x y x^-1, y^-1 x", max_relator_length=5,
                   render_mode="rgb_array")
    env.reset()
    image = env.render()
    assert image.dtype == np.uint8 and image.shape == (2 * CELL, 5 * CELL, 3)
    assert [_cell(image, 0, j) for j in range(5)] == [
        BLUE, ORANGE, LIGHT_BLUE, tuple(EMPTY), tuple(EMPTY)
    ]
    assert [_cell(image, 1, j) for j in range(3)] == [LIGHT_ORANGE, BLUE, tuple(EMPTY)]
    # separators: the last GAP rows and columns of every cell are white
    assert (image[CELL - GAP: CELL] == SEPARATOR).all()
    assert (image[:, 2 * CELL - GAP: 2 * CELL] == SEPARATOR).all()


def test_picture_follows_the_state_and_has_a_fixed_size():
    env = gym.make("mathgym/AC-MillerSchupp-v0", n_max=2, render_mode="rgb_array")
    env.reset(seed=0)
    shapes = set()
    for move in range(12):
        obs, *_ = env.step(move)
        image = env.render()
        shapes.add(image.shape)
        assert np.array_equal(image, render_rgb(obs, 2, 36))
        letters = obs.reshape(2, 36)
        assert sum(_cell(image, r, c) != tuple(EMPTY) for r in range(2) for c in range(36)) == (
            np.count_nonzero(letters)
        )
    assert shapes == {(2 * CELL, 36 * CELL, 3)}


def test_sb3_vec_env_images_match_the_single_env():
    venv = SB3VecEnv("mathgym/AC-v0", n_envs=2, presentation="x y, y", max_relator_length=6,
                     render_mode="rgb_array")
    assert venv.get_images() == [None, None]
    venv.reset()
    single = gym.make("mathgym/AC-v0", presentation="x y, y", max_relator_length=6,
                      render_mode="rgb_array")
    single.reset()
    images = venv.get_images()
    assert len(images) == 2 and all(np.array_equal(i, single.render()) for i in images)
    assert venv.render_mode == "rgb_array" and venv.render().ndim == 3


def test_bad_cell_size():
    with pytest.raises(ValueError, match="cell must be more than"):
        render_rgb(np.zeros(4, dtype=np.int8), 2, 2, cell=1)

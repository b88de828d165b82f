"""Presentation text with a malformed exponent is refused at the '^', saying what was expected.

Before issue 15, ``"x^2 y^"`` reported ``y`` as "not one of the 1 generators of a 1-relator
presentation" (the wrong culprit), and ``"x^ y"`` called ``^`` an unknown letter.
"""

from __future__ import annotations

import gymnasium as gym
import pytest
from mathgym.envs.ac.presentation import Presentation

import mathgym  # noqa: F401  (registers the env ids)


@pytest.mark.parametrize("text, position, found", [
    ("x^2 y^", 5, "the end of the relator"),
    ("x^2 y^, x y", 5, "the end of the relator"),
    ("x^ y, y", 1, "'y'"),
    ("x^-, y", 1, "'-'"),
    ("x^^2, y", 1, "'^'"),
    ("x y, y^(", 6, "the end of the relator"),
    ("<x, y | x^2 y^, x>", 13, "the end of the relator"),
])
def test_dangling_exponent_names_the_caret(text, position, found):
    with pytest.raises(ValueError) as info:
        Presentation.parse(text)
    msg = str(info.value)
    assert msg.startswith(f"'^' at position {position} ")
    assert text[position] == "^"
    assert "must be followed by an integer exponent" in msg
    assert msg.endswith(f"found {found}")
    assert "generator" not in msg


def test_caret_without_a_letter():
    with pytest.raises(ValueError, match=r"exponent '\^' at position 0 .* no letter before it"):
        Presentation.parse("^2 x, y")


def test_the_env_reports_the_same_error():
    with pytest.raises(ValueError, match=r"'\^' at position 5 .*found the end of the relator"):
        gym.make("mathgym/AC-v0", presentation="x^2 y^")


def test_good_exponents_still_parse():
    assert Presentation.parse("x^(-1) y^2, y^+3 x").relators == ((-1, 2, 2), (2, 2, 2, 1))
    assert str(Presentation.parse("x^2 y^-3, x y x y^-1 x^-1 y^-1")) == (
        "x^2 y^-3, x y x y^-1 x^-1 y^-1")
    # a real generator error is still reported as one
    with pytest.raises(ValueError, match="generator 'z' at position 4"):
        Presentation.parse("x^2 z, y")

"""Presentation parsing, text/array round-trips and clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mathgym.envs.ac.presentation import Presentation, as_presentation
from mathgym.envs.ac.words import free_reduce

AK2_ARRAY = [1, 1, -2, -2, -2, 0, 0, 1, 2, 1, -2, -1, -2, 0]


def test_parse_issue_example():
    p = Presentation.parse("x^3 y^-4, x y x y^-1 x^-1 y^-1")
    assert p.relators == ((1, 1, 1, -2, -2, -2, -2), (1, 2, 1, -2, -1, -2))
    assert p.num_generators == 2
    assert str(p) == "x^3 y^-4, x y x y^-1 x^-1 y^-1"
    assert p.total_length == 13


def test_parse_variants_agree():
    want = Presentation(((1, 1, -2, -2, -2), (1, 2, 1, -2, -1, -2)))
    for text in (
        "x^2 y^-3, x y x y^-1 x^-1 y^-1",
        "xx y^(-3); x*y*x*y^-1*x^-1*y^-1",
        "<x, y | x^2 y^-3, x y x y^-1 x^-1 y^-1>",
        "r0 = x^2 y^-3; r1 = x y x y^-1 x^-1 y^-1",
        "g1^2 g2^-3, g1 g2 g1 g2^-1 g1^-1 g2^-1",
    ):
        assert Presentation.parse(text) == want, text


def test_array_round_trip_ak2():
    p = Presentation.from_array(AK2_ARRAY)
    assert p.relators == ((1, 1, -2, -2, -2), (1, 2, 1, -2, -1, -2))
    assert p.to_array(7).tolist() == AK2_ARRAY
    assert p.to_array(7).dtype == np.int8
    assert Presentation.from_array(np.array(AK2_ARRAY).reshape(2, 7)) == p


def test_as_presentation_accepts_every_form():
    p = Presentation.from_array(AK2_ARRAY)
    assert as_presentation(str(p)) == p
    assert as_presentation(p) is p
    assert as_presentation(p.relators) == p
    assert as_presentation([list(r) for r in p.relators]) == p
    assert as_presentation(AK2_ARRAY) == p
    assert as_presentation(np.array(AK2_ARRAY, dtype=np.int8)) == p


def test_free_reduction_on_construction_and_hashable():
    p = Presentation(((1, 2, -2, 1), (2,)))
    assert p.relators == ((1, 1), (2,))
    assert hash(p) == hash(Presentation(((1, 1), (2,))))
    assert p.exponent_determinant == 2


def test_three_generators_and_more():
    p = Presentation.parse("x z^-1, y x, z y^2")
    assert p.num_generators == 3 and p.relators == ((1, -3), (2, 1), (3, 2, 2))
    assert Presentation.parse(str(p)) == p
    q = Presentation(((1,), (2,), (3,), (4, -1)))
    assert str(q) == "g1, g2, g3, g4 g1^-1"
    assert Presentation.parse(str(q)) == q


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x^2 q, y", "unknown letter 'q' at position 4 (relator 0)"),
        ("x, ", "at least 2 relators"),
        ("x, , y", "relator 1 (at position 2) is empty"),
        ("x z, y", "generator 'z' at position 2 (relator 0)"),
        ("x^0, y", "exponent 0 at position 0"),
        ("x y^-1 y x^-1, y", "relator 0 is empty"),
        ("x", "at least 2 relators"),
    ],
)
def test_parse_errors_name_problem_and_position(text, fragment):
    with pytest.raises(ValueError) as err:
        Presentation.parse(text)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("array", "kwargs", "fragment"),
    [
        ([1, 0, 2], {}, "not a positive multiple of num_relators=2"),
        ([1, 2, 0, 2, 0, 1], {}, "non-zero entry 1 at array position 5 after zero padding at 4"),
        ([1, 0, 0, 0, 2, 0], {"num_relators": 3}, "relator 1 (array positions 2..) is empty"),
        ([1, 3, 2, 0], {}, "letter 3 at array position 1"),
        ([[1, 2], [1]], {}, "ragged"),
        ([0, 0, 2, 0], {}, "relator 0 (array positions 0..) is empty"),
    ],
)
def test_from_array_errors(array, kwargs, fragment):
    with pytest.raises(ValueError) as err:
        Presentation.from_array(array, **kwargs)
    assert fragment in str(err.value)


def test_to_array_cap_error():
    p = Presentation.parse("x^3 y^-4, x y")
    with pytest.raises(ValueError, match=r"relator 0 has length 7 > max_relator_length=5"):
        p.to_array(5)


def test_as_presentation_rejects_junk():
    with pytest.raises(ValueError, match="cannot read a presentation"):
        as_presentation(3.5)
    with pytest.raises(ValueError, match="mixed sequence"):
        as_presentation([[1], 2])


letters = st.sampled_from([1, 2, -1, -2])
words = st.lists(letters, min_size=1, max_size=12)


@given(st.lists(words, min_size=2, max_size=2))
def test_text_and_array_round_trip(ws):
    try:
        p = Presentation(tuple(tuple(w) for w in ws))
    except ValueError:
        assert any(not free_reduce(w) for w in ws)  # only an empty reduced word is refused
        return
    assert Presentation.parse(str(p)) == p
    cap = p.max_length + 3
    arr = p.to_array(cap)
    assert Presentation.from_array(arr) == p
    assert as_presentation(arr.tolist()) == p

"""Answer extraction: last \\boxed{...} (brace-balanced) or <answer>...</answer>, else all."""

from __future__ import annotations

import pytest
from mathgym.verifiers.math import extract_answer
from mathgym.verifiers.math.extract import ExtractionError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", "42"),
        ("  42. ", "42"),
        ("$42$", "42"),
        ("$$\\frac{1}{2}$$", "\\frac{1}{2}"),
        ("\\[ x = 3 \\]", "x = 3"),
        ("first \\boxed{1} then \\boxed{2}", "2"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
        ("\\boxed {7}", "7"),
        ("\\boxed 7 apples", "7"),
        ("\\fbox{5}", "5"),
        ("<answer>5</answer>", "5"),
        ("<answer>4</answer> and later <answer>5</answer>", "5"),
        ("<answer>5", "5"),
        ("\\boxed{3} but finally <answer>5</answer>", "5"),
        ("<answer>\\boxed{6}</answer>", "6"),
        ("<answer>$x^2$.</answer>", "x^2"),
        ("\\boxed{}", ""),
        ("\\boxedfoo{1} 2", "\\boxedfoo{1} 2"),
    ],
)
def test_extract(text, expected):
    assert extract_answer(text) == expected


def test_unclosed_box_is_an_error_only_when_it_is_the_chosen_answer():
    with pytest.raises(ExtractionError, match="never closed"):
        extract_answer("\\boxed{1 + (2")
    assert extract_answer("\\boxed{1 then <answer>2</answer>") == "2"


def test_overlong_completion_is_refused():
    with pytest.raises(ExtractionError, match="limit"):
        extract_answer("1" * 1_000_001)

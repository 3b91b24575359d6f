"""Countdown: generated tasks are solvable, and the verifier applies the rules exactly."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rocks.reason.tasks import countdown, get_family
from rocks.reason.tasks.base import Task


def task(numbers: tuple[int, ...], target: int) -> Task:
    return Task("countdown", "p", "", 0, 1, {"numbers": numbers, "target": target})


def answer(text: str) -> str:
    return f"<think>t</think><answer>{text}</answer>"


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4])
def test_generated_reference_answers_verify(difficulty: int) -> None:
    family = get_family("countdown")
    for seed in range(30):
        t = family.generate(seed, difficulty)
        assert len(t.meta["numbers"]) == difficulty + 2
        assert family.verify(answer(t.answer), t).accuracy == 1.0, t


def test_generation_is_deterministic_and_varies_with_seed() -> None:
    family = get_family("countdown")
    assert family.generate(5, 2) == family.generate(5, 2)
    assert len({family.generate(s, 2).prompt for s in range(20)}) > 15


@pytest.mark.parametrize(
    "expression",
    ["3*7+25", "25 + 3 × 7", "(25+3*7)", "25+7*3 = 46", "((3)*(7))+25", "7·3+25"],
)
def test_correct_expressions(expression: str) -> None:
    assert countdown.verify(answer(expression), task((3, 7, 25), 46)).accuracy == 1.0


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("3*7+25+3-3", "too often"),  # 3 used three times
        ("21+25", "not given"),  # 21 is not a given number
        ("3*7+26", "not given"),
        ("3*7*25", "evaluates"),
        ("3*7+25 = 47", "after '='"),
        ("-3*7+25", "invalid"),  # no unary minus
        ("3**7", "invalid"),
        ("37+25", "not given"),  # no digit concatenation
        ("(3*7+25", "invalid"),
        ("25/(7-7)", "too often"),  # 7 given once
        ("eval('46')", "invalid"),
    ],
)
def test_wrong_expressions_say_why(expression: str, why: str) -> None:
    verdict = countdown.verify(answer(expression), task((3, 7, 25), 46))
    assert verdict.accuracy == 0.0
    assert why in verdict.note


def test_a_number_given_twice_may_be_used_twice() -> None:
    assert countdown.verify(answer("4+4"), task((4, 4, 1), 8)).accuracy == 1.0
    assert countdown.verify(answer("(4+4)*1"), task((4, 4, 1), 8)).accuracy == 1.0


def test_at_most_once_means_unused_numbers_are_fine() -> None:
    assert countdown.verify(answer("5*2"), task((5, 2, 9), 10)).accuracy == 1.0


def test_exact_rational_arithmetic() -> None:
    # 6/4 = 3/2 exactly; floats would also pass here, but 1/3*3 must be exactly 1.
    assert countdown.evaluate("6/4*2")[0] == 3
    assert countdown.evaluate("1/3*3")[0] == Fraction(1)
    assert countdown.verify(answer("1/3*3+9"), task((1, 3, 3, 9), 10)).accuracy == 1.0


def test_division_by_zero_is_invalid_not_an_error() -> None:
    verdict = countdown.verify(answer("5/(3-3)"), task((5, 3, 3), 1))
    assert verdict.accuracy == 0.0 and "division by zero" in verdict.note


def test_deep_nesting_is_rejected_without_recursion_error() -> None:
    deep = "(" * 5000 + "3" + ")" * 5000
    assert countdown.verify(answer(deep), task((3,), 3)).accuracy == 0.0
    assert countdown.verify(answer("(" * 40 + "3" + ")" * 40), task((3,), 3)).accuracy == 1.0


def test_missing_or_truncated_answer_scores_zero() -> None:
    t = task((3, 7, 25), 46)
    assert countdown.verify("3*7+25", t).accuracy == 0.0
    assert countdown.verify("<think>x</think><answer>3*7+25", t).accuracy == 0.0
    # a template that pre-filled "<answer>" leaves only the closing tag in the completion
    assert countdown.verify("3*7+25</answer>", t).accuracy == 1.0

"""Strict and lenient accuracy on hand-written responses: strict reads the ``<answer>`` tag,
lenient the final answer anywhere; format and language are separate numbers."""

from __future__ import annotations

import pytest

from rocks.reason.evaluate import SampleRow, summarise
from rocks.reason.rewards import RewardWeights, score
from rocks.reason.tasks import get_family
from rocks.reason.tasks.base import Task, last_number
from rocks.reason.tasks.countdown import last_expression

SUM = get_family("arithmetic").generate(900_000_000, 2)  # What is 86 + 46?  (132)
COUNTDOWN = Task("countdown", "Using the numbers 4 3 8, make 15.", "4+8+3", 0, 1,
                 {"numbers": (4, 3, 8), "target": 15, "expression": "4+8+3"})


@pytest.mark.parametrize("response, strict, lenient, fmt", [
    ("<think>6+6=12, 8+4+1=13</think><answer>132</answer>", 1, 1, 1),  # right, formatted
    ("<think>6+6=12</think> <answer>132</answer> extra", 1, 1, 0),     # right, badly formatted
    ("86 + 46 = 132", 0, 1, 0),                  # right but untagged: lenient only
    ("The sum is 132.", 0, 1, 0),
    ("So 86 + 46 = 1,32... no: 132!", 0, 1, 0),
    ("<think>86+46</think><answer>130</answer>", 0, 0, 1),  # formatted and wrong: format only
    ("The answer is 131", 0, 0, 0),
    ("132 is close, but the answer is 122", 0, 0, 0),      # lenient reads the FINAL number
    ("", 0, 0, 0),
])
def test_arithmetic_strict_lenient_and_format_are_separate(response, strict, lenient, fmt):
    b = score(response, SUM)
    assert (b.accuracy, b.lenient, b.format) == (strict, lenient, fmt)


@pytest.mark.parametrize("response, strict, lenient", [
    ("<think>4+8=12, 12+3=15</think><answer>4+8+3</answer>", 1, 1),
    ("We can do (4 + 8) + 3 = 15.", 0, 1),
    ("4*3+8 = 20. Try 8+4+3 = 15", 0, 1),
    ("8 * 3 - 4 = 20, so no", 0, 0),        # the last expression misses the target
    ("4+4+4+3 = 15", 0, 0),                  # uses 4 three times
    ("The answer is 15.", 0, 0),             # a number is not an expression
])
def test_countdown_lenient_reads_the_last_expression(response, strict, lenient):
    b = score(response, COUNTDOWN)
    assert (b.accuracy, b.lenient) == (strict, lenient)


def test_parity_lenient_reads_the_last_option():
    task = get_family("parity").generate(900_000_000, 1)
    other = "even" if task.answer == "odd" else "odd"
    assert score(f"It is {other}... no, it is {task.answer.upper()}.", task).lenient == 1.0
    assert score(f"It is {task.answer}... no, it is {other}.", task).lenient == 0.0


def test_lenient_is_never_below_strict():
    # the tagged answer is right; the last number in the text is not
    b = score("<think></think><answer>132</answer>\nChecked with 7.", SUM)
    assert b.accuracy == 1.0 and b.lenient == 1.0


def test_language_is_logged_beside_accuracy():
    assert score("<think>six plus six</think><answer>132</answer>", SUM).language == 1.0
    assert score("<think>шесть plus six</think><answer>132</answer>", SUM).language < 1.0


def test_readers():
    assert last_number("a 1,071 b -3.5 c") == "-3.5"
    assert last_number("no digits") is None
    assert last_expression("first 1+2, then (3 * 4) - 5 = 7 done") == "(3 * 4) - 5 = 7"


def test_the_summary_reports_both_accuracies():
    rows = [SampleRow(1, 0, 1.0, 1.0, 0, 5, "x", lenient=1.0, language=1.0, self_check=1),
            SampleRow(1, 1, 0.0, 0.0, 0, 5, "x", lenient=1.0, language=1.0, self_check=0),
            SampleRow(2, 0, 0.0, 1.0, 0, 5, "x", lenient=0.0, language=0.5, self_check=0),
            SampleRow(2, 1, 0.0, 0.0, 0, 5, "x", lenient=0.0, language=0.5, self_check=0)]
    s = summarise(rows, 2)
    assert (s.pass1, s.pass1_lenient, s.pass_k, s.pass_k_lenient) == (0.25, 0.5, 0.5, 0.5)
    assert (s.format, s.language, s.self_check_rate) == (0.5, 0.75, 0.25)


@pytest.mark.parametrize("response, tags", [
    ("<think>a</think><answer>1</answer>", 1.0),
    ("<think>a</think><answer>1", 0.75),
    ("<think>a <answer>1", 0.5),
    ("<think> <think> </think>", 0.25),  # <think> twice earns nothing
    ("plain", 0.0),
])
def test_tags_are_partial_format_credit_weighted_only_when_asked(response, tags):
    assert score(response, SUM).tags == tags
    assert score(response, SUM, RewardWeights(format=0, tags=1)).total == pytest.approx(
        tags + score(response, SUM).accuracy)
    assert score(response, SUM, RewardWeights(format=0)).total == score(response, SUM).accuracy

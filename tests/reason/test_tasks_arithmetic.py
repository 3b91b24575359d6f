"""Multi-digit arithmetic: difficulty is the digit count; answers are exact integers."""

from __future__ import annotations

import pytest

from rocks.reason.tasks import arithmetic, get_family


@pytest.mark.parametrize("difficulty", [1, 2, 3, 5, 8])
def test_operands_have_difficulty_digits_and_answers_verify(difficulty: int) -> None:
    family = get_family("arithmetic")
    for seed in range(25):
        t = family.generate(seed, difficulty)
        a, b, op = t.meta["a"], t.meta["b"], t.meta["op"]
        assert t.prompt == f"What is {a} {op} {b}?"
        if difficulty > 1:
            assert len(str(a)) == len(str(b)) == difficulty
        assert int(t.answer) == {"+": a + b, "-": a - b, "*": a * b}[op] >= 0
        assert family.verify(f"<answer>{t.answer}</answer>", t).accuracy == 1.0


def test_all_three_operations_occur() -> None:
    ops = {get_family("arithmetic").generate(s, 3).meta["op"] for s in range(40)}
    assert ops == {"+", "-", "*"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1387", 1387),
        ("1,387", 1387),
        ("+1387", 1387),
        ("868 + 519 = 1387", 1387),
        ("1387.0", 1387),
        ("-12", -12),
        ("1 387", 1387),
    ],
)
def test_parse_integer_accepts_plain_forms(text: str, value: int) -> None:
    assert arithmetic.parse_integer(text) == value


@pytest.mark.parametrize("text", ["", "abc", "13.87", "1e3", "9" * 5000, "1,,", "½"])
def test_parse_integer_rejects_the_rest(text: str) -> None:
    assert arithmetic.parse_integer(text) is None


def test_wrong_value_scores_zero() -> None:
    t = get_family("arithmetic").generate(3, 4)
    wrong = str(int(t.answer) + 1)
    assert arithmetic.verify(f"<answer>{wrong}</answer>", t).accuracy == 0.0
    assert arithmetic.verify(f"<answer>{t.answer}", t).accuracy == 0.0  # truncated


def test_bad_difficulty_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        get_family("arithmetic").generate(1, 0)
    with pytest.raises(KeyError, match="known"):
        get_family("chess")


def test_addition_family_only_adds_and_keeps_arithmetic_unchanged():
    from rocks.reason.tasks import get_family

    tasks = [get_family("addition").generate(seed, 4) for seed in range(50)]
    assert {t.meta["op"] for t in tasks} == {"+"}
    assert all(t.family == "addition" and 1000 <= t.meta["a"] <= 9999 for t in tasks)
    assert all(int(t.answer) == t.meta["a"] + t.meta["b"] for t in tasks)
    # The arithmetic family draws the same tasks as before the addition family existed.
    assert get_family("arithmetic").generate(5, 2).prompt == "What is 97 - 51?"

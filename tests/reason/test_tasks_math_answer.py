"""Math answers: plain numbers compared exactly, everything else by math-verify in a worker."""

from __future__ import annotations

import threading
from fractions import Fraction

import pytest

from rocks.reason.tasks import get_family, math_answer
from rocks.reason.tasks.math_answer import answers_match
from rocks.reason.tasks.worker import GuardedWorker


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4])
def test_reference_answers_verify(difficulty: int) -> None:
    family = get_family("math_answer")
    for seed in range(20):
        t = family.generate(seed, difficulty)
        assert t.prompt.endswith("?")
        assert family.verify(f"<answer>{t.answer}</answer>", t).accuracy == 1.0


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("-3.5", Fraction(-7, 2)),
        ("7/2", Fraction(7, 2)),
        ("\\frac{7}{2}", Fraction(7, 2)),
        ("-\\dfrac{1}{3}", Fraction(-1, 3)),
        ("$\\boxed{1,200}$", 1200),
        ("42.", 42),
        (".5", Fraction(1, 2)),
    ],
)
def test_plain_numbers_parse_exactly(text: str, value: Fraction) -> None:
    assert math_answer.parse_number(text) == value


@pytest.mark.parametrize("text", ["x = 3", "1/0", "\\frac{1}{0}", "3 apples", "", "1,20", "2^3"])
def test_other_text_is_not_a_plain_number(text: str) -> None:
    assert math_answer.parse_number(text) is None


def test_exact_path_decides_plain_numbers() -> None:
    assert answers_match("3.5", "7/2") == (True, "exact")
    assert answers_match("0.33", "1/3") == (False, "exact")  # departure 1


@pytest.mark.parametrize(
    ("pred", "gold", "same"),
    [
        ("x = 7/2", "7/2", True),
        ("\\frac72", "3.5", True),
        ("2\\sqrt{2}", "\\sqrt{8}", True),
        ("\\frac{1}{2}+\\frac{1}{2}", "1", True),
        ("2\\sqrt{3}", "\\sqrt{8}", False),
    ],
)
def test_math_verify_path(pred: str, gold: str, same: bool) -> None:
    assert answers_match(pred, gold) == (same, "math-verify")


def test_math_verify_works_from_threads() -> None:
    results: list[tuple[bool, str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(answers_match("\\frac{6}{4}", "1.5")))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [(True, "exact")] * 3
    threads = [
        threading.Thread(target=lambda: results.append(answers_match("y = 3/2", "1.5")))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[3:] == [(True, "math-verify")] * 2


@pytest.mark.slow
def test_a_runaway_comparison_times_out_and_the_worker_restarts() -> None:
    worker = GuardedWorker(math_answer.WORKER_TARGET, timeout=1.0)
    try:
        ok, why = worker.call("9^{9^{9}}", "1")
        assert not ok and "timed out" in why
        assert worker.call("x = 2", "2") == (True, True)
    finally:
        worker.close()


def test_a_forked_child_gets_its_own_worker() -> None:
    import os

    assert answers_match("y = 5", "5") == (True, "math-verify")  # parent's worker is running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: must not talk over the parent's pipes
        ok = answers_match("z = 6", "6") == (True, "math-verify")
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    assert answers_match("w = 7", "7") == (True, "math-verify")


def test_wrong_and_missing_answers_score_zero() -> None:
    t = get_family("math_answer").generate(3, 2)
    wrong = str(Fraction(t.answer) + 1)
    assert math_answer.verify(f"<answer>{wrong}</answer>", t).accuracy == 0.0
    assert math_answer.verify(t.answer, t).accuracy == 0.0
    assert math_answer.verify("<answer>" + "1" * 400 + "</answer>", t).accuracy == 0.0

"""Knights and knaves: every puzzle has exactly one solution, and the verifier reads names."""

from __future__ import annotations

import pytest

from rocks.reason.tasks import get_family, logic
from rocks.reason.tasks.base import Task


@pytest.mark.parametrize("difficulty", [1, 2, 3, 5])
def test_puzzles_have_one_solution_which_verifies(difficulty: int) -> None:
    family = get_family("logic")
    for seed in range(30):
        t = family.generate(seed, difficulty)
        assert t.meta["names"] == [chr(ord("A") + i) for i in range(difficulty + 1)]
        assert t.prompt.count(" says: ") == difficulty + 1
        assert family.verify(f"<answer>{t.answer}</answer>", t).accuracy == 1.0


def test_solver_on_the_classic_puzzle() -> None:
    # A: "B is a knave."  B: "A and B are the same kind."  Only A knight, B knave fits.
    statements = [(0, 1, 1, 0), (1, 3, 0, 1)]
    assert logic.solutions(2, statements) == [(True, False)]
    # "A is a knight" said by A alone has two solutions
    assert len(logic.solutions(1, [(0, 0, 0, 0)])) == 2


TWO = Task("logic", "p", "A knight, B knave", 0, 1, {"names": ["A", "B"], "knights": ["A"]})


@pytest.mark.parametrize(
    "answer",
    [
        "A knight, B knave",
        "B is a knave and A is a knight",
        "A: Knight\nB: knave",
        "A=knight B=knave",
    ],
)
def test_accepted_answer_forms(answer: str) -> None:
    assert logic.verify(f"<answer>{answer}</answer>", TWO).accuracy == 1.0


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("A knave, B knight", "wrong role"),
        ("A knight", "exactly once"),
        ("A knight, A knave, B knave", "exactly once"),
        ("A knight, B knave, C knave", "exactly once"),
        ("knight knave", "exactly once"),
    ],
)
def test_rejected_answers(answer: str, why: str) -> None:
    verdict = logic.verify(f"<answer>{answer}</answer>", TWO)
    assert verdict.accuracy == 0.0 and why in verdict.note

"""Parity: 2 + 2d bits; the answer is even or odd."""

from __future__ import annotations

import pytest

from rocks.reason.tasks import get_family, parity


@pytest.mark.parametrize("difficulty", [1, 2, 4])
def test_answers_count_the_ones(difficulty: int) -> None:
    family = get_family("parity")
    answers = set()
    for seed in range(30):
        t = family.generate(seed, difficulty)
        bits = t.meta["bits"]
        assert len(bits) == 2 + 2 * difficulty and set(bits) <= {"0", "1"}
        assert t.prompt == f"Is the number of 1s in {bits} even or odd?"
        assert t.answer == ("odd" if bits.count("1") % 2 else "even")
        assert family.verify(f"<answer>{t.answer}</answer>", t).accuracy == 1.0
        answers.add(t.answer)
    assert answers == {"even", "odd"}


@pytest.mark.parametrize(
    ("said", "accuracy"),
    [("odd", 1.0), ("Odd.", 1.0), ("even", 0.0), ("1", 0.0), ("odd or even", 0.0)],
)
def test_verifier(said: str, accuracy: float) -> None:
    t = get_family("parity").generate(0, 1)
    t = t if t.answer == "odd" else get_family("parity").generate(1, 1)
    assert t.answer == "odd"
    assert parity.verify(f"<answer>{said}</answer>", t).accuracy == accuracy

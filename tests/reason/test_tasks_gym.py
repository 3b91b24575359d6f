"""Reasoning Gym datasets as ``gym:<dataset>`` families, scored in a guarded worker."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("reasoning_gym")

from rocks.reason.tasks import get_family, gym  # noqa: E402
from rocks.reason.tasks.worker import GuardedWorker  # noqa: E402


def wrap(text: str) -> str:
    return f"<think>hm</think><answer>{text}</answer>"


def test_knights_and_knaves_reference_answer_scores_one() -> None:
    family = get_family("gym:knights_knaves")
    for seed in range(3):
        t = family.generate(seed, 1)
        assert t.family == "gym:knights_knaves" and "lie" in t.prompt
        assert family.verify(wrap(t.answer), t).accuracy == 1.0
        assert family.verify(wrap("nobody"), t).accuracy == 0.0
        assert family.verify(t.answer, t).accuracy == 0.0  # no answer tag


def test_generation_is_deterministic_and_difficulty_is_the_curriculum_level() -> None:
    family = get_family("gym:basic_arithmetic")
    assert family.generate(4, 2) == family.generate(4, 2)
    easy = sum(len(family.generate(s, 1).prompt) for s in range(20))
    hard = sum(len(family.generate(s, 4).prompt) for s in range(20))
    assert hard > easy


def test_available_lists_the_datasets_and_unknown_ones_are_clear_errors() -> None:
    assert {"knights_knaves", "countdown", "sudoku"} <= set(gym.available())
    with pytest.raises(KeyError, match="unknown Reasoning Gym dataset"):
        get_family("gym:no_such_thing")


def test_scoring_works_from_a_thread() -> None:
    family = get_family("gym:knights_knaves")
    t = family.generate(9, 1)
    out: list[float] = []
    thread = threading.Thread(target=lambda: out.append(family.verify(wrap(t.answer), t).accuracy))
    thread.start()
    thread.join()
    assert out == [1.0]


@pytest.mark.slow
def test_a_scorer_that_hangs_is_cut_off() -> None:
    # Reasoning Gym's countdown scorer hands the answer to sympy, which never returns on this
    worker = GuardedWorker(gym.WORKER_TARGET, timeout=1.0)
    try:
        ok, why = worker.call("countdown", 5, 1, "9**9**9")
        assert not ok and "timed out" in why
        answer = get_family("gym:countdown").generate(5, 1).answer
        worker.timeout = 30.0  # the restarted worker regenerates the entry first
        assert worker.call("countdown", 5, 1, answer) == (True, 1.0)
    finally:
        worker.close()

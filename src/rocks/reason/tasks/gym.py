"""Reasoning Gym: its ~100 procedural task families with verifiers, as ``gym:<dataset>`` families.

Reasoning Gym (Stojanovski et al., 2025, "REASONING GYM: Reasoning environments for
reinforcement learning with verifiable rewards") generates puzzles (knights and knaves, zebra,
sudoku, propositional logic, arithmetic, graphs, ...) and scores answers with its own
``score_answer``.  ``family("knights_knaves")`` wraps one dataset in our ``TaskFamily``
interface; ``rocks.reason.tasks.get_family("gym:knights_knaves")`` does the same.

Difficulty d sets the dataset's curriculum to global level d - 1 (every attribute at that level,
capped at its hardest); datasets without a curriculum ignore d.  Prompts are Reasoning Gym's own
and long: they suit pretrained models (SmolLM2 through ``transformers``), not a tiny model
trained from scratch here, which is why our own families exist.  ``reasoning_gym`` is imported
on first use (it takes seconds).

Departures:
1. The score comes from Reasoning Gym's ``score_answer`` on the ``<answer>`` text, clamped to
   [0, 1].  It runs in a guarded worker process (``tasks.worker``): some scorers hand model
   output to sympy, which can hang on ``9**9**9``; a scorer that raises or takes longer than
   ``SCORE_SECONDS`` scores 0 with the reason noted.  The worker regenerates the entry from
   (dataset, seed, difficulty) -- generation is deterministic -- so nothing else is sent.
2. ``task.meta["entry"]`` is Reasoning Gym's entry as generated, which is not always JSON:
   give TRL the ``family``/``seed``/``difficulty`` columns rather than ``task_json`` for these
   families.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from typing import Any

from rocks.reason.tasks.base import FunctionFamily, RewardBreakdown, Task, extract_answer, no_answer
from rocks.reason.tasks.worker import worker_for

PREFIX = "gym:"
SCORE_SECONDS = 10.0  # per answer, in the guarded worker
WORKER_TARGET = "rocks.reason.tasks.gym:score_in_worker"


def _gym() -> Any:
    try:
        import reasoning_gym
    except ImportError as e:  # pragma: no cover - it is a project dependency
        raise KeyError(
            "gym: families need the reasoning-gym package (pip install reasoning-gym)"
        ) from e
    return reasoning_gym


def available() -> list[str]:
    """Every Reasoning Gym dataset name (without the ``gym:`` prefix)."""
    from reasoning_gym.factory import DATASETS

    _gym()
    return sorted(DATASETS)


def _entry(dataset: str, seed: int, difficulty: int) -> dict:
    from reasoning_gym import factory

    if factory.has_curriculum(dataset):
        curriculum = factory.create_curriculum(dataset)
        curriculum.set_global_level(difficulty - 1)
        config = curriculum.generate_configuration({"seed": seed, "size": 1})
        dataset_cls, _ = factory.DATASETS[dataset]
        data = dataset_cls(config=config)
    else:
        data = factory.create_dataset(dataset, seed=seed, size=1)
    return dict(data[0])


@lru_cache(maxsize=256)
def _cached_entry(dataset: str, seed: int, difficulty: int) -> dict:
    return _entry(dataset, seed, difficulty)


def score_in_worker(dataset: str, seed: int, difficulty: int, answer: str) -> float:
    """Reasoning Gym's score for ``answer`` (runs inside the guarded worker)."""
    from reasoning_gym import factory

    entry = _cached_entry(dataset, seed, difficulty)
    return float(factory.get_score_answer_fn(dataset)(answer, dict(entry)))


@cache
def family(dataset: str) -> FunctionFamily:
    """The ``gym:<dataset>`` family; KeyError for an unknown dataset."""
    _gym()
    from reasoning_gym.factory import DATASETS

    if dataset not in DATASETS:
        raise KeyError(f"unknown Reasoning Gym dataset {dataset!r}; see gym.available()")
    name = PREFIX + dataset

    def generate(seed: int, difficulty: int = 1) -> Task:
        entry = _entry(dataset, seed, difficulty)
        return Task(
            family=name,
            prompt=str(entry["question"]),
            answer=str(entry["answer"]),
            seed=seed,
            difficulty=difficulty,
            meta={"entry": entry},
        )

    def verify(completion: str, task: Task) -> RewardBreakdown:
        answer = extract_answer(completion)
        if answer is None:
            return no_answer()
        ok, value = worker_for(WORKER_TARGET, SCORE_SECONDS).call(
            dataset, task.seed, task.difficulty, answer
        )
        if not ok:
            return RewardBreakdown(accuracy=0.0, note=f"scorer failed: {value}")
        if not isinstance(value, int | float) or not math.isfinite(value):
            return RewardBreakdown(accuracy=0.0, note="scorer returned a non-number")
        value = min(1.0, max(0.0, value))
        return RewardBreakdown(accuracy=value, note=f"reasoning-gym score {value:g}")

    return FunctionFamily(name, generate, verify, f"Reasoning Gym's {dataset}")

"""The boundary records of the R1-Zero side: a task instance and the reward it earned.

DeepSeek-R1 (2025) trains against rule-based rewards only: an accuracy reward from a verifier
and a format reward, plus (in R1) a language-consistency reward.  Every verifier in
``rocks.reason.tasks`` is a pure function ``verify(completion, task) -> RewardBreakdown`` that
never raises on any string, and every generator is ``generate(seed, difficulty) -> Task``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol


@dataclass(frozen=True)
class Task:
    """One task instance.

    Attributes:
        family: the task family's name, e.g. ``"countdown"``.
        prompt: the text the model sees (the question, without any chat template).
        answer: the reference answer as text (what a correct ``<answer>`` holds, canonical form).
        seed: the seed it was generated from; ``generate(seed, difficulty)`` is deterministic.
        difficulty: the family's difficulty knob (1 = easiest).
        meta: family-specific data the verifier needs (numbers, unit tests, ...), read-only.
    """

    family: str
    prompt: str
    answer: str
    seed: int
    difficulty: int = 1
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))


@dataclass(frozen=True)
class RewardBreakdown:
    """Each reward component in [0, 1] (length shaping may be negative), logged separately.

    ``total`` is the weighted sum the trainer optimises; see ``rocks.reason.rewards``.
    """

    accuracy: float
    format: float = 0.0
    language: float = 0.0
    length: float = 0.0
    total: float = 0.0
    note: str = ""


class TaskFamily(Protocol):
    name: str

    def generate(self, seed: int, difficulty: int = 1) -> Task: ...

    def verify(self, completion: str, task: Task) -> RewardBreakdown: ...

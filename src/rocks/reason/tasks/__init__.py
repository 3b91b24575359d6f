"""R1-Zero task families: ``get_family(name).generate(seed, difficulty) -> Task`` and
``.verify(completion, task) -> RewardBreakdown`` (accuracy only; ``rocks.reason.rewards`` adds
format, language and length).  ``FAMILIES`` maps each of our own names to its family; any
Reasoning Gym dataset is available as ``get_family("gym:<dataset>")`` (see ``gym``).
"""

from __future__ import annotations

from rocks.reason.tasks import arithmetic, code, countdown, gym, logic, math_answer, parity
from rocks.reason.tasks.base import (
    FunctionFamily,
    RewardBreakdown,
    Task,
    TaskFamily,
    extract_answer,
)

FAMILIES: dict[str, FunctionFamily] = {
    family.name: family
    for family in (
        countdown.FAMILY,
        arithmetic.FAMILY,
        arithmetic.ADDITION_FAMILY,
        code.FAMILY,
        math_answer.FAMILY,
        logic.FAMILY,
        parity.FAMILY,
    )
}


def get_family(name: str) -> FunctionFamily:
    """The family called ``name`` (or ``gym:<dataset>``, a Reasoning Gym dataset); a clear
    error lists the known ones."""
    if isinstance(name, str) and name.startswith(gym.PREFIX):
        return gym.family(name[len(gym.PREFIX) :])
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise KeyError(f"unknown task family {name!r}; known: {known}, gym:<dataset>") from None


__all__ = [
    "FAMILIES",
    "FunctionFamily",
    "RewardBreakdown",
    "Task",
    "TaskFamily",
    "extract_answer",
    "get_family",
]

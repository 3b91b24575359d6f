"""R1-Zero task families, each owning its prompt, worked trace and verifier (the contract is in
``base``): ``get_family(name).generate(seed, difficulty) -> Task``, ``.prompt(task)``,
``.trace(task)`` and ``.verify(completion, task) -> RewardBreakdown`` (accuracy only;
``rocks.reason.rewards`` adds format, language and length).  ``FAMILIES`` maps each of our own
names to its family; any Reasoning Gym dataset is available as ``get_family("gym:<dataset>")``
(see ``gym``).  ``prompt_text(task)`` is the task's own family's prompt.
"""

from __future__ import annotations

from rocks.reason.tasks import arithmetic, code, countdown, gym, logic, math_answer, parity
from rocks.reason.tasks.base import (
    EVAL_SEED_BASE,
    PRETRAIN_SEEDS,
    TRAIN_SEEDS,
    FunctionFamily,
    RewardBreakdown,
    Task,
    TaskFamily,
    draw_seed,
    extract_answer,
    held_out_seeds,
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


def prompt_text(task: Task) -> str:
    """What the model is conditioned on for ``task``: its family's ``prompt``."""
    return get_family(task.family).prompt(task)


__all__ = [
    "EVAL_SEED_BASE",
    "FAMILIES",
    "PRETRAIN_SEEDS",
    "TRAIN_SEEDS",
    "FunctionFamily",
    "RewardBreakdown",
    "Task",
    "TaskFamily",
    "draw_seed",
    "extract_answer",
    "get_family",
    "held_out_seeds",
    "prompt_text",
]

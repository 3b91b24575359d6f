"""Knights and knaves: who tells the truth?  A logic puzzle with exactly one solution.

Smullyan's puzzles (*What Is the Name of This Book?*, 1978), used as an RL-with-verifier task by
Logic-RL (Xie et al., 2025, "Logic-RL: Unleashing LLM reasoning with rule-based reinforcement
learning").  Knights always tell the truth, knaves always lie; each person makes one statement
about the others or themself.  A puzzle is kept only when exactly one assignment of roles is
consistent with all statements (checked by brute force over the 2^n assignments).

Difficulty d: d + 1 people, named A, B, C, ...  The canonical answer lists everyone in order,
``A knight, B knave``; the verifier accepts any order and the forms ``A is a knight``,
``A: knight``, ``A=knave``, and counts the answer right only when every person is named exactly
once with the right role (all-or-nothing, as in Logic-RL).

Departures:
1. Statements come from a fixed set of six forms (Logic-RL also uses "if … then …" and
   three-person statements), which keeps prompts short for a small model.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable

from rocks.reason.tasks.base import (
    FunctionFamily,
    RewardBreakdown,
    Task,
    extract_answer,
    last_line,
    no_answer,
)

NAME = "logic"
ROLES = ("knave", "knight")  # index = truthfulness

# (text template, truth function over the roles of x and y: True = knight)
_FORMS: tuple[tuple[str, Callable[[bool, bool], bool]], ...] = (
    ("{x} is a knight.", lambda x, y: x),
    ("{x} is a knave.", lambda x, y: not x),
    ("{x} and {y} are both knights.", lambda x, y: x and y),
    ("{x} and {y} are the same kind.", lambda x, y: x == y),
    ("{x} and {y} are different kinds.", lambda x, y: x != y),
    ("{x} is a knight or {y} is a knave.", lambda x, y: x or not y),
)

# "A knight", "A is a knight", "A: knave", "A=knave"; names are capitals, roles any case
_PAIR = re.compile(
    r"\b([A-Z])\b(?:\s+(?i:is)\s+(?i:an?)|\s+(?i:is)|\s*[:=-])?\s*((?i:knight|knave)s?)\b"
)


def _statements_hold(roles: tuple[bool, ...], statements: list[tuple[int, int, int, int]]) -> bool:
    for speaker, form, x, y in statements:
        if _FORMS[form][1](roles[x], roles[y]) != roles[speaker]:
            return False
    return True


def solutions(n: int, statements: list[tuple[int, int, int, int]]) -> list[tuple[bool, ...]]:
    """Every role assignment (True = knight) consistent with the statements."""
    return [
        r for r in itertools.product((False, True), repeat=n) if _statements_hold(r, statements)
    ]


def canonical(names: list[str], roles: tuple[bool, ...]) -> str:
    return ", ".join(f"{name} {ROLES[role]}" for name, role in zip(names, roles, strict=True))


def parse_roles(text: str, names: list[str]) -> dict[str, bool] | None:
    """Each person's role as written in ``text``; None when someone is missing or named twice."""
    found: dict[str, bool] = {}
    for name, role in _PAIR.findall(text):
        if name not in names or name in found:
            return None
        found[name] = role.lower().startswith("knight")
    return found if set(found) == set(names) else None


def generate(seed: int, difficulty: int = 1) -> Task:
    rng = random.Random(f"{NAME}:{seed}:{difficulty}")
    n = difficulty + 1
    names = [chr(ord("A") + i) for i in range(n)]
    for _ in range(10_000):
        statements = []
        for speaker in range(n):
            form = rng.randrange(len(_FORMS))
            x = rng.randrange(n)
            y = rng.choice([i for i in range(n) if i != x])
            statements.append((speaker, form, x, y))
        found = solutions(n, statements)
        if len(found) == 1:
            break
    else:  # pragma: no cover - statements this rich always give a unique puzzle quickly
        raise RuntimeError("logic: no puzzle with a unique solution found")
    said = " ".join(
        f"{names[s]} says: {_FORMS[f][0].format(x=names[x], y=names[y])}"
        for s, f, x, y in statements
    )
    prompt = f"Knights always tell the truth and knaves always lie. {said} Who is a knight?"
    return Task(
        family=NAME,
        prompt=prompt,
        answer=canonical(names, found[0]),
        seed=seed,
        difficulty=difficulty,
        meta={"names": names, "knights": [names[i] for i in range(n) if found[0][i]]},
    )


def verify(completion: str, task: Task) -> RewardBreakdown:
    answer = extract_answer(completion)
    if answer is None:
        return no_answer()
    names = list(task.meta["names"])
    roles = parse_roles(answer, names)
    if roles is None:
        return RewardBreakdown(accuracy=0.0, note="not every person named exactly once")
    knights = set(task.meta["knights"])
    wrong = [n for n in names if roles[n] != (n in knights)]
    if wrong:
        return RewardBreakdown(accuracy=0.0, note=f"wrong role for {', '.join(wrong)}")
    return RewardBreakdown(accuracy=1.0, note="all roles right")


FAMILY = FunctionFamily(NAME, generate, verify, "knights and knaves with a unique solution",
                        lenient_fn=last_line)

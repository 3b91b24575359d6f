"""Multi-digit arithmetic: a + b, a − b (a ≥ b) and a × b with d-digit operands.

The synthetic task family small transformers are classically trained on (e.g. Lee et al., 2023,
"Teaching arithmetic to small transformers"); here it is a verifier-checked RL task.

Difficulty d = the number of digits of each operand (d = 1 allows 0..9).  The answer is the exact
integer in plain decimal.  The verifier accepts an optional sign, digit grouping with commas,
underscores or spaces (``1,234``), and a leading ``… =`` (it reads what follows the last ``=``).

``addition`` is the same task restricted to a + b (its own family name, so GRPO, evaluation and
pretraining pick it by name): long carries make the direct answer hard for a tiny model while the
column trace stays easy, the setting in which thinking pays.

Departures: none (no paper protocol to depart from).
"""

from __future__ import annotations

import random
import re

from rocks.reason.tasks.base import FunctionFamily, RewardBreakdown, Task, extract_answer, no_answer

NAME = "arithmetic"
ADDITION = "addition"
# Python refuses int() on strings over 4300 digits; no answer here comes near this.
MAX_DIGITS = 1000
_INTEGER = re.compile(r"[+-]?\d(?:[\d,_ ]*\d)?")


def parse_integer(text: str) -> int | None:
    """The integer written in ``text`` (sign and digit grouping allowed), or None."""
    text = text.rpartition("=")[2].strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not _INTEGER.fullmatch(text):
        return None
    digits = re.sub(r"[,_ ]", "", text)
    if len(digits) > MAX_DIGITS:
        return None
    return int(digits)


def generate(seed: int, difficulty: int = 1) -> Task:
    return _generate(NAME, "+-*", seed, difficulty)


def generate_addition(seed: int, difficulty: int = 1) -> Task:
    return _generate(ADDITION, "+", seed, difficulty)


def _generate(name: str, ops: str, seed: int, difficulty: int) -> Task:
    rng = random.Random(f"{name}:{seed}:{difficulty}")
    low = 0 if difficulty == 1 else 10 ** (difficulty - 1)
    high = 10**difficulty - 1
    a, b = rng.randint(low, high), rng.randint(low, high)
    op = rng.choice(ops)
    if op == "-" and a < b:
        a, b = b, a
    result = a + b if op == "+" else a - b if op == "-" else a * b
    return Task(
        family=name,
        prompt=f"What is {a} {op} {b}?",
        answer=str(result),
        seed=seed,
        difficulty=difficulty,
        meta={"a": a, "b": b, "op": op, "result": result},
    )


def verify(completion: str, task: Task) -> RewardBreakdown:
    answer = extract_answer(completion)
    if answer is None:
        return no_answer()
    value = parse_integer(answer)
    if value is None:
        return RewardBreakdown(accuracy=0.0, note="answer is not an integer")
    ok = value == int(task.meta["result"])
    return RewardBreakdown(accuracy=1.0 if ok else 0.0, note="correct" if ok else "wrong value")


FAMILY = FunctionFamily(NAME, generate, verify, "d-digit + - × with an exact integer answer")
ADDITION_FAMILY = FunctionFamily(ADDITION, generate_addition, verify,
                                 "d-digit a + b with an exact integer answer")

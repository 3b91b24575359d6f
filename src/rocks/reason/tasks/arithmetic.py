"""Multi-digit arithmetic: a + b, a − b (a ≥ b) and a × b with d-digit operands.

The synthetic task family small transformers are classically trained on (e.g. Lee et al., 2023,
"Teaching arithmetic to small transformers"); here it is a verifier-checked RL task.

Difficulty d = the number of digits of each operand (d = 1 allows 0..9).  The answer is the exact
integer in plain decimal.  The verifier accepts an optional sign, digit grouping with commas,
underscores or spaces (``1,234``), and a leading ``… =`` (it reads what follows the last ``=``).

``addition`` is the same task restricted to a + b (its own family name, so GRPO, evaluation and
pretraining pick it by name): long carries make the direct answer hard for a tiny model while the
column trace stays easy, the setting in which thinking pays.

The worked trace (``trace``, the pretraining scratchpad) is column arithmetic, one line of work
per column carrying the partial answer so far, so the final answer is a copy (the scratchpad
format of Nye et al. 2021, "Show Your Work"): ``67 + 34`` is ``7+4=11:1 6+3+1=10:01 c:101``.
``binop_trace`` is shared with ``countdown``, whose trace works through its expression.

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


def column_add(a: int, b: int) -> str:
    """Column addition trace, least significant digit first, partial answer after ':'."""
    da, db = str(a)[::-1], str(b)[::-1]
    carry, partial, lines = 0, "", []
    for i in range(max(len(da), len(db))):
        x = int(da[i]) if i < len(da) else 0
        y = int(db[i]) if i < len(db) else 0
        s = x + y + carry
        term = f"{x}+{y}" + (f"+{carry}" if carry else "")
        partial = str(s % 10) + partial
        carry = s // 10
        lines.append(f"{term}={s}:{partial}")
    if carry:
        partial = str(carry) + partial
        lines.append(f"c:{partial}")
    return " ".join(lines)


def column_sub(a: int, b: int) -> str:
    """Column subtraction trace for a >= b >= 0, borrowing where a column goes negative."""
    da, db = str(a)[::-1], str(b)[::-1]
    borrow, partial, lines = 0, "", []
    for i in range(len(da)):
        x = int(da[i])
        y = int(db[i]) if i < len(db) else 0
        d = x - y - borrow
        term = f"{x}-{y}" + (f"-{borrow}" if borrow else "")
        borrow = 1 if d < 0 else 0
        d += 10 * borrow
        partial = str(d) + partial
        lines.append(f"{term}={d}" + ("b" if borrow else "") + f":{partial}")
    return " ".join(lines)


def column_mul(a: int, d: int) -> str:
    """Trace of a multi-digit number times one digit."""
    da = str(a)[::-1]
    carry, partial, lines = 0, "", []
    for ch in da:
        p = int(ch) * d + carry
        term = f"{ch}*{d}" + (f"+{carry}" if carry else "")
        partial = str(p % 10) + partial
        carry = p // 10
        lines.append(f"{term}={p}:{partial}")
    if carry:
        partial = str(carry) + partial
        lines.append(f"c:{partial}")
    return " ".join(lines)


def binop_trace(a: int, op: str, b: int) -> str | None:
    """A worked trace for ``a op b`` in the scratchpad language, or None if not covered."""
    if op == "+" and a >= 0 and b >= 0:
        return column_add(a, b)
    if op == "-" and a >= 0 and b >= 0:
        if a >= b:
            return column_sub(a, b)
        return f"{a}<{b} so -({b}-{a}) " + column_sub(b, a) + f" neg:-{b - a}"
    if op in "*x×" and a >= 0 and b >= 0:
        if b < 10:
            return column_mul(a, b)
        if a < 10:
            return column_mul(b, a)
        lines, partials = [], []
        for place, ch in enumerate(str(b)[::-1]):
            part = a * int(ch) * 10**place
            lines.append(f"{a}*{ch}{'0' * place}: {column_mul(a, int(ch))} ={part}")
            partials.append(part)
        total = partials[0]
        for part in partials[1:]:
            lines.append(f"{total}+{part}: {column_add(total, part)} ={total + part}")
            total += part
        return "\n".join(lines)
    return None


def trace(task: Task) -> str | None:
    """The column-arithmetic trace of ``a op b``."""
    meta = task.meta
    return binop_trace(int(meta["a"]), str(meta["op"]), int(meta["b"]))


FAMILY = FunctionFamily(NAME, generate, verify, "d-digit + - × with an exact integer answer",
                        trace_fn=trace)
ADDITION_FAMILY = FunctionFamily(ADDITION, generate_addition, verify,
                                 "d-digit a + b with an exact integer answer", trace_fn=trace)

"""Math word problems with a final-answer checker built on ``math-verify``.

DeepSeek-R1 rewards maths by comparing the final answer with the reference (a rule-based
checker, not a model); open-r1 does it with Hugging Face's ``math-verify``, which parses LaTeX
and plain expressions into sympy and compares them.  ``answers_match(pred, gold)`` is that
check, usable on any dataset (GSM8K, MATH); ``generate`` makes small templated word problems
whose answers are integers or fractions, so a tiny model can learn them.

How the check runs: answers that are plain numbers (``12``, ``-3.5``, ``7/2``, ``\\frac{7}{2}``,
``\\boxed{12}``, ``1,200``) are compared exactly with ``fractions.Fraction`` in-process.
Anything else goes to ``math-verify`` in a guarded worker process (``tasks.worker``), called
with its own timeouts disabled (they use SIGALRM, which fails outside the main thread); the
worker is killed and restarted when one comparison takes longer than ``MATH_VERIFY_SECONDS``
(e.g. sympy evaluating ``9^{9^{9}}``), and that answer counts as wrong.  So the check works the
same from any thread.

Difficulty 1: one addition or subtraction; 2: multiplication or sharing (may give a fraction);
3+: fractions, percentages and rates.

Departures:
1. Decimals are compared exactly with the fast path (``0.33`` is not ``1/3``); math-verify's
   float rounding only applies to answers the fast path cannot read.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction

from rocks.reason.tasks.base import FunctionFamily, RewardBreakdown, Task, extract_answer, no_answer
from rocks.reason.tasks.worker import worker_for

NAME = "math_answer"
MAX_MATH_CHARS = 300  # longer answers are not parsed: no reference answer comes near
MATH_VERIFY_SECONDS = 5.0  # per comparison, in the guarded worker
WORKER_TARGET = "rocks.reason.tasks.math_answer:math_verify_same"

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_BOXED = re.compile(r"\\boxed\{(.*)\}")


def parse_number(text: str) -> Fraction | None:
    """An exact number from a plain answer, or None when it is not a plain number."""
    text = text.strip().strip("$").strip()
    boxed = _BOXED.fullmatch(text)
    if boxed:
        text = boxed.group(1).strip()
    text = text.rstrip(".").replace("\\!", "").replace("{,}", ",")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        text = text.replace(",", "")
    frac = _FRAC.fullmatch(text.lstrip("+-"))
    if frac:
        num, den = parse_number(frac.group(1)), parse_number(frac.group(2))
        if num is None or den is None or den == 0:
            return None
        return (-1 if text.startswith("-") else 1) * num / den
    if text.count("/") == 1:
        num_text, den_text = (part.strip() for part in text.split("/"))
        if not (_NUMBER.fullmatch(num_text) and _NUMBER.fullmatch(den_text)):
            return None
        den = Fraction(den_text)
        return None if den == 0 else Fraction(num_text) / den
    if _NUMBER.fullmatch(text) and len(text) <= 100:
        return Fraction(text)
    return None


def math_verify_same(pred: str, gold: str) -> bool:
    """math-verify's verdict, with its SIGALRM timeouts off (runs inside the guarded worker)."""
    from math_verify import parse, verify

    def read(text: str) -> list:
        # bare LaTeX (no $…$) is only partly read by math-verify: "\\frac72" gives nothing
        if "$" not in text and any(c in text for c in "\\^{"):
            text = f"${text}$"
        return parse(text, parsing_timeout=None)

    gold_parsed, pred_parsed = read(gold), read(pred)
    if not gold_parsed or not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=None))


def worker_warm_up() -> None:
    """Import and exercise math-verify once when the guarded worker starts."""
    math_verify_same("1", "1")


def answers_match(pred: str, gold: str) -> tuple[bool, str]:
    """Whether a predicted final answer equals the reference, and how that was decided."""
    if not isinstance(pred, str) or not pred.strip():
        return False, "empty answer"
    if len(pred) > MAX_MATH_CHARS or "\x00" in pred:
        return False, "answer too long or not text"
    exact_pred, exact_gold = parse_number(pred), parse_number(gold)
    if exact_pred is not None and exact_gold is not None:
        return exact_pred == exact_gold, "exact"
    ok, same = worker_for(WORKER_TARGET, MATH_VERIFY_SECONDS).call(pred, gold)
    if not ok:
        return False, f"math-verify failed: {same}"
    return bool(same), "math-verify"


_NAMES = ("Ann", "Ben", "Cara", "Dan", "Eve", "Finn", "Gia", "Hal")
_THINGS = ("apples", "cards", "pens", "stamps", "shells", "coins")


def _problem(rng: random.Random, level: int) -> tuple[str, Fraction]:
    name, thing = rng.choice(_NAMES), rng.choice(_THINGS)
    if level == 1:
        a, b = rng.randint(2, 60), rng.randint(2, 40)
        if rng.random() < 0.5:
            return f"{name} has {a} {thing} and gets {b} more. How many {thing} now?", Fraction(
                a + b
            )
        a += b
        return f"{name} has {a} {thing} and gives away {b}. How many {thing} are left?", Fraction(
            a - b
        )
    if level == 2:
        n, k = rng.randint(2, 12), rng.randint(2, 12)
        if rng.random() < 0.5:
            return f"{name} buys {n} bags of {k} {thing}. How many {thing} in all?", Fraction(n * k)
        total = rng.randint(n, 60)
        return (
            f"{total} {thing} are shared equally by {n} friends. How many does each get?",
            Fraction(total, n),
        )
    kind = rng.randrange(3)
    if kind == 0:
        a, b = Fraction(rng.randint(1, 3), 4), Fraction(rng.randint(1, 2), 3)
        return f"A jug is {a} full. {name} adds {b} of a jug. How full is it now?", a + b
    if kind == 1:
        p, q = rng.choice((10, 20, 25, 50, 75)), rng.randint(1, 30) * 4
        return f"What is {p}% of {q}?", Fraction(p * q, 100)
    d, t = rng.randint(10, 200), rng.randint(2, 8)
    return f"A cart goes {d} km in {t} hours. What is its speed in km per hour?", Fraction(d, t)


def generate(seed: int, difficulty: int = 1) -> Task:
    rng = random.Random(f"{NAME}:{seed}:{difficulty}")
    prompt, value = _problem(rng, min(difficulty, 3))
    return Task(
        family=NAME,
        prompt=prompt,
        answer=str(value),
        seed=seed,
        difficulty=difficulty,
        meta={"gold": str(value)},
    )


def verify(completion: str, task: Task) -> RewardBreakdown:
    answer = extract_answer(completion)
    if answer is None:
        return no_answer()
    same, how = answers_match(answer, str(task.meta.get("gold", task.answer)))
    return RewardBreakdown(
        accuracy=1.0 if same else 0.0, note=f"{how}: {'same' if same else 'different'}"
    )


FAMILY = FunctionFamily(
    NAME, generate, verify, "word problems; final answer checked by math-verify"
)

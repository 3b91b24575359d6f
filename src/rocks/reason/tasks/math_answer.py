"""Math word problems with a final-answer checker built on ``math-verify``.

DeepSeek-R1 rewards maths by comparing the final answer with the reference (a rule-based
checker, not a model); open-r1 does it with Hugging Face's ``math-verify``, which parses LaTeX
and plain expressions into sympy and compares them.  ``answers_match(pred, gold)`` is that
check, usable on any dataset (GSM8K, MATH); ``generate`` makes small templated word problems
whose answers are integers or fractions, so a tiny model can learn them.

How the check runs: answers that are plain numbers (``12``, ``-3.5``, ``7/2``, ``\\frac{7}{2}``,
``\\boxed{12}``, ``1,200``) are compared exactly with ``fractions.Fraction`` in-process.
Anything else goes to ``math-verify`` in a separate worker process, called with its own
timeouts disabled (they use SIGALRM, which fails outside the main thread); the worker is
killed and restarted when one comparison takes longer than ``MathChecker.timeout`` seconds
(e.g. sympy evaluating ``9^{9^{9}}``), and that answer counts as wrong.  So the check works the
same from any thread.

Difficulty 1: one addition or subtraction; 2: multiplication or sharing (may give a fraction);
3+: fractions, percentages and rates.

Departures:
1. Decimals are compared exactly with the fast path (``0.33`` is not ``1/3``); math-verify's
   float rounding only applies to answers the fast path cannot read.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import re
import select
import subprocess
import sys
import threading
import time
from fractions import Fraction

from rocks.reason.tasks.base import FunctionFamily, RewardBreakdown, Task, extract_answer, no_answer

NAME = "math_answer"
MAX_MATH_CHARS = 300  # longer answers are not parsed: no reference answer comes near
WORKER_MEMORY_BYTES = 2 * 2**30
STARTUP_SECONDS = 60.0  # a cold worker imports sympy; on a loaded 2-core machine that is slow

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


def serve() -> None:
    """The worker's loop: one JSON request per stdin line, one JSON reply per stdout line."""
    import resource

    # sympy can also blow up in memory (a power tower); fail that comparison, not the machine
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    from math_verify import parse, verify

    def read(text: str) -> list:
        # bare LaTeX (no $…$) is only partly read by math-verify: "\\frac72" gives nothing
        if "$" not in text and any(c in text for c in "\\^{"):
            text = f"${text}$"
        return parse(text, parsing_timeout=None)

    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            gold = read(request["gold"])
            pred = read(request["pred"])
            same = bool(gold) and bool(pred) and verify(gold, pred, timeout_seconds=None)
        except Exception:  # noqa: BLE001 - any sympy failure means "not the same answer"
            same = False
        sys.stdout.write(json.dumps({"same": bool(same)}) + "\n")
        sys.stdout.flush()


class MathChecker:
    """One ``math-verify`` worker process, shared by threads, restarted after a timeout."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._owner = os.getpid()

    def _start(self) -> subprocess.Popen:
        code = "from rocks.reason.tasks.math_answer import serve; serve()"
        return subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
        self._buffer = b""

    def _readline(self, proc: subprocess.Popen, deadline: float) -> bytes | None:
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def same(self, pred: str, gold: str) -> bool | None:
        """Whether math-verify finds ``pred`` equal to ``gold``; None on timeout or failure."""
        if self._owner != os.getpid():
            # a forked child (e.g. a data-loader worker) must not share the parent's pipes;
            # right after a fork it is single-threaded, so resetting here is safe
            self._lock, self._proc, self._buffer = threading.Lock(), None, b""
            self._owner = os.getpid()
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._stop()
                self._proc = self._start()
                # starting Python and importing sympy is not the comparison's time
                if self._readline(self._proc, time.monotonic() + STARTUP_SECONDS) is None:
                    self._stop()
                    return None
            proc = self._proc
            request = json.dumps({"gold": gold, "pred": pred}) + "\n"
            try:
                proc.stdin.write(request.encode("utf-8", "replace"))
                proc.stdin.flush()
            except OSError:
                self._stop()
                return None
            line = self._readline(proc, time.monotonic() + self.timeout)
            if line is None:
                self._stop()
                return None
            return bool(json.loads(line).get("same", False))


_checker: MathChecker | None = None
_checker_lock = threading.Lock()


def checker() -> MathChecker:
    """The process-wide checker, started on first use and stopped at exit."""
    global _checker
    with _checker_lock:
        if _checker is None:
            _checker = MathChecker()
            atexit.register(_checker.close)
        return _checker


def answers_match(pred: str, gold: str) -> tuple[bool, str]:
    """Whether a predicted final answer equals the reference, and how that was decided."""
    if not isinstance(pred, str) or not pred.strip():
        return False, "empty answer"
    if len(pred) > MAX_MATH_CHARS or "\x00" in pred:
        return False, "answer too long or not text"
    exact_pred, exact_gold = parse_number(pred), parse_number(gold)
    if exact_pred is not None and exact_gold is not None:
        return exact_pred == exact_gold, "exact"
    same = checker().same(pred, gold)
    if same is None:
        return False, "math-verify timed out"
    return same, "math-verify"


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

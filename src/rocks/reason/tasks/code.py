"""Code: write a small Python function; the reward is the fraction of unit tests it passes.

The execution-feedback reward of code RL (DeepSeek-R1 §2.2.2 mentions compiler feedback;
DeepCoder and Open-R1 reward the share or all of the tests passed).  Problems are drawn from a
small bank of templated specifications with a random parameter, so a tiny model can learn them;
hidden tests are inputs drawn from the same seed.  The answer is the function's source (markdown
``` fences are stripped); it runs in ``rocks.reason.sandbox`` under a trusted harness that
calls it on the test inputs and prints one JSON line per test.  The host compares those lines
with expected outputs that never enter the sandbox, so printing fake results cannot score.

Difficulty 1: one-line arithmetic; 2: loops over a list or string; 3+: small algorithms
(Fibonacci, primes, gcd, run-length encoding).  The function is always called ``f``.

Departures:
1. Partial credit (fraction passed), not all-or-nothing; outputs are compared as canonical JSON,
   so ``True`` does not pass for ``1``.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from rocks.reason.sandbox import SandboxConfig, run_python
from rocks.reason.tasks.base import (
    FunctionFamily,
    RewardBreakdown,
    Task,
    extract_answer,
    no_answer,
    no_lenient,
)

NAME = "code"
N_TESTS = 6
SANDBOX = SandboxConfig(cpu_seconds=2.0, wall_seconds=10.0, max_output_bytes=256 * 2**10)

_HARNESS = r"""
import json, sys
tests = json.loads(sys.stdin.read())
namespace = {"__name__": "solution"}
try:
    with open("solution.py", encoding="utf-8") as fh:
        exec(compile(fh.read(), "solution.py", "exec"), namespace)
    f = namespace["f"]
except BaseException as e:
    print(json.dumps({"load_error": type(e).__name__}), flush=True)
    raise SystemExit(0)
for i, args in enumerate(tests):
    try:
        line = json.dumps({"i": i, "out": f(*args)}, sort_keys=True)
    except BaseException as e:
        line = json.dumps({"i": i, "error": type(e).__name__})
    print("\n" + line, flush=True)
"""


@dataclass(frozen=True)
class _Problem:
    """A template: spec text and reference source with ``{k}``, and an input generator."""

    name: str
    level: int
    spec: str
    source: str
    inputs: Callable[[random.Random, int], list]
    param: Callable[[random.Random], object]


def _word(rng: random.Random, letters: str = "abc", lo: int = 0, hi: int = 8) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(lo, hi)))


def _ints(rng: random.Random, lo: int = -9, hi: int = 9, n: int = 6) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(0, n))]


_PROBLEMS = (
    _Problem("add", 1, "f(x) that returns x plus {k}.", "def f(x):\n    return x + {k}\n",
             lambda r, k: [r.randint(-50, 50)], lambda r: r.randint(1, 9)),
    _Problem("times", 1, "f(x) that returns x times {k}.", "def f(x):\n    return x * {k}\n",
             lambda r, k: [r.randint(-20, 20)], lambda r: r.randint(2, 9)),
    _Problem("multiple", 1, "f(x) that returns True if x is divisible by {k}, else False.",
             "def f(x):\n    return x % {k} == 0\n",
             lambda r, k: [r.randint(0, 10) * k if r.random() < 0.5 else r.randint(0, 99)],
             lambda r: r.randint(2, 9)),
    _Problem("repeat", 1, "f(s) that returns the string s repeated {k} times.",
             "def f(s):\n    return s * {k}\n", lambda r, k: [_word(r, lo=1, hi=4)],
             lambda r: r.randint(2, 4)),
    _Problem("sum_above", 2, "f(xs) that returns the sum of the numbers in the list xs that are "
             "greater than {k}.", "def f(xs):\n    return sum(x for x in xs if x > {k})\n",
             lambda r, k: [_ints(r)], lambda r: r.randint(-3, 3)),
    _Problem("count", 2, "f(s) that returns how many times the letter {k} occurs in s.",
             "def f(s):\n    return s.count({k!r})\n", lambda r, k: [_word(r)],
             lambda r: r.choice("abc")),
    _Problem("reverse", 2, "f(s) that returns s reversed.", "def f(s):\n    return s[::-1]\n",
             lambda r, k: [_word(r, "abcdef")], lambda r: 0),
    _Problem("biggest", 2, "f(xs) that returns the largest number in the non-empty list xs.",
             "def f(xs):\n    return max(xs)\n",
             lambda r, k: [[r.randint(-50, 50) for _ in range(r.randint(1, 6))]], lambda r: 0),
    _Problem("digits", 2, "f(n) that returns the sum of the decimal digits of n >= 0.",
             "def f(n):\n    return sum(int(d) for d in str(n))\n",
             lambda r, k: [r.randint(0, 99999)], lambda r: 0),
    _Problem("fib", 3, "f(n) that returns the n-th Fibonacci number, with f(0) = 0 and f(1) = 1.",
             "def f(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
             "    return a\n", lambda r, k: [r.randint(0, 30)], lambda r: 0),
    _Problem("primes", 3, "f(n) that returns how many prime numbers are smaller than n.",
             "def f(n):\n    return sum(all(p % d for d in range(2, p)) for p in range(2, n))\n",
             lambda r, k: [r.randint(0, 60)], lambda r: 0),
    _Problem("gcd", 3, "f(a, b) that returns the greatest common divisor of a > 0 and b > 0.",
             "def f(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n",
             lambda r, k: [r.randint(1, 12) * r.randint(1, 9), r.randint(1, 12) * r.randint(1, 9)],
             lambda r: 0),
    _Problem("rle", 3, "f(s) that returns the run-length encoding of s: each run of a letter "
             "as the letter then its count, e.g. f('aab') = 'a2b1'.",
             "def f(s):\n    out = ''\n    i = 0\n    while i < len(s):\n        j = i\n"
             "        while j < len(s) and s[j] == s[i]:\n            j += 1\n"
             "        out += s[i] + str(j - i)\n        i = j\n    return out\n",
             lambda r, k: [_word(r, "ab", 0, 9)], lambda r: 0),
)  # fmt: skip


def _reference(source: str) -> Callable:
    # Our own reference source (never model output) turned into a function on the host.
    namespace: dict = {}
    exec(compile(source, "<reference>", "exec"), namespace)  # noqa: S102 - trusted template
    return namespace["f"]


def generate(seed: int, difficulty: int = 1) -> Task:
    rng = random.Random(f"{NAME}:{seed}:{difficulty}")
    level = min(difficulty, 3)
    problem = rng.choice([p for p in _PROBLEMS if p.level == level])
    k = problem.param(rng)
    source = problem.source.format(k=k)
    reference = _reference(source)
    tests, seen = [], set()
    for _ in range(100 * N_TESTS):
        args = problem.inputs(rng, k)
        key = json.dumps(args)
        if key not in seen:
            seen.add(key)
            tests.append([args, json.loads(json.dumps(reference(*args)))])
        if len(tests) == N_TESTS:
            break
    return Task(
        family=NAME,
        prompt="Write a Python function " + problem.spec.format(k=k),
        answer=source,
        seed=seed,
        difficulty=difficulty,
        meta={"problem": problem.name, "tests": tests},
    )


_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n?(.*?)```", re.DOTALL)


def solution_source(answer: str) -> str:
    """The code in an answer: the first fenced block when there is one, else the text."""
    fenced = _FENCE.search(answer)
    return fenced.group(1) if fenced else answer


def run_tests(source: str, tests: list, config: SandboxConfig = SANDBOX) -> tuple[int, str]:
    """How many of ``tests`` ([[args, expected], ...]) ``source``'s ``f`` passes, and a note."""
    inputs = json.dumps([args for args, _ in tests])
    result = run_python(_HARNESS, stdin=inputs, files={"solution.py": source}, config=config)
    outputs: dict[int, str] = {}
    note = ""
    for line in result.stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the solution's own prints
        if not isinstance(record, dict):
            continue
        if "load_error" in record:
            note = f"solution did not load: {record['load_error']}"
        i = record.get("i")
        if isinstance(i, int) and "out" in record and i not in outputs:
            outputs[i] = json.dumps(record["out"], sort_keys=True)
    passed = sum(
        outputs.get(i) == json.dumps(expected, sort_keys=True)
        for i, (_, expected) in enumerate(tests)
    )
    if not note and result.failure is not None:
        note = f"sandbox: {result.failure}"
    return passed, note or "ran"


def verify(completion: str, task: Task, allow_weak_sandbox: bool = False) -> RewardBreakdown:
    """Fraction of the hidden tests passed; ``allow_weak_sandbox`` is the caller's opt-in to
    running without bubblewrap (``SandboxConfig.allow_weak_sandbox``)."""
    answer = extract_answer(completion)
    if answer is None:
        return no_answer()
    tests = [list(t) for t in task.meta["tests"]]
    if not tests:
        return RewardBreakdown(accuracy=0.0, note="task has no tests")
    config = replace(SANDBOX, allow_weak_sandbox=allow_weak_sandbox)
    passed, note = run_tests(solution_source(answer), tests, config)
    return RewardBreakdown(
        accuracy=passed / len(tests), note=f"{passed}/{len(tests)} tests; {note}"
    )


FAMILY = FunctionFamily(NAME, generate, verify, "write f(...) in Python; reward = tests passed",
                        runs_code=True, lenient_fn=no_lenient)

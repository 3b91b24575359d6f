"""Countdown: reach a target with given numbers and + − × ÷.

The task TinyZero (Pan et al., 2025) used to reproduce R1-Zero's "aha" on small models; the
numbers game of the TV show *Countdown*.  The verifier parses the expression in the answer with
its own recursive-descent parser (model output is never evaluated by Python) and computes with
exact rationals (``fractions.Fraction``), so ``6/4*2`` is 3 exactly.

Rules checked:
* each given number may be used AT MOST ONCE (the TV show's rule; TinyZero required exactly
  once -- see departure 1); a number given twice may be used twice;
* only integer literals from the given numbers, ``+ - * /`` (also ``× ÷``) and parentheses;
  no unary minus, no concatenation of digits, no other operators (so no ``9**9**9``);
* division by zero makes the expression invalid; intermediate fractions are allowed;
* an optional trailing ``= <target>`` is accepted (``3*7+25 = 46``).

Difficulty d: d + 2 numbers, each in 1..10·d; the target is made by combining all of them, so a
solution always exists.

The worked trace works through the generator's own solution, one line per operation, each with
its column-arithmetic work (``arithmetic.binop_trace``); solutions with a division have none.

Departures:
1. At most once rather than exactly once: a shorter correct solution is still correct.
"""

from __future__ import annotations

import ast
import random
import re
from fractions import Fraction

from rocks.reason.tasks.arithmetic import binop_trace
from rocks.reason.tasks.base import (
    MAX_ANSWER_CHARS,
    FunctionFamily,
    RewardBreakdown,
    Task,
    extract_answer,
    no_answer,
)

NAME = "countdown"
MAX_TOKENS = 200
MAX_DEPTH = 50
MAX_TARGET = 999

_OPS = {"+": "+", "-": "-", "−": "-", "*": "*", "×": "*", "·": "*", "/": "/", "÷": "/"}
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


class ExpressionError(ValueError):
    """The answer is not a well-formed Countdown expression."""


def tokenize(text: str) -> list[str]:
    """Split into integer literals, the four operators (normalised to ASCII) and parentheses."""
    tokens: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "0123456789":
            j = i
            while j < len(text) and text[j] in "0123456789":
                j += 1
            if j - i > 6:
                raise ExpressionError("number too long")
            tokens.append(text[i:j])
            i = j
        elif c in _OPS:
            tokens.append(_OPS[c])
            i += 1
        elif c in "()":
            tokens.append(c)
            i += 1
        else:
            raise ExpressionError(f"unexpected character {c!r}")
        if len(tokens) > MAX_TOKENS:
            raise ExpressionError("expression too long")
    return tokens


class _Parser:
    """expr := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ;
    factor := INT | '(' expr ')'."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.literals: list[int] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("unexpected end of expression")
        self.pos += 1
        return tok

    def parse(self) -> Fraction:
        value = self.expr(0)
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()!r}")
        return value

    def expr(self, depth: int) -> Fraction:
        value = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.term(depth)
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self, depth: int) -> Fraction:
        value = self.factor(depth)
        while self.peek() in ("*", "/"):
            op = self.take()
            rhs = self.factor(depth)
            if op == "*":
                value = value * rhs
            elif rhs == 0:
                raise ExpressionError("division by zero")
            else:
                value = value / rhs
        return value

    def factor(self, depth: int) -> Fraction:
        tok = self.take()
        if tok == "(":
            if depth >= MAX_DEPTH:
                raise ExpressionError("parentheses nested too deeply")
            value = self.expr(depth + 1)
            if self.take() != ")":
                raise ExpressionError("missing ')'")
            return value
        if tok.isdigit():
            self.literals.append(int(tok))
            return Fraction(int(tok))
        raise ExpressionError(f"unexpected {tok!r}")


def evaluate(expression: str) -> tuple[Fraction, list[int]]:
    """The exact value of an expression and the integer literals it used, in order.

    Raises ``ExpressionError`` on anything that is not a Countdown expression.
    """
    parser = _Parser(tokenize(expression))
    value = parser.parse()
    return value, parser.literals


def uses_allowed(literals: list[int], numbers: tuple[int, ...]) -> bool:
    """True when every literal comes from ``numbers``, each given number used at most once."""
    pool = list(numbers)
    for n in literals:
        if n not in pool:
            return False
        pool.remove(n)
    return True


def check(expression: str, numbers: tuple[int, ...], target: int) -> tuple[bool, str]:
    """Whether ``expression`` reaches ``target`` under the rules above, and why not."""
    lhs, eq, rhs = expression.partition("=")
    if eq:
        if rhs.strip() != str(target):
            return False, "the part after '=' is not the target"
        expression = lhs
    try:
        tokens = tokenize(expression)
    except ExpressionError as e:
        return False, f"invalid expression: {e}"
    literals = [int(t) for t in tokens if t.isdigit()]
    if not uses_allowed(literals, numbers):
        return False, "uses a number not given, or a given number too often"
    try:
        value, _ = evaluate(expression)
    except ExpressionError as e:
        return False, f"invalid expression: {e}"
    if value != target:
        return False, f"evaluates to {value}, not {target}"
    return True, "reaches the target"


def _combine(rng: random.Random, items: list[tuple[Fraction, str, int]]) -> tuple[Fraction, str]:
    """Join random pairs until one expression remains; returns (value, text)."""
    items = list(items)
    while len(items) > 1:
        a, b = rng.sample(range(len(items)), 2)
        (va, ea, pa), (vb, eb, pb) = items[a], items[b]
        choices = ["+", "*"]
        if va - vb > 0:
            choices.append("-")
        if vb != 0 and (va / vb).denominator == 1:
            choices.append("/")
        op = rng.choice(choices)
        value = {"+": va + vb, "-": va - vb, "*": va * vb, "/": va / vb if vb else va}[op]
        prec = _PREC[op]
        left = f"({ea})" if pa < prec else ea
        right = f"({eb})" if pb < prec or (pb == prec and op in "-/") else eb
        items = [it for k, it in enumerate(items) if k not in (a, b)]
        items.append((value, f"{left}{op}{right}", prec))
    return items[0][0], items[0][1]


def generate(seed: int, difficulty: int = 1) -> Task:
    rng = random.Random(f"{NAME}:{seed}:{difficulty}")
    count = difficulty + 2
    top = 10 * difficulty
    for _ in range(1000):
        numbers = tuple(rng.randint(1, top) for _ in range(count))
        value, text = _combine(rng, [(Fraction(n), str(n), 3) for n in numbers])
        if value.denominator == 1 and 1 <= value <= MAX_TARGET and int(value) not in numbers:
            target = int(value)
            break
    else:  # pragma: no cover - 1000 misses would mean the generator is broken
        raise RuntimeError("countdown: no target found")
    shown = " ".join(str(n) for n in numbers)
    prompt = f"Using the numbers {shown}, make {target}. Use + - * / and each number at most once."
    return Task(
        family=NAME,
        prompt=prompt,
        answer=text,
        seed=seed,
        difficulty=difficulty,
        meta={"numbers": numbers, "target": target, "expression": text},
    )


def verify(completion: str, task: Task) -> RewardBreakdown:
    answer = extract_answer(completion)
    if answer is None:
        return no_answer()
    ok, why = check(answer, tuple(task.meta["numbers"]), int(task.meta["target"]))
    return RewardBreakdown(accuracy=1.0 if ok else 0.0, note=why)


# An arithmetic expression written in prose: numbers joined by at least one operator, maybe
# parenthesised, maybe followed by "= <number>" (the lenient reading's candidates).
_EXPRESSION = re.compile(
    r"[(\s]*\d+(?:\s*[-+*/×÷x]\s*[(\s]*\d+[)\s]*)+[)]*(?:\s*=\s*-?\d+)?"
)


def last_expression(completion: str, task: Task | None = None) -> str | None:
    """The last arithmetic expression written anywhere in ``completion`` (lenient reading)."""
    if not isinstance(completion, str):
        return None
    found = _EXPRESSION.findall(completion[-MAX_ANSWER_CHARS:])
    return found[-1].strip() if found else None


def expression_trace(expr: str) -> str | None:
    """Trace of an integer expression of + - * and parentheses: one line per operation."""
    try:
        tree = ast.parse(expr.replace("×", "*").replace("x", "*"), mode="eval")
    except SyntaxError:
        return None
    steps: list[str] = []
    ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}

    def walk(node: ast.AST) -> int | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v = walk(node.operand)
            return None if v is None else -v
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None:
                return None
            op = ops[type(node.op)]
            value = left + right if op == "+" else left - right if op == "-" else left * right
            work = binop_trace(left, op, right)
            if work is None:
                return None
            steps.append(f"{left}{op}{right}: {work} ={value}")
            return value
        return None

    if walk(tree.body) is None:
        return None
    return "\n".join(steps) if steps else None


def trace(task: Task) -> str | None:
    return expression_trace(str(task.meta["expression"]))


FAMILY = FunctionFamily(NAME, generate, verify, "reach a target with + - * / (exact rationals)",
                        trace_fn=trace, lenient_fn=last_expression)

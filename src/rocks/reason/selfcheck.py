"""Self-check anatomy: does a response check or revise itself?

DeepSeek-R1 (2025, §2.2.4, "aha moment") reports that during RL the model learns to "rethink"
and re-evaluate its first approach, quoting a response that says "Wait, wait. Wait. That's an
aha moment I can flag here." and starts over.  Liu et al. (2025, "Understanding R1-Zero-Like
Training", §2.2) count such self-reflection with keywords and find it already in base models.
Here a response counts as self-checking when it shows either of:

* a **marker**: a phrase of revision or verification ("wait", "actually", "let me check",
  "double-check", "verify", "mistake", "recalculate", ...), matched as whole words, any case;
* a **re-computation**: an equation ``a op b = c`` (``+ - * × x /``) whose operands are computed
  again later in the response, or checked by its inverse (``a + b = c`` then ``c - b = a``;
  ``a * b = c`` then ``c / b = a``).

``self_check(text)`` returns what was found; ``self_check_rate(texts)`` the share of responses
that check themselves, the number ``rocks reason eval`` and GRPO's logs report before and after
RL.

Departures:
1. Keywords and equations, not a judge model: cheap, deterministic, and biased toward English
   arithmetic; a marker may be used in passing ("wait for the result") and still counts, as in
   Liu et al.'s keyword count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MARKERS = (
    "wait", "actually", "hmm", "let me check", "let me verify", "let me recheck",
    "let me recalculate", "let me re-check", "let me double-check", "let's check",
    "let's verify", "let's double-check", "double-check", "double check", "re-check",
    "recheck", "verify", "verifying", "check again", "recalculate", "re-calculate",
    "re-evaluate", "reconsider", "mistake", "i made an error", "that's wrong", "that is wrong",
    "correction", "on second thought", "oops",
)  # fmt: skip
_MARKER = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(m) for m in sorted(MARKERS, key=len, reverse=True))
    + r")(?![\w-])",
    re.IGNORECASE,
)
_NUM = r"(-?\d+(?:\.\d+)?)"
_EQUATION = re.compile(_NUM + r"\s*([-+*/×x÷])\s*" + _NUM + r"\s*=\s*" + _NUM)
_OPS = {"×": "*", "x": "*", "÷": "/"}
_INVERSE = {"+": "-", "-": "+", "*": "/", "/": "*"}
MAX_CHARS = 100_000  # bounds the work on a runaway response


@dataclass(frozen=True)
class SelfCheck:
    """What one response shows.

    Attributes:
        markers: the revision/verification phrases found, lower-cased, in order.
        recomputed: equations computed again or checked by their inverse.
    """

    markers: tuple[str, ...]
    recomputed: int

    @property
    def checks(self) -> bool:
        """The response checks or revises itself (a marker or a re-computation)."""
        return bool(self.markers) or self.recomputed > 0


def equations(text: str) -> list[tuple[str, str, str, str]]:
    """Every ``a op b = c`` in ``text`` as strings (op normalised to ``+ - * /``)."""
    return [(a, _OPS.get(op, op), b, c) for a, op, b, c in _EQUATION.findall(text[:MAX_CHARS])]


def _recomputations(eqs: list[tuple[str, str, str, str]]) -> int:
    seen: set[tuple[str, str, str]] = set()
    results: dict[tuple[str, str, str], str] = {}  # inverse operands -> the original left side
    count = 0
    for a, op, b, c in eqs:
        key = (a, op, b)
        commuted = (b, op, a) if op in "+*" else None
        if key in seen or (commuted is not None and commuted in seen) or key in results:
            count += 1
        seen.add(key)
        # a op b = c is checked later by c inv b = a (or, for + and *, c inv a = b)
        inverse = _INVERSE[op]
        results[(c, inverse, b)] = a
        if op in "+*":
            results[(c, inverse, a)] = b
    return count


def self_check(text: str) -> SelfCheck:
    """The markers and re-computations in one response (see the module docstring)."""
    if not isinstance(text, str):
        return SelfCheck((), 0)
    text = text[:MAX_CHARS]
    markers = tuple(m.lower() for m in _MARKER.findall(text))
    return SelfCheck(markers, _recomputations(equations(text)))


def self_check_rate(texts: Iterable[str]) -> float:
    """The share of ``texts`` that check or revise themselves (0.0 for none)."""
    flags = [self_check(t).checks for t in texts]
    return sum(flags) / len(flags) if flags else 0.0

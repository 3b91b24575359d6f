"""The task contract of the R1-Zero side: a task instance, its family, the reward it earned.

DeepSeek-R1 (2025) trains against rule-based rewards only: an accuracy reward from a verifier
and a format reward, plus (in R1) a language-consistency reward.  As in nanochat's ``tasks/``,
each task family owns everything task-specific, and every stage (pretraining, GRPO, SFT, STaR,
tree search, evaluation) asks the task's family -- ``get_family(task.family)`` -- rather than
knowing about tasks itself.  A ``TaskFamily`` has:

* ``generate(seed, difficulty) -> Task``: deterministic in its arguments;
* ``prompt(task) -> str``: the exact text the model is conditioned on (``plain_prompt`` unless
  the family says otherwise);
* ``trace(task) -> str | None``: a worked reasoning trace for ``<think>`` (the pretraining
  scratchpad), or None when the family has none;
* ``verify(completion, task, allow_weak_sandbox=False) -> RewardBreakdown``: a pure function
  that never raises on any string (accuracy only; ``rocks.reason.rewards`` adds format,
  language and length).  ``allow_weak_sandbox`` matters only to families that run model-written
  code (``runs_code``): it is the caller's opt-in to ``rocks.reason.sandbox``'s fallback without
  bubblewrap, passed down as configuration (never read from the environment).

The seed split (``TRAIN_SEEDS``, ``PRETRAIN_SEEDS``, ``EVAL_SEED_BASE``) is part of the
contract: each consumer draws its task seeds from its own range, so held-out tasks are never
trained on.

Where the answer is read from (shared by all verifiers, see ``extract_answer``): the text of the
LAST ``<answer>…</answer>`` pair -- the STRICT reading, what the accuracy reward uses.  A
completion with a closing ``</answer>`` but no opening tag (the prompt template already ended
with ``<answer>``) counts too, from after the last ``</think>``.  A completion without
``</answer>`` -- untagged or truncated -- has no answer and earns accuracy 0; the format reward
(``rocks.reason.rewards``) judges the tags themselves.

For an honest account of what RL changed, evaluation also reads each completion LENIENTLY:
``lenient_answer(completion, task)`` is the family's final answer written anywhere in the
response, tags or not (by default the last number, ``last_number``; countdown its last
expression, parity its last "even"/"odd"), judged by the same verifier.  A lift in lenient
accuracy cannot come from learning the tag format alone.

Departures from the paper:
1. R1 asked for maths answers in a box; here every family reads the ``<answer>`` tag, so one
   rule covers all families.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

ANSWER_OPEN = "<answer>"
ANSWER_CLOSE = "</answer>"
THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

# Answers longer than this are not parsed: no task here has a reference answer near it, and it
# bounds the work a verifier does on a 1 MB completion.
MAX_ANSWER_CHARS = 4000

# The seed split.  GRPO, SFT and STaR draw training tasks from TRAIN_SEEDS, pretraining from
# PRETRAIN_SEEDS, and evaluation uses EVAL_SEED_BASE, EVAL_SEED_BASE + 1, ... (never drawn from).
EVAL_SEED_BASE = 900_000_000
TRAIN_SEEDS = range(0, EVAL_SEED_BASE // 2)
PRETRAIN_SEEDS = range(500_000_000, EVAL_SEED_BASE)


def draw_seed(rng: random.Random, seeds: range) -> int:
    """One seed from the range ``seeds`` (one ``rng.randrange`` call)."""
    return seeds.start + rng.randrange(len(seeds))


def held_out_seeds(count: int) -> range:
    """The first ``count`` evaluation seeds."""
    return range(EVAL_SEED_BASE, EVAL_SEED_BASE + count)


@dataclass(frozen=True)
class Task:
    """One task instance.

    Attributes:
        family: the task family's name, e.g. ``"countdown"``.
        prompt: the text the model sees (the question, without any chat template).
        answer: the reference answer as text (what a correct ``<answer>`` holds, canonical form).
        seed: the seed it was generated from; ``generate(seed, difficulty)`` is deterministic.
        difficulty: the family's difficulty knob (1 = easiest).
        meta: family-specific data the verifier needs (numbers, unit tests, ...), read-only.
    """

    family: str
    prompt: str
    answer: str
    seed: int
    difficulty: int = 1
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))


@dataclass(frozen=True)
class RewardBreakdown:
    """Each reward component in [0, 1] (length shaping may be negative), logged separately.

    ``total`` is the weighted sum the trainer optimises; see ``rocks.reason.rewards``.
    A verifier fills ``accuracy`` and ``note`` only; ``rewards.score`` fills the rest, including
    ``lenient`` (a logged measure, not a reward).
    """

    accuracy: float
    format: float = 0.0
    tags: float = 0.0
    language: float = 0.0
    length: float = 0.0
    total: float = 0.0
    note: str = ""
    lenient: float = 0.0  # accuracy read leniently (see module doc); never in ``total``


class TaskFamily(Protocol):
    """What every stage may ask of a task family (see the module docstring)."""

    name: str

    def generate(self, seed: int, difficulty: int = 1) -> Task: ...

    def prompt(self, task: Task) -> str: ...

    def trace(self, task: Task) -> str | None: ...

    def lenient_answer(self, completion: str, task: Task) -> str | None: ...

    def verify(
        self, completion: str, task: Task, allow_weak_sandbox: bool = False
    ) -> RewardBreakdown: ...


def plain_prompt(task: Task) -> str:
    """The default prompt: the task's question and a newline (what the bases were trained on)."""
    return task.prompt.rstrip() + "\n"


def no_trace(task: Task) -> None:
    """The default trace: none (the family has no worked scratchpad)."""
    return None


def extract_answer(completion: str) -> str | None:
    """The stripped text of the last answer tag pair, or None when there is none (see module doc).

    Never raises; answers longer than ``MAX_ANSWER_CHARS`` count as no answer.
    """
    if not isinstance(completion, str):
        return None
    end = completion.rfind(ANSWER_CLOSE)
    if end < 0:
        return None
    start = completion.rfind(ANSWER_OPEN, 0, end)
    if start >= 0:
        start += len(ANSWER_OPEN)
    else:
        think_end = completion.rfind(THINK_CLOSE, 0, end)
        start = think_end + len(THINK_CLOSE) if think_end >= 0 else 0
    text = completion[start:end].strip()
    if len(text) > MAX_ANSWER_CHARS:
        return None
    return text


_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def last_number(completion: str, task: Task | None = None) -> str | None:
    """The last number written anywhere in ``completion`` (the lenient reading of GSM8K-style
    evaluations), or None.  Digit-grouping commas are dropped; a trailing ``.0`` is kept for
    the verifier to judge."""
    if not isinstance(completion, str):
        return None
    found = _NUMBER.findall(completion[-MAX_ANSWER_CHARS:])
    if not found:
        return None
    return found[-1].replace(",", "")


def last_word_of(words: tuple[str, ...]) -> Callable[[str, Task], str | None]:
    """A lenient reader for option answers: the last of ``words`` in the response (any case)."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)

    def read(completion: str, task: Task | None = None) -> str | None:
        found = pattern.findall(completion) if isinstance(completion, str) else []
        return found[-1].lower() if found else None

    return read


def last_line(completion: str, task: Task | None = None) -> str | None:
    """The last non-empty line of the response (lenient reading of a sentence answer)."""
    if not isinstance(completion, str):
        return None
    lines = [ln.strip() for ln in completion[-MAX_ANSWER_CHARS:].splitlines() if ln.strip()]
    return lines[-1] if lines else None


def no_lenient(completion: str, task: Task | None = None) -> None:
    """For families without a lenient reading (code: only a tagged answer is run)."""
    return None


def no_answer(note: str = "no <answer>…</answer> found") -> RewardBreakdown:
    return RewardBreakdown(accuracy=0.0, note=note)


@dataclass(frozen=True)
class FunctionFamily:
    """A ``TaskFamily`` made of a module's pure functions (what the registry holds).

    ``runs_code``: ``verify_fn`` executes model-written code and takes the sandbox opt-in as a
    third argument, ``verify_fn(completion, task, allow_weak_sandbox)``.  ``lenient_fn`` reads
    the final answer anywhere in a response (module doc), None when there is none.
    """

    name: str
    generate_fn: Callable[[int, int], Task]
    verify_fn: Callable[..., RewardBreakdown]  # (completion, task[, allow_weak_sandbox])
    description: str = ""
    trace_fn: Callable[[Task], str | None] = no_trace
    prompt_fn: Callable[[Task], str] = plain_prompt
    runs_code: bool = False
    lenient_fn: Callable[[str, Task], str | None] = last_number

    def _own(self, task: Task) -> None:
        if task.family != self.name:
            raise ValueError(f"{self.name}: cannot handle a {task.family!r} task")

    def generate(self, seed: int, difficulty: int = 1) -> Task:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"{self.name}: seed must be an int, got {seed!r}")
        if not isinstance(difficulty, int) or isinstance(difficulty, bool) or difficulty < 1:
            raise ValueError(f"{self.name}: difficulty must be an int >= 1, got {difficulty!r}")
        return self.generate_fn(seed, difficulty)

    def prompt(self, task: Task) -> str:
        self._own(task)
        return self.prompt_fn(task)

    def trace(self, task: Task) -> str | None:
        self._own(task)
        return self.trace_fn(task)

    def lenient_answer(self, completion: str, task: Task) -> str | None:
        """The final answer written anywhere in ``completion`` (see the module doc)."""
        self._own(task)
        return self.lenient_fn(completion, task)

    def verify(
        self, completion: str, task: Task, allow_weak_sandbox: bool = False
    ) -> RewardBreakdown:
        self._own(task)
        if self.runs_code:
            return self.verify_fn(completion, task, allow_weak_sandbox)
        return self.verify_fn(completion, task)

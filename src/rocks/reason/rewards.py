"""Rule-based rewards for R1-Zero training: accuracy, format, tags, language consistency, length.

Follows DeepSeek-R1 (2025, §2.2.2 and §2.3.2): no learned reward model; an accuracy reward from a
verifier, a format reward for ``<think>…</think><answer>…</answer>``, and (R1, not R1-Zero) a
language-consistency reward, the share of the chain of thought in the target language.  The
optional length term is DAPO's overlong reward shaping (Yu et al., 2025, eq. 13):

    R_length(y) = 0                          if |y| <= L_max - L_cache
                = ((L_max - L_cache) - |y|) / L_cache   if L_max - L_cache < |y| <= L_max
                = -1                         if |y| > L_max

``score(completion, task, weights)`` returns every component separately and their weighted sum
``total``, plus ``lenient`` accuracy (the final answer read anywhere in the response, see
``rocks.reason.tasks.base``; logged, never rewarded); ``trl_reward_funcs`` wraps the components
as TRL reward functions.

Departures:
1. Format is all-or-nothing on a strict reading: exactly one ``<think>``, ``</think>``,
   ``<answer>``, ``</answer>``, in that order, only whitespace around and between the two
   blocks, nothing but whitespace after ``</answer>``, and a non-empty answer.  Nesting tricks
   (``<think><answer>x</answer></think>``) and truncated outputs therefore score 0.  An empty
   thought is allowed: a model pretrained on short answers starts from ``<think></think>``.
2. Language is measured by script, not by language: the share of letters in the thought that
   belong to the prompt's dominant Unicode script (LATIN for every task here).  A thought with
   no letters (pure arithmetic) counts as consistent; no thought at all scores 0.  Only the
   first ``LANGUAGE_SAMPLE_CHARS`` characters are read, which bounds the cost on huge outputs.
3. Length is counted in characters unless the caller passes ``length=`` (e.g. tokens).
4. ``tags`` (weight 0 unless asked) is partial format credit, open-r1's tag-count reward: 1/4
   for each of the four tags that appears exactly once.  A base that never writes the whole
   format (SmolLM2-135M: 0 of 32 samples) gives the all-or-nothing format reward no signal;
   this one rewards each step toward it.
5. ``format_needs_answer`` (on by default): format also asks that the answer be in the task's
   form, read as the family's lenient reader reads the gold answer (a number for arithmetic);
   where that reader cannot read the gold answer (code, no reader) any non-empty answer
   passes.  Without it, SmolLM2-135M learnt within 10 GRPO steps to copy the instruction's
   placeholder (``<answer> answer here </answer>``) for format and tags on every sample, which
   left no group a spread of rewards and stopped learning (experiment
   2026-12-01_14-51_r1-zero-on-smollm2-grpo-teaches-a-real, run-006).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from rocks.reason.sandbox import SandboxUnavailable
from rocks.reason.tasks import get_family
from rocks.reason.tasks.base import (
    ANSWER_CLOSE,
    ANSWER_OPEN,
    THINK_CLOSE,
    THINK_OPEN,
    RewardBreakdown,
    Task,
    extract_answer,
)

LANGUAGE_SAMPLE_CHARS = 100_000
COMPONENTS = ("accuracy", "format", "tags", "language", "length")


@dataclass(frozen=True)
class RewardWeights:
    """How the components add up to ``total``, and the length-shaping settings.

    Attributes:
        accuracy, format, tags, language, length: weights of each component in ``total``.
        max_length: DAPO's L_max (characters unless ``score(length=...)``); None = no shaping.
        cache_length: DAPO's L_cache, the soft band before L_max where the penalty ramps to -1.
        format_needs_answer: format counts only an answer in the task's form (departure 5).
        prefill: text the prompt template already put at the start of the completion (e.g.
            ``"<think>"``); it is prepended before the format and language checks.
        allow_weak_sandbox: a verifier that runs model-written code (the ``code`` family) may
            run it without bubblewrap, on weaker layers that share the host's file system (see
            ``rocks.reason.sandbox``); set by ``rocks reason ... --unsafe-no-bubblewrap``.
    """

    accuracy: float = 1.0
    format: float = 0.2
    tags: float = 0.0
    language: float = 0.0
    length: float = 1.0
    max_length: int | None = None
    cache_length: int = 0
    prefill: str = ""
    allow_weak_sandbox: bool = False
    format_needs_answer: bool = True

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            value = getattr(self, name)
            if not isinstance(value, int | float) or value != value:
                raise ValueError(f"weight {name} must be a number, got {value!r}")
        if self.max_length is not None:
            if self.max_length < 1:
                raise ValueError(f"max_length must be >= 1, got {self.max_length}")
            if not 0 <= self.cache_length < self.max_length:
                raise ValueError(
                    f"cache_length must be in [0, max_length), got {self.cache_length}"
                )


def format_reward(completion: str) -> tuple[float, str]:
    """1.0 for exactly ``<think>…</think> <answer>…</answer>`` (departure 1), else 0.0 and why."""
    if not isinstance(completion, str):
        return 0.0, "not text"
    tags = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
    counts = [completion.count(tag) for tag in tags]
    if counts != [1, 1, 1, 1]:
        missing = [t for t, c in zip(tags, counts, strict=True) if c == 0]
        if missing:
            return 0.0, "missing " + " ".join(missing)
        return 0.0, "a tag appears more than once"
    positions = [completion.index(tag) for tag in tags]
    if positions != sorted(positions):
        return 0.0, "tags out of order"
    t_open, t_close, a_open, a_close = positions
    if completion[:t_open].strip():
        return 0.0, "text before <think>"
    if completion[t_close + len(THINK_CLOSE) : a_open].strip():
        return 0.0, "text between </think> and <answer>"
    if completion[a_close + len(ANSWER_CLOSE) :].strip():
        return 0.0, "text after </answer>"
    if not completion[a_open + len(ANSWER_OPEN) : a_close].strip():
        return 0.0, "empty answer"
    return 1.0, "well formed"


def answer_in_task_form(completion: str, task: Task) -> bool:
    """Whether the tagged answer of ``completion`` is in the form of ``task``'s gold answer
    (departure 5): the family's lenient reader finds an answer in it wherever it can read the
    gold one.  False when there is no tagged answer."""
    answer = extract_answer(completion)
    if not answer:
        return False
    family = get_family(task.family)
    try:
        if family.lenient_answer(task.answer, task) is None:
            return True  # the reader cannot read this family's answers: nothing to ask
        return family.lenient_answer(answer, task) is not None
    except Exception:  # noqa: BLE001 - a reader bug must not end a training run
        return True


def tag_reward(completion: str) -> float:
    """Partial format credit (departure 4): 1/4 per tag that appears exactly once."""
    if not isinstance(completion, str):
        return 0.0
    tags = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
    return sum(completion.count(tag) == 1 for tag in tags) / len(tags)


def thought(completion: str) -> str | None:
    """The text inside the first ``<think>…</think>``, or None when there is no closed thought."""
    start = completion.find(THINK_OPEN)
    if start < 0:
        return None
    start += len(THINK_OPEN)
    end = completion.find(THINK_CLOSE, start)
    return None if end < 0 else completion[start:end]


def _script(char: str) -> str:
    if char.isascii():
        return "LATIN"
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def dominant_script(text: str) -> str:
    """The Unicode script most letters of ``text`` belong to (LATIN when it has no letters)."""
    counts: dict[str, int] = {}
    for char in text[:LANGUAGE_SAMPLE_CHARS]:
        if char.isalpha():
            script = _script(char)
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda s: counts[s]) if counts else "LATIN"


def language_reward(completion: str, prompt: str) -> float:
    """Share of the thought's letters in the prompt's script (departure 2)."""
    text = thought(completion) if isinstance(completion, str) else None
    if text is None:
        return 0.0
    target = dominant_script(prompt)
    letters = same = 0
    for char in text[:LANGUAGE_SAMPLE_CHARS]:
        if char.isalpha():
            letters += 1
            same += _script(char) == target
    return 1.0 if letters == 0 else same / letters


def length_reward(length: int, weights: RewardWeights) -> float:
    """DAPO's overlong shaping: 0 while short, a linear ramp to -1 in the cache band, then -1."""
    if weights.max_length is None:
        return 0.0
    soft = weights.max_length - weights.cache_length
    if length <= soft:
        return 0.0
    if length > weights.max_length:
        return -1.0
    return (soft - length) / weights.cache_length


def accuracy_reward(
    completion: str, task: Task, allow_weak_sandbox: bool = False
) -> RewardBreakdown:
    """The family verifier's verdict; a verifier that raises (a bug) scores 0 with the reason.

    ``allow_weak_sandbox`` is passed to the family (see ``RewardWeights``).

    ``SandboxUnavailable`` is not one bad sample but a machine that cannot run code safely: it
    propagates, so a run stops with the install command instead of scoring every sample 0.
    """
    try:
        return get_family(task.family).verify(completion, task, allow_weak_sandbox)
    except SandboxUnavailable:
        raise
    except Exception as e:  # noqa: BLE001 - one bad sample must not end a training run
        return RewardBreakdown(accuracy=0.0, note=f"verifier error: {type(e).__name__}: {e}")


def lenient_accuracy(completion: str, task: Task, strict: float,
                     allow_weak_sandbox: bool = False) -> float:
    """Accuracy of the family's lenient reading of ``completion`` (at least ``strict``): the
    final answer written anywhere, judged by the same verifier as if it had been tagged."""
    if strict >= 1.0:
        return strict
    candidate = get_family(task.family).lenient_answer(completion, task)
    if candidate is None:
        return strict
    verdict = accuracy_reward(f"{ANSWER_OPEN}{candidate}{ANSWER_CLOSE}", task, allow_weak_sandbox)
    return max(strict, verdict.accuracy)


def score(
    completion: str,
    task: Task,
    weights: RewardWeights | None = None,
    *,
    length: int | None = None,
) -> RewardBreakdown:
    """Every reward component of one completion for ``task`` and their weighted total."""
    weights = weights or RewardWeights()
    if not isinstance(completion, str):
        completion = ""
    full = weights.prefill + completion
    verdict = accuracy_reward(full, task, weights.allow_weak_sandbox)
    fmt, fmt_note = format_reward(full)
    if fmt == 1.0 and weights.format_needs_answer and not answer_in_task_form(full, task):
        fmt, fmt_note = 0.0, "the answer is not in the task's form"
    tags = tag_reward(full)
    lang = language_reward(full, task.prompt)
    size = len(completion) if length is None else length
    shaped = length_reward(size, weights)
    total = (
        weights.accuracy * verdict.accuracy
        + weights.format * fmt
        + weights.tags * tags
        + weights.language * lang
        + weights.length * shaped
    )
    note = verdict.note if fmt == 1.0 else f"{verdict.note}; format: {fmt_note}"
    lenient = lenient_accuracy(full, task, verdict.accuracy, weights.allow_weak_sandbox)
    return replace(verdict, format=fmt, tags=tags, language=lang, length=shaped, total=total,
                   note=note, lenient=lenient)


def task_to_json(task: Task) -> str:
    """A task as one JSON string (a dataset column); ``task_from_json`` reverses it."""
    data = {f.name: getattr(task, f.name) for f in fields(task)}
    data["meta"] = dict(task.meta)
    return json.dumps(data)


def task_from_json(text: str) -> Task:
    data = json.loads(text)
    return Task(**data)


def task_from_row(row: Mapping[str, Any]) -> Task:
    """A task from dataset columns: ``task_json``, or ``family`` + ``seed`` (+ ``difficulty``),
    which regenerate it (generation is deterministic)."""
    if "task_json" in row:
        return task_from_json(row["task_json"])
    if "family" in row and "seed" in row:
        return get_family(row["family"]).generate(int(row["seed"]), int(row.get("difficulty", 1)))
    raise KeyError("a reward row needs a 'task_json' column or 'family' and 'seed' columns")


def _completion_text(completion: Any) -> str:
    # TRL passes plain strings, or for conversational data a list of {"role", "content"} dicts.
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        content = completion[-1].get("content", "")
        return content if isinstance(content, str) else ""
    return ""


def trl_reward_funcs(
    weights: RewardWeights | None = None, components: Iterable[str] = COMPONENTS
) -> list[Callable[..., list[float]]]:
    """TRL reward functions ``f(prompts, completions, **kwargs) -> list[float]``, one per component.

    Each returns its raw component (TRL logs each function under its ``__name__``, e.g.
    ``rocks_accuracy``); give ``trl_reward_weights(weights, components)`` to GRPOConfig's
    ``reward_weights`` so TRL's sum equals ``total``.  The dataset needs the columns
    ``task_json`` or ``family`` + ``seed`` (+ ``difficulty``), see ``task_from_row``.  The
    functions share a cache, so the verifier (maybe a sandbox run) runs once per completion.
    """
    weights = weights or RewardWeights()
    components = tuple(components)
    for name in components:
        if name not in COMPONENTS + ("total",):
            raise ValueError(f"unknown reward component {name!r}; known: {COMPONENTS}")
    cache: dict[tuple[str, str, int, int, str], RewardBreakdown] = {}

    def breakdowns(completions: list[Any], kwargs: dict[str, Any]) -> list[RewardBreakdown]:
        out = []
        for i, completion in enumerate(completions):
            row = {k: v[i] for k, v in kwargs.items() if isinstance(v, list) and len(v) > i}
            task = task_from_row(row)
            text = _completion_text(completion)
            key = (text, task.family, task.seed, task.difficulty, task.prompt)
            if key not in cache:
                if len(cache) > 4096:
                    cache.clear()
                cache[key] = score(text, task, weights)
            out.append(cache[key])
        return out

    def make(name: str) -> Callable[..., list[float]]:
        def reward(prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float]:
            return [float(getattr(b, name)) for b in breakdowns(completions, kwargs)]

        reward.__name__ = f"rocks_{name}"
        return reward

    return [make(name) for name in components]


def trl_reward_weights(
    weights: RewardWeights | None = None, components: Iterable[str] = COMPONENTS
) -> list[float]:
    """The weights matching ``trl_reward_funcs(weights, components)``, in the same order."""
    weights = weights or RewardWeights()
    return [1.0 if name == "total" else float(getattr(weights, name)) for name in components]

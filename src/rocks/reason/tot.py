"""Tree search over reasoning steps: best-first search over partial ``<think>`` traces.

Follows Tree of Thoughts (Yao et al. 2023, "Tree of Thoughts: Deliberate Problem Solving with
Large Language Models"): a thought is a partial chain of reasoning, the LM proposes the next
step, a value function scores states, and a search (BFS/beam or best-first) decides which state
to extend.  Here the LM is our policy, a state is the completion written so far (starting at
``<think>``), and a step is the text up to the next step delimiter.

    expand(s):  o_1..o_b ~ π(· | q, s)                     b rollouts from state s
                every o_j ending in an answer is checked by the verifier
                child_j = s + first step of o_j,  V(child_j) = mean_t log π(o_jt) - w · E(child_j)
    E(s)     =  number of false equations in s ("7+5=12", "3-5=8b" with its borrow, "12+34: … =46")

The comparison that matters is at equal cost: ``sample_at_budget`` draws independent samples
until the same number of sampled tokens is spent, and a task counts as solved by either method
when any answer found within the budget passes the verifier.

Departures:
1. Steps are cut at ``delimiters``; the default ("\\n", " ") splits our scratchpad at every
   column ("7-1=6:6 9-5=4:46"), whose one-operation traces fit on one line.
2. Expanding a state samples whole completions, not one step: each rollout is at once a
   candidate answer (verified at once, Monte-Carlo style) and the source of one child step,
   and its mean token log-prob is the child's value (the step's own log-prob would need the
   token-to-text alignment of every tokenizer; the rollout's works for any ``Policy``).
3. An expanded state goes back on the frontier with its value lowered by ``revisit_penalty``,
   so the search widens instead of stopping when every child closed its thought.
4. The verifier is an oracle for arithmetic (it knows the reference answer); for countdown it is
   a legitimate test-time check (target and numbers are in the prompt).  The comparison with
   sampling uses the same oracle on both sides; ``chosen`` is the no-oracle answer (the
   highest-valued finished rollout).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from rocks.reason.rewards import RewardWeights, score
from rocks.reason.tasks import prompt_text
from rocks.reason.tasks.base import Task

_SIMPLE = re.compile(r"(?<![\d:])(\d+)([+\-*])(\d+)(?:([+\-*])(\d+))?=(-?\d+)(b?)")
_WHOLE = re.compile(r"^\s*(-?\d+)\s*([+\-*])\s*(-?\d+)\s*:.*=\s*(-?\d+)\s*$")


def _apply(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def equation_errors(text: str) -> tuple[int, int]:
    """(equations checked, equations false) in ``text``, line by line.

    Reads column steps ``x op y [op c] = v`` (a trailing ``b`` marks a borrow: v is 10 more than
    the difference) and whole lines ``a op b: … =v``.  Everything else is ignored.
    """
    checked = wrong = 0
    for line in text.split("\n"):
        for m in _SIMPLE.finditer(line):
            x, op, y, op2, c, v, borrow = m.groups()
            value = _apply(int(x), op, int(y))
            if op2:
                value = _apply(value, op2, int(c))
            if borrow:
                value += 10
            checked += 1
            wrong += value != int(v)
        whole = _WHOLE.match(line)
        if whole:
            a, op, b, v = whole.groups()
            checked += 1
            wrong += _apply(int(a), op, int(b)) != int(v)
    return checked, wrong


@dataclass(frozen=True)
class ToTConfig:
    """Search settings.

    Attributes:
        token_budget: sampled tokens per task (prompt tokens are not counted).
        branch: rollouts per expansion (b).
        max_new_tokens: longest rollout.
        temperature: sampling temperature of rollouts.
        root: the state the search starts from (forces a thought).
        delimiters: where one step ends (departure 1).
        heuristic_weight: w, value lost per false equation.
        revisit_penalty: value lost by a state each time it is expanded (departure 3).
        max_depth: steps beyond which a state is not extended.
        stop_on_verified: stop at the first verified answer (off: spend the whole budget, to
            also measure the no-oracle choice).
    """

    token_budget: int = 400
    branch: int = 4
    max_new_tokens: int = 160
    temperature: float = 1.0
    root: str = "<think>"
    delimiters: tuple[str, ...] = ("\n", " ")
    heuristic_weight: float = 1.0
    revisit_penalty: float = 0.5
    max_depth: int = 24
    stop_on_verified: bool = True

    def __post_init__(self) -> None:
        if min(self.token_budget, self.branch, self.max_new_tokens, self.max_depth) < 1:
            raise ValueError(f"ToTConfig sizes must be >= 1: {self}")
        if not self.delimiters or any(not d for d in self.delimiters):
            raise ValueError("delimiters must be non-empty strings")


@dataclass(frozen=True)
class SearchResult:
    """What one search (or one budgeted sampling run) found.

    Attributes:
        solved: some answer within the budget passed the verifier.
        answer: the first verified completion ('' if none).
        tokens: sampled tokens spent.
        tokens_to_solve: tokens spent when the first verified answer appeared (-1 if none).
        rollouts: completions sampled.
        expansions: states expanded (0 for plain sampling).
        chosen: the highest-valued finished completion (no oracle), '' if none finished.
        chosen_correct: whether ``chosen`` passes the verifier.
        deepest: steps in the deepest state expanded (0: only the root was).
    """

    solved: bool
    answer: str
    tokens: int
    tokens_to_solve: int
    rollouts: int
    expansions: int
    chosen: str
    chosen_correct: bool
    deepest: int = 0


@dataclass(order=True)
class _Node:
    priority: float
    order: int
    text: str = field(compare=False)
    value: float = field(compare=False)
    depth: int = field(compare=False)


def first_step(text: str, delimiters: Sequence[str]) -> str | None:
    """``text`` up to and including its first delimiter, when that comes before ``</think>``."""
    close = text.find("</think>")
    limit = close if close >= 0 else len(text)
    cuts = [i for d in delimiters if 0 < (i := text.find(d)) < limit]
    if not cuts:
        return None
    cut = min(cuts)
    delim = next(d for d in delimiters if text.startswith(d, cut))
    return text[: cut + len(delim)]


def _finished(text: str) -> bool:
    return "</answer>" in text


class _Budget:
    """Counts sampled tokens row by row; a row that would overshoot is not taken."""

    def __init__(self, limit: int) -> None:
        self.limit, self.spent, self.exhausted = limit, 0, False

    def take(self, n: int) -> bool:
        if self.spent + n > self.limit:
            self.exhausted = True
            return False
        self.spent += n
        return True


@torch.no_grad()
def _rollouts(policy, prompt: str, n: int, cfg: ToTConfig, generator) -> list[tuple[str, int,
                                                                                    float]]:
    """n sampled continuations of ``prompt``: (text, tokens, mean token log-prob)."""
    samples = policy.sample([prompt] * n, cfg.max_new_tokens, cfg.temperature, generator)
    texts = policy.completions(samples)
    logp = policy.logprobs(policy.model, samples)
    lengths = samples.completion_mask.sum(-1)
    means = (logp.sum(-1) / lengths.clamp(min=1)).tolist()
    return list(zip(texts, lengths.tolist(), means, strict=True))


def tree_search(
    policy,
    task: Task,
    cfg: ToTConfig,
    verify: Callable[[str], bool],
    generator: torch.Generator | None = None,
    prompt: str | None = None,
) -> SearchResult:
    """Best-first search over partial thoughts for ``task`` within ``cfg.token_budget`` tokens.

    ``verify(completion)`` judges a finished completion (written from ``<think>`` on).
    """
    base = prompt_text(task) if prompt is None else prompt
    budget = _Budget(cfg.token_budget)
    counter = 0
    frontier = [_Node(0.0, counter, cfg.root, 0.0, 0)]
    seen = {cfg.root}
    answer, tokens_to_solve, rollouts, expansions, deepest = "", -1, 0, 0, 0
    chosen, chosen_value = "", float("-inf")
    while frontier and not budget.exhausted:
        node = heapq.heappop(frontier)
        try:
            batch = _rollouts(policy, base + node.text, cfg.branch, cfg, generator)
        except ValueError:
            # The state fills the model's context: no room for another token, so it is dropped.
            continue
        expansions += 1
        deepest = max(deepest, node.depth)
        for text, n_tokens, mean_logp in batch:
            if not budget.take(int(n_tokens)):
                break
            rollouts += 1
            full = node.text + text
            value = mean_logp - cfg.heuristic_weight * equation_errors(full)[1]
            if _finished(full) and value > chosen_value:
                chosen, chosen_value = full, value
            if not answer and _finished(full) and verify(full):
                answer, tokens_to_solve = full, budget.spent
            step = first_step(text, cfg.delimiters)
            if step is None or node.depth + 1 > cfg.max_depth:
                continue
            child = node.text + step
            if child in seen:
                continue
            seen.add(child)
            counter += 1
            child_value = mean_logp - cfg.heuristic_weight * equation_errors(child)[1]
            heapq.heappush(frontier, _Node(-child_value, counter, child, child_value,
                                           node.depth + 1))
        if answer and cfg.stop_on_verified:
            break
        counter += 1
        node.value -= cfg.revisit_penalty
        heapq.heappush(frontier, _Node(-node.value, counter, node.text, node.value, node.depth))
    return SearchResult(bool(answer), answer, budget.spent, tokens_to_solve, rollouts, expansions,
                        chosen, bool(chosen) and verify(chosen), deepest)


@torch.no_grad()
def sample_at_budget(
    policy,
    task: Task,
    token_budget: int,
    verify: Callable[[str], bool],
    batch: int = 8,
    max_new_tokens: int = 160,
    temperature: float = 1.0,
    prefix: str = "",
    generator: torch.Generator | None = None,
    stop_on_verified: bool = True,
) -> SearchResult:
    """Independent samples until ``token_budget`` sampled tokens are spent (the baseline).

    ``prefix`` (e.g. ``"<think>"``) is appended to the prompt and to every completion, like the
    search's root.  ``chosen`` is the finished sample of highest mean token log-prob.
    """
    cfg = ToTConfig(token_budget=token_budget, branch=batch, max_new_tokens=max_new_tokens,
                    temperature=temperature)
    budget = _Budget(token_budget)
    answer, tokens_to_solve, rollouts = "", -1, 0
    chosen, chosen_value = "", float("-inf")
    while not budget.exhausted:
        for text, n_tokens, mean_logp in _rollouts(policy, prompt_text(task) + prefix, batch, cfg,
                                                    generator):
            if not budget.take(int(n_tokens)):
                break
            rollouts += 1
            full = prefix + text
            if _finished(full) and mean_logp > chosen_value:
                chosen, chosen_value = full, mean_logp
            if not answer and _finished(full) and verify(full):
                answer, tokens_to_solve = full, budget.spent
        if answer and stop_on_verified:
            break
    return SearchResult(bool(answer), answer, budget.spent, tokens_to_solve, rollouts, 0, chosen,
                        bool(chosen) and verify(chosen))


def verifier_for(task: Task, weights: RewardWeights | None = None) -> Callable[[str], bool]:
    """Correct by the task's verifier and fully formatted (departure 4 on what it knows)."""

    def verify(completion: str) -> bool:
        b = score(completion, task, weights)
        return b.accuracy == 1.0 and b.format == 1.0

    return verify


@dataclass(frozen=True)
class CompareConfig:
    """``rocks reason tot``: tree search vs sampling at equal sampled-token budget.

    Attributes:
        model: checkpoint directory (TinyLM) or, with ``hf``, a transformers directory.
        family, difficulty, tasks: held-out tasks (seeds from ``EVAL_SEED_BASE``).
        batch: samples per call of the sampling baselines.
        search: the tree-search settings (its ``token_budget`` is every method's budget).
        reward: how a finished completion is scored (``prefill``, the sandbox opt-in).
        seed: sampling seed.
        out: directory for config.json and per_task.csv ('' = print only).
        hf: load ``model`` with transformers.
        gguf_file: a GGUF file inside ``model`` (with ``hf``).
        threads: torch CPU threads.
    """

    model: str = "models/reason/base"
    family: str = "arithmetic"
    difficulty: int = 2
    tasks: int = 50
    batch: int = 8
    search: ToTConfig = field(default_factory=ToTConfig)
    reward: RewardWeights = field(default_factory=RewardWeights)
    seed: int = 0
    out: str = ""
    hf: bool = False
    gguf_file: str = ""
    threads: int = 1


METHODS = ("sample", "sample_think", "tot")


def compare_at_budget(policy, tasks: Sequence[Task], cfg: CompareConfig,
                      progress: bool = False) -> list[dict]:
    """One row per (task, method): plain sampling, sampling from ``<think>``, tree search."""
    generator = torch.Generator().manual_seed(cfg.seed)
    s = cfg.search
    rows = []
    items = tasks
    if progress:
        from tqdm import tqdm

        items = tqdm(tasks, desc="tot vs sampling")
    for task in items:
        verify = verifier_for(task, cfg.reward)
        results = {
            "sample": sample_at_budget(policy, task, s.token_budget, verify, cfg.batch,
                                       s.max_new_tokens, s.temperature, "", generator,
                                       s.stop_on_verified),
            "sample_think": sample_at_budget(policy, task, s.token_budget, verify, cfg.batch,
                                             s.max_new_tokens, s.temperature, s.root, generator,
                                             s.stop_on_verified),
            "tot": tree_search(policy, task, s, verify, generator),
        }
        for method, r in results.items():
            rows.append({"seed": task.seed, "method": method, "solved": int(r.solved),
                         "chosen_correct": int(r.chosen_correct), "tokens": r.tokens,
                         "tokens_to_solve": r.tokens_to_solve, "rollouts": r.rollouts,
                         "expansions": r.expansions, "deepest": r.deepest})
    return rows


def summarise_methods(rows: Sequence[dict]) -> dict[str, dict[str, float]]:
    """Per method: solved rate, no-oracle accuracy, mean tokens and rollouts."""
    out: dict[str, dict[str, float]] = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        n = len(mine)
        out[method] = {"tasks": n, "solved": sum(r["solved"] for r in mine) / n,
                       "chosen_correct": sum(r["chosen_correct"] for r in mine) / n,
                       "tokens": sum(r["tokens"] for r in mine) / n,
                       "rollouts": sum(r["rollouts"] for r in mine) / n}
    return out

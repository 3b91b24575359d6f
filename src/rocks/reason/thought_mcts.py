"""MCTS over reasoning steps: AlphaZero's search with the LM as prior and a PRM (or rollouts)
as value.

AlphaZero (Silver et al. 2018) grows a tree by PUCT selection, expands a leaf with the policy's
priors, evaluates it with the value network and backs the value up the path:

    select:  a* = argmax_a  Q(s,a) + c_puct · P(s,a) · sqrt(N(s)) / (1 + N(s,a))
    expand:  children of the leaf s_L with priors P(s_L, ·) from the policy
    value:   v = V(s_L)  (a learned evaluator; here a process reward model, or the fraction of
             Monte-Carlo rollouts from s_L that the verifier accepts)
    backup:  N += 1, W += v, Q = W / N on every edge of the path

Over thoughts (as in "AlphaZero-like Tree-Search can Guide LLM Decoding and Training", Feng et
al. 2023, and rStar / ReST-MCTS*): a state is the text written after the prompt (from
``<think>``), an action is one reasoning step (the text up to the next delimiter), and a state
with ``</answer>`` is terminal, valued by the verifier (training) or the PRM (test time, no
oracle).  The search core ``run_mcts`` is generic over ``Environment`` so it can be tested on a
toy whose optimal step sequence is known; ``LMThoughts`` is the language-model environment.

Departures:
1. The prior over next steps is empirical: ``branch`` rollouts are sampled from the leaf and
   P(s, step) is the share of rollouts whose first step is ``step`` (identical steps merge),
   as in sampling-based MCTS for LLMs; the step's own log-prob needs token-to-text alignment
   that not every tokenizer gives.  A rollout with no delimiter before ``</think>`` becomes a
   terminal child (the whole completion).
2. The same rollouts are the leaf's Monte-Carlo value when there is no PRM (their verified
   share), and every finished rollout is checked at once, as in ``rocks.reason.tot``:
   ``solved`` means some answer within the budget passed the verifier.
3. The budget is sampled tokens (``token_budget``), like ``tot``, not simulations; a search
   stops at the first budget overshoot or after ``simulations``.
4. Unvisited children have Q = the parent's mean value (first-play urgency "parent"), so a
   sharp prior does not starve siblings whose value is unknown.
5. Its own small PUCT tree rather than ``rocks.search``'s: ``reason`` and the Go packages are
   independent by contract (docs/architecture.md, rule 4), and a text state needs none of the
   Go tree's batching, virtual loss or transpositions.
6. Progressive widening (Coulom 2007; Couëtoux et al. 2011, for continuous/sampled actions):
   sampled steps are a finite sample of an unbounded action set, so a visited node samples
   again (``widen``); without it a state whose rollouts all finish at once (parity's one-line
   traces) would be searched once and never again.
7. A trace without delimiters (parity's running parity, one digit per bit) is cut every
   ``step_chars`` characters instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import torch

from rocks.reason.tasks import prompt_text
from rocks.reason.tasks.base import Task
from rocks.reason.tot import SearchResult, first_step

# ------------------------------------------------------------------------------------------
# The generic search.


@dataclass(frozen=True)
class Expansion:
    """What an environment says about a leaf: its children (state, prior), its value in
    [0, 1], and whether it is terminal (then ``children`` is empty and ``value`` final)."""

    children: tuple[tuple[str, float], ...]
    value: float
    terminal: bool = False


class Environment(Protocol):
    """A tree of text states: ``expand`` a leaf, and say when the budget is spent."""

    def expand(self, state: str) -> Expansion | None: ...  # None: the budget ran out

    def exhausted(self) -> bool: ...


@dataclass
class Node:
    state: str
    prior: float
    depth: int = 0
    visits: int = 0
    value_sum: float = 0.0
    children: list[Node] = field(default_factory=list)
    expanded: bool = False
    expansions: int = 0
    terminal: bool = False
    terminal_value: float = 0.0

    @property
    def q(self) -> float:
        return self.value_sum / self.visits if self.visits else 0.0


@dataclass(frozen=True)
class MCTSConfig:
    """Search settings.

    Attributes:
        simulations: most selections from the root (the token budget usually ends it first).
        c_puct: exploration constant of PUCT.
        max_depth: steps beyond which a state is not expanded (it keeps its value).
        widen: progressive widening (departure 6): a node is expanded again, adding the new
            steps its fresh rollouts propose, once its visits reach ``widen`` x its expansions
            (0 = expand once).
    """

    simulations: int = 64
    c_puct: float = 1.5
    max_depth: int = 24
    widen: int = 4

    def __post_init__(self) -> None:
        if self.simulations < 1 or self.max_depth < 1 or self.c_puct < 0 or self.widen < 0:
            raise ValueError(f"MCTSConfig needs simulations, max_depth >= 1, c_puct >= 0: {self}")


def puct_child(node: Node, c_puct: float) -> Node:
    """The child maximising Q + c·P·sqrt(N)/(1+n); unvisited children take the parent's Q."""
    sqrt_n = math.sqrt(max(node.visits, 1))
    parent_q = node.q

    def score(child: Node) -> float:
        q = child.q if child.visits else parent_q
        return q + c_puct * child.prior * sqrt_n / (1 + child.visits)

    return max(node.children, key=score)


def run_mcts(env: Environment, root_state: str, cfg: MCTSConfig) -> Node:
    """Grow a tree from ``root_state`` until ``cfg.simulations`` or the env's budget; the root."""
    root = Node(root_state, 1.0)
    for _ in range(cfg.simulations):
        if env.exhausted():
            break
        node, path = root, [root]
        while node.expanded and node.children and not _widens(node, cfg):
            node = puct_child(node, cfg.c_puct)
            path.append(node)
        if node.terminal:
            value = node.terminal_value
        elif node.expanded and not _widens(node, cfg):  # a depth-limited or dead-end leaf
            value = node.q
        else:
            exp = env.expand(node.state)
            if exp is None:
                break
            node.expanded, value = True, exp.value
            node.expansions += 1
            if exp.terminal:
                node.terminal, node.terminal_value = True, exp.value
            elif node.depth < cfg.max_depth:
                _merge_children(node, exp.children)
        for n in path:
            n.visits += 1
            n.value_sum += value
    return root


def _widens(node: Node, cfg: MCTSConfig) -> bool:
    return (cfg.widen > 0 and node.expanded and not node.terminal and node.depth < cfg.max_depth
            and node.visits >= cfg.widen * node.expansions)


def _merge_children(node: Node, children: tuple[tuple[str, float], ...]) -> None:
    """Add an expansion's children; priors become the mean of each expansion's (a step seen
    in two of three expansions keeps two thirds of its share)."""
    n = node.expansions
    by_state = {c.state: c for c in node.children}
    for c in node.children:
        c.prior *= (n - 1) / n
    for state, prior in children:
        if state in by_state:
            by_state[state].prior += prior / n
        else:
            child = Node(state, prior / n, node.depth + 1)
            node.children.append(child)
            by_state[state] = child


def principal_variation(root: Node) -> list[Node]:
    """The most-visited path from the root (ties: higher Q)."""
    path, node = [root], root
    while node.children and any(c.visits for c in node.children):
        node = max(node.children, key=lambda c: (c.visits, c.q))
        path.append(node)
    return path


def visit_distribution(node: Node) -> dict[str, float]:
    """π(child) = N(child) / Σ N: AlphaZero's policy target at ``node``."""
    total = sum(c.visits for c in node.children)
    return {c.state: c.visits / total for c in node.children if c.visits} if total else {}


# ------------------------------------------------------------------------------------------
# The language-model environment.


@dataclass(frozen=True)
class ThoughtMCTSConfig:
    """MCTS over thoughts.

    Attributes:
        token_budget: sampled tokens per task.
        branch: rollouts per expansion (they give the priors and, without a PRM, the value).
        max_new_tokens, temperature: rollout sampling.
        root: the state the search starts from.
        delimiters: where a step ends.
        step_chars: when > 0, a step is this many characters instead (departure 7).
        mcts: the tree settings (simulations, c_puct, max_depth).
        stop_on_verified: stop at the first verified answer.
    """

    token_budget: int = 400
    branch: int = 4
    max_new_tokens: int = 160
    temperature: float = 1.0
    root: str = "<think>"
    delimiters: tuple[str, ...] = ("\n", " ")
    step_chars: int = 0
    mcts: MCTSConfig = field(default_factory=MCTSConfig)
    stop_on_verified: bool = True

    def __post_init__(self) -> None:
        if min(self.token_budget, self.branch, self.max_new_tokens) < 1:
            raise ValueError(f"ThoughtMCTSConfig sizes must be >= 1: {self}")


def next_step(text: str, delimiters: tuple[str, ...], step_chars: int = 0) -> str | None:
    """The first step of ``text``: up to its first delimiter (``tot.first_step``), or its first
    ``step_chars`` characters; None when the thought closes first."""
    if step_chars <= 0:
        return first_step(text, delimiters)
    close = text.find("</think>")
    return text[:step_chars] if step_chars <= (close if close >= 0 else len(text)) else None


ValueFn = Callable[[list[str]], list[float]]  # states (after the prompt) -> values in [0, 1]


class LMThoughts:
    """The tree of partial completions of one task, grown by sampling from ``policy``.

    ``verify(completion)`` judges a finished completion; ``value_fn`` (a PRM), when given,
    values non-terminal states and, with ``prm_terminal``, terminal ones too (no oracle).
    Records the Monte-Carlo statistics of every expanded state (``mc``: state -> [rollouts,
    verified]) -- Math-Shepherd labels for the PRM, for free -- and of every finished
    completion (its verdict).
    """

    def __init__(self, policy, prompt: str, verify: Callable[[str], bool], cfg: ThoughtMCTSConfig,
                 value_fn: ValueFn | None = None, prm_terminal: bool = False,
                 generator: torch.Generator | None = None) -> None:
        self.policy, self.prompt, self.verify, self.cfg = policy, prompt, verify, cfg
        self.value_fn, self.prm_terminal, self.generator = value_fn, prm_terminal, generator
        self.spent, self.over = 0, False
        self.answer, self.tokens_to_solve, self.rollouts, self.expansions = "", -1, 0, 0
        self.finished: dict[str, float] = {}  # finished completion -> its mean token log-prob
        self.mc: dict[str, list[int]] = {}

    def exhausted(self) -> bool:
        return self.over or (bool(self.answer) and self.cfg.stop_on_verified)

    def _terminal_value(self, state: str) -> float:
        if self.value_fn is not None and self.prm_terminal:
            return float(self.value_fn([state])[0])
        return float(self.verify(state))

    @torch.no_grad()
    def expand(self, state: str) -> Expansion | None:
        if "</answer>" in state:
            return Expansion((), self._terminal_value(state), terminal=True)
        cfg = self.cfg
        try:
            samples = self.policy.sample([self.prompt + state] * cfg.branch, cfg.max_new_tokens,
                                         cfg.temperature, self.generator)
        except ValueError:  # the state fills the model's context: a dead end
            return Expansion((), 0.0)
        texts = self.policy.completions(samples)
        lengths = samples.completion_mask.sum(-1).tolist()
        logp = self.policy.logprobs(self.policy.model, samples).sum(-1)
        self.expansions += 1
        counts: dict[str, int] = {}
        stats = self.mc.setdefault(state, [0, 0])
        for text, n, lp in zip(texts, lengths, logp.tolist(), strict=True):
            if self.spent + n > cfg.token_budget:
                self.over = True
                break
            self.spent += int(n)
            self.rollouts += 1
            full = state + text
            ok = "</answer>" in full and self.verify(full)
            stats[0] += 1
            stats[1] += int(ok)
            if "</answer>" in full:
                self.finished[full] = lp / max(n, 1)
                # a finished completion is labelled by the verifier (one "rollout"), so a PRM
                # trained on ``mc`` also learns to judge whole answers (MCTS's terminal states)
                done = self.mc.setdefault(full, [0, 0])
                done[0], done[1] = done[0] + 1, done[1] + int(ok)
            if ok and not self.answer:
                self.answer, self.tokens_to_solve = full, self.spent
            step = next_step(text, cfg.delimiters, cfg.step_chars)
            child = state + step if step is not None else full
            counts[child] = counts.get(child, 0) + 1
        if not counts:
            return None
        total = sum(counts.values())
        children = tuple((s, c / total) for s, c in counts.items())
        if self.value_fn is not None:
            value = float(self.value_fn([state])[0])
        else:
            value = stats[1] / max(stats[0], 1)
        return Expansion(children, value)


@dataclass(frozen=True)
class ThoughtSearch:
    """One MCTS over thoughts: the ``SearchResult`` (as ``tot`` reports it), the visit
    distributions along the principal variation (state -> {child: share}), and the Monte-Carlo
    statistics of every expanded state (state, rollouts, verified)."""

    result: SearchResult
    policy_targets: tuple[tuple[str, dict[str, float]], ...]
    mc: tuple[tuple[str, int, int], ...]


def mcts_search(
    policy,
    task: Task,
    cfg: ThoughtMCTSConfig,
    verify: Callable[[str], bool],
    value_fn: ValueFn | None = None,
    generator: torch.Generator | None = None,
    prompt: str | None = None,
    prm_terminal: bool = False,
) -> ThoughtSearch:
    """MCTS over steps for ``task`` within ``cfg.token_budget`` sampled tokens.

    ``chosen`` (no oracle) is the most-visited terminal state on the principal variation, else
    the finished rollout the PRM values most (without a PRM: the highest mean log-prob).
    ``prm_terminal``: terminal states are valued by ``value_fn`` too, so the tree never asks
    the verifier (test time without an oracle; ``solved`` still reports it).
    """
    env = LMThoughts(policy, prompt_text(task) if prompt is None else prompt, verify, cfg,
                     value_fn, prm_terminal, generator)
    root = run_mcts(env, cfg.root, cfg.mcts)
    pv = principal_variation(root)
    chosen = pv[-1].state if pv[-1].terminal else ""
    if not chosen and env.finished:
        candidates = list(env.finished)
        scores = value_fn(candidates) if value_fn is not None else list(env.finished.values())
        chosen = max(zip(scores, candidates, strict=True))[1]
    targets = tuple((n.state, visit_distribution(n)) for n in pv if n.children)
    result = SearchResult(bool(env.answer), env.answer, env.spent, env.tokens_to_solve,
                          env.rollouts, env.expansions, chosen,
                          bool(chosen) and verify(chosen), len(pv) - 1)
    mc = tuple((s, n, k) for s, (n, k) in env.mc.items())
    return ThoughtSearch(result, targets, mc)

"""Specification of MCTS over reasoning steps: PUCT finds the known optimal step sequence of a
toy task against a misleading prior, backs values up as means, respects the budget, and over a
scripted LM tree finds the verified answer and returns visit distributions as policy targets."""

from __future__ import annotations

import pytest
import torch

from rocks.reason.grpo import TinyLMPolicy
from rocks.reason.sft import encode_pairs
from rocks.reason.tasks.base import Task
from rocks.reason.thought_mcts import (
    Expansion,
    MCTSConfig,
    ThoughtMCTSConfig,
    mcts_search,
    next_step,
    principal_variation,
    run_mcts,
    visit_distribution,
)
from rocks.reason.tokenizer import CharTokenizer
from rocks.reason.tot import verifier_for
from tests.reason import fakes

TOK = CharTokenizer()


class Lock:
    """A combination lock: three steps, each a digit 0-2; only "201" opens (value 1).  The
    prior prefers "0" at every step (0.6 / 0.2 / 0.2) and non-terminal states are worth 0.5,
    so only search finds the combination."""

    def __init__(self, code: str = "201", budget: int = 10_000) -> None:
        self.code, self.budget, self.calls = code, budget, 0

    def exhausted(self) -> bool:
        return self.calls >= self.budget

    def expand(self, state: str) -> Expansion:
        self.calls += 1
        if len(state) == len(self.code):
            return Expansion((), float(state == self.code), terminal=True)
        return Expansion(((state + "0", 0.6), (state + "1", 0.2), (state + "2", 0.2)), 0.5)


def test_mcts_finds_the_only_opening_combination_against_a_misleading_prior():
    root = run_mcts(Lock(), "", MCTSConfig(simulations=300, c_puct=1.0))
    assert [n.state for n in principal_variation(root)] == ["", "2", "20", "201"]
    pi = visit_distribution(root)
    assert max(pi, key=pi.get) == "2" and pi["2"] > 0.5


def test_too_few_simulations_follow_the_prior_and_the_budget_stops_the_search():
    root = run_mcts(Lock(), "", MCTSConfig(simulations=2))
    assert root.visits == 2 and principal_variation(root)[1].state == "0"
    env = Lock(budget=5)
    root = run_mcts(env, "", MCTSConfig(simulations=300))
    assert env.calls == 5 and root.visits == 5


def test_backup_sums_each_node_s_own_values_and_its_subtree_s():
    root = run_mcts(Lock(), "", MCTSConfig(simulations=50))
    for node in (root, *root.children):
        if node.visits:
            assert node.visits == node.expansions + sum(c.visits for c in node.children)
            below = sum(c.value_sum for c in node.children)
            # 0.5: the value of each of its own expansions
            assert abs(node.value_sum - 0.5 * node.expansions - below) < 1e-9


class Draws:
    """Each expansion of the root proposes one finished answer, the n-th one "a<n>"; only
    "a3" is right: a search that expands the root once never sees it."""

    def __init__(self) -> None:
        self.n = 0

    def exhausted(self) -> bool:
        return False

    def expand(self, state: str) -> Expansion:
        if state.startswith("a"):
            return Expansion((), float(state == "a3"), terminal=True)
        self.n += 1
        return Expansion(((f"a{self.n}", 1.0),), 0.0)


def test_progressive_widening_samples_a_visited_node_again():
    once = run_mcts(Draws(), "", MCTSConfig(simulations=20, widen=0))
    assert [c.state for c in once.children] == ["a1"]
    widened = run_mcts(Draws(), "", MCTSConfig(simulations=20, widen=2))
    assert "a3" in [c.state for c in widened.children]
    assert principal_variation(widened)[-1].state == "a3"
    assert sum(c.prior for c in widened.children) == pytest.approx(1.0)


def test_a_step_ends_at_a_delimiter_or_after_step_chars_characters():
    assert next_step("7+5=12 1+1=2\n</think>", ("\n", " ")) == "7+5=12 "
    assert next_step("0110</think><answer>even</answer>", ("\n", " "), 3) == "011"
    assert next_step("01</think><answer>odd</answer>", ("\n", " "), 3) is None


class TreePolicy(TinyLMPolicy):
    """A fake LM over a scripted tree: from each state it proposes its listed continuations in
    turn, every token with log-prob -0.1."""

    def __init__(self, prompt: str, tree: dict[str, list[str]]) -> None:
        super().__init__(fakes.tiny_policy(max_len=96).model, TOK)
        self.prompt, self.tree, self.turn = prompt, tree, {}

    def sample(self, prompts, max_new_tokens, temperature, generator=None, prefix=""):
        picked = []
        for p in prompts:
            state = p[len(self.prompt):]
            i = self.turn.get(state, 0)
            self.turn[state] = i + 1
            picked.append(self.tree[state][i % len(self.tree[state])])
        self._last = picked
        return encode_pairs(self, [(p, t) for p, t in zip(prompts, picked, strict=True)])

    def completions(self, samples):
        return list(self._last)

    def logprobs(self, model, samples):
        return -0.1 * samples.completion_mask.float()


SEVEN_PLUS_FIVE = Task("arithmetic", "What is 7 + 5?", "12", seed=0,
                       meta={"a": 7, "b": 5, "op": "+", "result": 12})
# From "<think>" the LM mostly writes a wrong first step; after the right one it answers right.
TREE = {
    "<think>": ["7+5=13 </think><answer>13</answer>", "7+5=13 </think><answer>13</answer>",
                "7+5=13 </think><answer>13</answer>", "7+5=12 </think><answer>11</answer>"],
    "<think>7+5=13 ": ["</think><answer>13</answer>"],
    "<think>7+5=12 ": ["</think><answer>12</answer>"],
}


def test_mcts_over_thoughts_finds_the_verified_answer_and_returns_visit_targets():
    from rocks.reason.tasks import prompt_text

    policy = TreePolicy(prompt_text(SEVEN_PLUS_FIVE), TREE)
    cfg = ThoughtMCTSConfig(token_budget=2000, branch=4, stop_on_verified=False,
                            mcts=MCTSConfig(simulations=12))
    found = mcts_search(policy, SEVEN_PLUS_FIVE, cfg, verifier_for(SEVEN_PLUS_FIVE))
    r = found.result
    assert r.solved and r.answer == "<think>7+5=12 </think><answer>12</answer>"
    assert r.chosen == r.answer and r.chosen_correct  # the most visited path is the right one
    root_state, pi = found.policy_targets[0]
    assert root_state == "<think>" and max(pi, key=pi.get) == "<think>7+5=12 "
    mc = {s: (n, k) for s, n, k in found.mc}
    assert mc["<think>"][0] % 4 == 0 and mc["<think>"][1] == 0  # widened: 4 rollouts a time
    assert mc["<think>7+5=12 "][1] == mc["<think>7+5=12 "][0] > 0
    right = "<think>7+5=12 </think><answer>12</answer>"
    wrong = "<think>7+5=13 </think><answer>13</answer>"
    assert mc[right][1] == mc[right][0] > 0 and mc[wrong][1] == 0 < mc[wrong][0]  # verdicts
    assert r.tokens <= cfg.token_budget


def test_a_prm_value_replaces_the_rollouts_and_the_budget_caps_tokens():
    from rocks.reason.tasks import prompt_text

    policy = TreePolicy(prompt_text(SEVEN_PLUS_FIVE), TREE)
    asked: list[str] = []

    def prm(states):
        asked.extend(states)
        return [1.0 if "=12" in s and "<answer>11" not in s else 0.0 for s in states]

    cfg = ThoughtMCTSConfig(token_budget=60, branch=4, mcts=MCTSConfig(simulations=50))
    found = mcts_search(policy, SEVEN_PLUS_FIVE, cfg, verifier_for(SEVEN_PLUS_FIVE), prm,
                        generator=torch.Generator().manual_seed(0), prm_terminal=True)
    assert "<think>" in asked
    assert found.result.tokens <= 60

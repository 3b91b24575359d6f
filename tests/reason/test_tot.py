"""Specification of the tree search over reasoning steps: the partial-progress heuristic, step
cutting, the token budget, and finding a verified answer in a tiny scripted tree that plain
sampling at the same budget misses."""

from __future__ import annotations

import pytest
import torch

from rocks.reason.grpo import TinyLMPolicy
from rocks.reason.sft import encode_pairs
from rocks.reason.tasks import prompt_text
from rocks.reason.tasks.base import Task
from rocks.reason.tokenizer import CharTokenizer
from rocks.reason.tot import (
    CompareConfig,
    ToTConfig,
    compare_at_budget,
    equation_errors,
    first_step,
    sample_at_budget,
    summarise_methods,
    tree_search,
    verifier_for,
)
from tests.reason import fakes

TOK = CharTokenizer()
SEVEN_PLUS_FIVE = Task("arithmetic", "What is 7 + 5?", "12", seed=0,
                       meta={"a": 7, "b": 5, "op": "+", "result": 12})


def tiny_policy(seed: int = 0) -> TinyLMPolicy:
    return fakes.tiny_policy(seed, max_len=96)


class TreePolicy(TinyLMPolicy):
    """A fake LM over a scripted tree: from each state it proposes its listed continuations in
    turn, every token with the listed log-prob."""

    def __init__(self, prompt: str, tree: dict[str, list[tuple[str, float]]]) -> None:
        super().__init__(tiny_policy().model, TOK)
        self.prompt, self.tree, self.turn = prompt, tree, {}
        self.states: list[str] = []

    def sample(self, prompts, max_new_tokens, temperature, generator=None, prefix=""):
        picked = []
        for p in prompts:
            state = p[len(self.prompt):]
            self.states.append(state)
            options = self.tree[state]
            i = self.turn.get(state, 0)
            self.turn[state] = i + 1
            picked.append(options[i % len(options)])
        self._last = picked
        return encode_pairs(self, [(p, t) for p, (t, _) in zip(prompts, picked, strict=True)])

    def completions(self, samples):
        return [t for t, _ in self._last]

    def logprobs(self, model, samples):
        lp = torch.tensor([v for _, v in self._last])[:, None]
        return lp * samples.completion_mask


TREE = {
    "": [("<think></think><answer>13</answer>", -0.1)],
    "<think>": [("7+5=13 </think><answer>13</answer>", -0.5),
                ("7+5=12 </think><answer>11</answer>", -0.5)],
    "<think>7+5=13 ": [("</think><answer>13</answer>", -0.1)],
    "<think>7+5=12 ": [("</think><answer>12</answer>", -0.1)],
}


def test_equation_errors_checks_column_steps_borrows_and_whole_lines():
    assert equation_errors("2+4=6:6 1+3=4:46") == (2, 0)
    assert equation_errors("2+4=6:6 1+3=5:56") == (2, 1)
    assert equation_errors("7+8+1=16:6") == (1, 0)
    assert equation_errors("3-5=8b:8 9-1-1=7:78") == (2, 0)
    assert equation_errors("12+34: 2+4=6:6 1+3=4:46 =47") == (3, 1)
    assert equation_errors("no numbers here") == (0, 0)


def test_a_step_ends_at_the_first_delimiter_inside_the_thought():
    assert first_step("7+5=12 more", ("\n", " ")) == "7+5=12 "
    assert first_step("a\nb c", ("\n",)) == "a\n"
    assert first_step("12</think><answer>1 2</answer>", (" ",)) is None
    assert first_step(" lead", (" ",)) is None


def test_search_finds_the_verified_answer_that_sampling_misses_at_equal_budget():
    prompt = prompt_text(SEVEN_PLUS_FIVE)
    verify = verifier_for(SEVEN_PLUS_FIVE)
    cfg = ToTConfig(token_budget=200, branch=2, heuristic_weight=1.0)
    found = tree_search(TreePolicy(prompt, TREE), SEVEN_PLUS_FIVE, cfg, verify)
    assert found.solved and found.answer == "<think>7+5=12 </think><answer>12</answer>"
    assert verify(found.answer) and 0 < found.tokens_to_solve <= found.tokens <= 200
    assert found.deepest == 1  # it went one step below the root
    plain = sample_at_budget(TreePolicy(prompt, TREE), SEVEN_PLUS_FIVE, 200, verify, batch=2)
    assert not plain.solved and plain.tokens <= 200 and plain.rollouts > 2


def test_the_heuristic_steers_the_search_away_from_a_false_step():
    prompt = prompt_text(SEVEN_PLUS_FIVE)
    policy = TreePolicy(prompt, TREE)
    tree_search(policy, SEVEN_PLUS_FIVE, ToTConfig(token_budget=200, branch=2),
                verifier_for(SEVEN_PLUS_FIVE))
    assert "<think>7+5=13 " not in policy.states  # never expanded the state with 7+5=13


def test_without_an_answer_in_the_tree_the_search_spends_its_budget_and_fails():
    prompt = prompt_text(SEVEN_PLUS_FIVE)
    tree = {k: [(t.replace(">12<", ">10<"), v) for t, v in opts] for k, opts in TREE.items()}
    result = tree_search(TreePolicy(prompt, tree), SEVEN_PLUS_FIVE,
                         ToTConfig(token_budget=120, branch=2), verifier_for(SEVEN_PLUS_FIVE))
    assert not result.solved and result.answer == "" and result.tokens_to_solve == -1
    assert 120 - 40 < result.tokens <= 120 and result.chosen and not result.chosen_correct


def test_a_real_model_never_overspends_the_budget():
    task = SEVEN_PLUS_FIVE
    gen = torch.Generator().manual_seed(0)
    cfg = ToTConfig(token_budget=150, branch=3, max_new_tokens=30)
    result = tree_search(tiny_policy(), task, cfg, verifier_for(task), gen)
    assert result.tokens <= 150 and result.rollouts >= 3 and result.expansions >= 1
    plain = sample_at_budget(tiny_policy(), task, 150, verifier_for(task), batch=4,
                             max_new_tokens=30, generator=gen)
    assert plain.tokens <= 150 and plain.rollouts >= 4


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        ToTConfig(branch=0)
    with pytest.raises(ValueError):
        ToTConfig(delimiters=("",))


def test_the_comparison_runs_every_method_at_the_same_budget():
    policy = TreePolicy(prompt_text(SEVEN_PLUS_FIVE), TREE)
    cfg = CompareConfig(tasks=1, batch=2, search=ToTConfig(token_budget=200, branch=2,
                                                           stop_on_verified=False))
    rows = compare_at_budget(policy, [SEVEN_PLUS_FIVE], cfg)
    assert [r["method"] for r in rows] == ["sample", "sample_think", "tot"]
    assert all(120 < r["tokens"] <= 200 for r in rows)  # whole budget spent, never more
    summary = summarise_methods(rows)
    assert summary["tot"]["solved"] == 1.0
    assert summary["sample"]["solved"] == summary["sample_think"]["solved"] == 0.0


def test_cli_compares_methods_and_writes_per_task_rows(tmp_path, capsys):
    from rocks.reason.cli import main
    from rocks.reason.lm import save_checkpoint

    policy = tiny_policy()
    save_checkpoint(tmp_path / "m", policy.model, TOK, {})
    out = tmp_path / "tot"
    assert main(["tot", "--model", str(tmp_path / "m"), "--difficulty", "1", "--tasks", "1",
                 "--search.token-budget", "40", "--search.branch", "2", "--batch", "2",
                 "--search.max-new-tokens", "10",
                 "--out", str(out)]) == 0
    assert "tot: solved" in capsys.readouterr().out
    assert (out / "per_task.csv").read_text().count("\n") == 4  # header + 3 methods
    assert main(["tot", "--model", str(tmp_path / "missing")]) == 2

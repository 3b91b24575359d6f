"""Specification of expert iteration: a search round keeps the verified answers the search
found (and the Monte-Carlo statistics as PRM labels), training on them makes the expert's
answer more likely, and a run writes its rounds and resumes after the last finished one."""

from __future__ import annotations

import pytest

from rocks.reason.expert_iteration import (
    ExItConfig,
    improve,
    run_expert_iteration,
    search_round,
)
from rocks.reason.prm import ProcessRewardModel
from rocks.reason.sft import mean_nll
from rocks.reason.tasks import prompt_text
from rocks.reason.thought_mcts import MCTSConfig, ThoughtMCTSConfig
from rocks.reason.tot import ToTConfig
from tests.reason import fakes
from tests.reason.test_thought_mcts import SEVEN_PLUS_FIVE, TREE, TreePolicy


@pytest.mark.parametrize("search", ["tot", "mcts"])
def test_a_search_round_keeps_the_answer_that_sampling_would_rarely_find(search):
    import torch

    policy = TreePolicy(prompt_text(SEVEN_PLUS_FIVE), TREE)
    cfg = ExItConfig(search=search, prm=search == "mcts",
                     tot=ToTConfig(token_budget=2000, branch=4),
                     mcts=ThoughtMCTSConfig(token_budget=2000, branch=4,
                                            mcts=MCTSConfig(simulations=12)))
    done = search_round(policy, [SEVEN_PLUS_FIVE], cfg, None, torch.Generator().manual_seed(0))
    assert done.solved == 1 and done.tokens > 0
    assert [e.completion for e in done.examples] == ["<think>7+5=12 </think><answer>12</answer>"]
    if search == "mcts":
        labels = {e.prefix: e.label for e in done.prm_examples}
        assert labels["<think>"] == 0.0 and labels["<think>7+5=12 "] == 1.0


def test_improving_on_the_expert_answer_makes_it_more_likely_and_trains_the_prm():
    import torch

    expert = TreePolicy(prompt_text(SEVEN_PLUS_FIVE), TREE)
    cfg = ExItConfig(search="mcts", prm=True, epochs=5, batch_size=4, lr=3e-3,
                     mcts=ThoughtMCTSConfig(token_budget=2000, branch=4,
                                            mcts=MCTSConfig(simulations=12)))
    done = search_round(expert, [SEVEN_PLUS_FIVE], cfg, None, torch.Generator().manual_seed(0))
    policy = fakes.tiny_policy(seed=0, max_len=96)  # a real LM learns what the scripted one found
    before = mean_nll(policy, list(done.examples))
    prm = ProcessRewardModel.from_policy(policy)
    buffer: list = []
    sft_loss, prm_loss = improve(policy, prm, done, buffer, cfg, 0)
    assert mean_nll(policy, list(done.examples)) < before
    assert len(buffer) == len(done.prm_examples) > 0 and prm_loss == prm_loss


def test_a_run_logs_every_round_and_resumes_after_the_last_one(tmp_path):
    small = dict(family="arithmetic", difficulty=1, tasks_per_iteration=2, batch_size=2,
                 search="mcts", prm=True, out=str(tmp_path),
                 mcts=ThoughtMCTSConfig(token_budget=48, branch=2, max_new_tokens=12))
    policy = fakes.tiny_policy(seed=1, max_len=64)
    first = run_expert_iteration(policy, ExItConfig(iterations=1, **small))
    assert [r["iteration"] for r in first] == [1] and 0 < first[0]["tokens"] <= 2 * 48
    again = run_expert_iteration(fakes.tiny_policy(seed=1, max_len=64),
                                 ExItConfig(iterations=2, **small))
    assert [r["iteration"] for r in again] == [2]
    assert again[0]["train_tokens"] == first[0]["train_tokens"] + again[0]["tokens"]
    assert (tmp_path / "prm.pt").exists() and (tmp_path / "checkpoint").is_dir()
    rows = (tmp_path / "iterations.csv").read_text().strip().splitlines()
    assert len(rows) == 3


def test_the_visit_distribution_is_a_per_step_policy_target_the_policy_moves_towards():
    import torch

    from rocks.reason.expert_iteration import train_on_visits, visit_loss

    expert = TreePolicy(prompt_text(SEVEN_PLUS_FIVE), TREE)
    cfg = ExItConfig(search="mcts", policy_target="visits",
                     mcts=ThoughtMCTSConfig(token_budget=2000, branch=4, stop_on_verified=False,
                                            mcts=MCTSConfig(simulations=12)))
    done = search_round(expert, [SEVEN_PLUS_FIVE], cfg, None, torch.Generator().manual_seed(0))
    root = {step: w for ctx, step, w in done.visit_targets
            if ctx.endswith("<think>")}
    assert max(root, key=root.get) == "7+5=12 " and sum(root.values()) == pytest.approx(1.0)
    policy = fakes.tiny_policy(seed=0, max_len=96)
    right = [(prompt_text(SEVEN_PLUS_FIVE) + "<think>", "7+5=12 ", 1.0)]
    before = visit_loss(policy, right).item()
    losses = train_on_visits(policy, list(done.visit_targets), epochs=20, batch_size=8, lr=3e-3)
    assert losses and visit_loss(policy, right).item() < before
    with pytest.raises(ValueError, match="visits needs search='mcts'"):
        ExItConfig(search="tot", policy_target="visits")

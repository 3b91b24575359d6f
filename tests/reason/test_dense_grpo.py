"""Specification of GRPO with the PRM as a dense reward: tokens are matched to steps, each
step's tokens get the PRM's change of value across it (telescoping to outcome − V(root)), and a
step runs on a tiny model."""

from __future__ import annotations

import pytest
import torch

from rocks.reason.dense_grpo import dense_grpo_step, shaped_advantages, token_steps
from rocks.reason.grpo import GRPOConfig
from rocks.reason.prm import ProcessRewardModel
from rocks.reason.tasks import get_family
from tests.reason import fakes


def test_token_steps_put_each_token_in_the_step_it_ends_in():
    tokens = ["<think>", "1", "+", "1", "=", "2", " ", "</think>", "<answer>", "2"]
    ends = [len("<think>"), len("<think>1+1=2 ")]
    assert token_steps(tokens, ends) == [0, 1, 1, 1, 1, 1, 1, 2, 2, 2]


class FixedPRM:
    """V = 0.2 at the root, 0.9 after "1+1=2 "."""

    def values(self, texts):
        return [0.9 if t.endswith("1+1=2 ") else 0.2 for t in texts]


def test_step_shaping_adds_the_value_change_and_telescopes_to_outcome_minus_root():
    text = "<think>1+1=2 </think><answer>2</answer>"
    tokens = ["<think>", "1", "+", "1", "=", "2", " ", "</think>", "<answer>", "2", "</answer>"]
    adv, _ = shaped_advantages(FixedPRM(), ["Q"], [text], [tokens], torch.tensor([0.5]), [1.0],
                               weight=1.0, width=len(tokens))
    assert adv[0, 0] == pytest.approx(0.5)  # the root token: no shaping
    assert adv[0, 1:7].tolist() == pytest.approx([0.5 + 0.7] * 6)  # V: 0.2 -> 0.9
    assert adv[0, 7:].tolist() == pytest.approx([0.5 + 0.1] * 4)  # 0.9 -> the outcome 1
    no_think, _ = shaped_advantages(FixedPRM(), ["Q"], ["<answer>2</answer>"],
                                    [["<answer>", "2", "</answer>"]], torch.tensor([-1.0]), [0.0],
                                    weight=1.0, width=3)
    assert no_think.tolist() == [[-1.0, -1.0, -1.0]]


def test_a_dense_grpo_step_changes_the_policy_and_reports_its_tokens():
    policy = fakes.tiny_policy(seed=0, max_len=64)
    prm = ProcessRewardModel.from_policy(policy)
    before = [p.clone() for p in policy.model.parameters()]
    cfg = GRPOConfig(family="arithmetic", difficulty=1, prompts_per_step=2, group_size=2,
                     max_new_tokens=12, mu=1)
    opt = torch.optim.AdamW(policy.model.parameters(), lr=1e-2)
    tasks = [get_family("arithmetic").generate(s, 1) for s in (1, 2)]
    stats = dense_grpo_step(policy, prm, opt, tasks, cfg, 1.0, torch.Generator().manual_seed(0))
    assert 0 < stats["tokens"] <= 4 * 12
    # with random text the outcome advantage is 0: only the shaping (if any) or nothing moves
    changed = any(not torch.equal(a, b) for a, b in zip(before, policy.model.parameters(),
                                                        strict=True))
    assert changed or stats["shaping"] == 0.0

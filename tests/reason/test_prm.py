"""Specification of the process reward model: step prefixes, Math-Shepherd Monte-Carlo labels
on a hand-made example whose right labels are known, a PRM that learns to tell a right first
step from a wrong one, and the calibration table."""

from __future__ import annotations

import pytest
import torch

from rocks.reason.prm import (
    PRMExample,
    ProcessRewardModel,
    brier,
    calibration,
    expected_calibration_error,
    monte_carlo_labels,
    step_prefixes,
    train_prm,
)
from rocks.reason.tasks import prompt_text
from rocks.reason.tot import verifier_for
from tests.reason import fakes
from tests.reason.test_thought_mcts import SEVEN_PLUS_FIVE, TreePolicy


def test_step_prefixes_cut_at_each_delimiter_inside_the_thought():
    text = "<think>7+5=12 1+1=2\n</think><answer>12 3</answer>"
    assert step_prefixes(text) == ["<think>", "<think>7+5=12 ", "<think>7+5=12 1+1=2\n"]
    assert step_prefixes("<answer>1</answer>") == []
    parity = "<think>01101</think><answer>odd</answer>"
    assert step_prefixes(parity, step_chars=2) == ["<think>", "<think>01", "<think>0110"]


def test_monte_carlo_labels_are_the_share_of_verified_completions():
    # Hand-made: after "7+5=12 " the LM always answers 12 (right), after "7+5=13 " always 13,
    # and from "<think>" it writes the right step once in four.
    tree = {
        "<think>": ["7+5=13 </think><answer>13</answer>"] * 3
        + ["7+5=12 </think><answer>12</answer>"],
        "<think>7+5=12 ": ["</think><answer>12</answer>"],
        "<think>7+5=13 ": ["</think><answer>13</answer>"],
    }
    policy = TreePolicy(prompt_text(SEVEN_PLUS_FIVE), tree)
    examples, tokens = monte_carlo_labels(
        policy, SEVEN_PLUS_FIVE, ["<think>", "<think>7+5=12 ", "<think>7+5=13 ",
                                  "<think>7+5=12 </think><answer>12</answer>"],
        k=4, verify=verifier_for(SEVEN_PLUS_FIVE))
    assert [(e.prefix[-14:], e.label, e.rollouts) for e in examples] == [
        ("<think>", 0.25, 4), ("<think>7+5=12 ", 1.0, 4), ("<think>7+5=13 ", 0.0, 4),
        ("<answer>12</answer>"[-14:], 1.0, 0)]
    assert tokens > 0


def _hand_made(n: int) -> list[PRMExample]:
    """Prefixes whose first equation is right (label 1) or wrong (label 0)."""
    out = []
    for a in range(n):
        b = (a * 7 + 3) % 10
        prompt = f"What is {a} + {b}?"
        out.append(PRMExample(prompt, f"<think>{a}+{b}={a + b} ", 1.0, 8))
        out.append(PRMExample(prompt, f"<think>{a}+{b}={a + b + 5} ", 0.0, 8))
    return out


def test_a_prm_trained_on_hand_made_labels_ranks_a_right_step_above_a_wrong_one():
    policy = fakes.tiny_policy(seed=0, max_len=64)
    prm = ProcessRewardModel.from_policy(policy)
    before = [p.clone() for p in policy.model.parameters()]
    assert prm.values(["What is 1 + 2?<think>"]) == pytest.approx([0.5])
    torch.manual_seed(0)
    losses = train_prm(prm, _hand_made(10), epochs=60, batch_size=20, lr=3e-3)
    assert losses[-1] < 0.5 * losses[0]
    right, wrong = prm.values(["What is 4 + 1?<think>4+1=5 ", "What is 4 + 1?<think>4+1=10 "])
    assert right > 0.7 and wrong < 0.3
    assert all(torch.equal(a, b) for a, b in zip(before, policy.model.parameters(),
                                                 strict=True))  # a copy trained, not the policy


def _steps_with_known_values(prompts: range, hard: bool) -> list[PRMExample]:
    """Hand-made: after the step "ok " the answer is right 3 times in 4, after "no " once in 4,
    and from the root ("<think>", either step equally likely) half the time.  Soft labels are
    those true values (what Math-Shepherd's share tends to with many rollouts); hard labels are
    single verdicts, 1 in exactly that share of the prompts."""
    values = {"<think>": 0.5, "<think>ok ": 0.75, "<think>no ": 0.25}
    out = []
    for i, a in enumerate(prompts):
        prompt = f"What is {a} + {(a * 7 + 3) % 10}?"
        for prefix, v in values.items():
            label = float((i % 4) < 4 * v) if hard else v
            out.append(PRMExample(prompt, prefix, label, 1 if hard else 8))
    return out


def test_a_prm_trained_on_known_step_values_is_calibrated_on_held_out_prompts():
    policy = fakes.tiny_policy(seed=1, max_len=64)
    prm = ProcessRewardModel.from_policy(policy)
    torch.manual_seed(1)
    train_prm(prm, _steps_with_known_values(range(30), hard=False), epochs=40, batch_size=30,
              lr=3e-3)
    held = _steps_with_known_values(range(100, 140), hard=True)
    preds = prm.values([e.prompt + e.prefix for e in held])
    labels = [e.label for e in held]
    assert sum(labels) / len(labels) == pytest.approx(0.5)
    table = calibration(preds, labels, bins=5)  # the true values sit mid-bin
    # one bin per step kind, each predicting the share of its verdicts that are right
    assert [(b.count, b.mean_label) for b in table] == [(40, 0.25), (40, 0.5), (40, 0.75)]
    assert all(abs(b.mean_prediction - b.mean_label) < 0.08 for b in table)
    assert expected_calibration_error(table) < 0.05
    # Brier at its floor, the verdicts' own variance mean(v(1 - v)), below a constant 0.5's
    floor = (0.25 * 0.75 * 2 + 0.5 * 0.5) / 3
    assert brier(preds, labels) == pytest.approx(floor, abs=0.005)
    assert brier([0.5] * len(labels), labels) == pytest.approx(0.25)
    # the same verdicts judged by an overconfident scorer (1 / 0.5 / 0): ECE 1/6, caught
    sure = [1.0 if p > 0.6 else 0.0 if p < 0.4 else 0.5 for p in preds]
    assert expected_calibration_error(calibration(sure, labels, bins=5)) == pytest.approx(1 / 6)


def test_calibration_bins_ece_and_brier():
    preds = [0.05, 0.15, 0.12, 0.95, 0.85]
    labels = [0.0, 0.0, 1.0, 1.0, 1.0]
    table = calibration(preds, labels, bins=10)
    assert [(b.lo, b.count) for b in table] == [(0.0, 1), (0.1, 2), (0.8, 1), (0.9, 1)]
    assert table[1].mean_prediction == pytest.approx(0.135)
    assert table[1].mean_label == pytest.approx(0.5)
    ece = (1 * 0.05 + 2 * abs(0.5 - 0.135) + 1 * 0.15 + 1 * 0.05) / 5
    assert expected_calibration_error(table) == pytest.approx(ece)
    assert expected_calibration_error(calibration([0.5, 0.5], [0.0, 1.0])) == 0.0
    assert brier([1.0, 0.0], [1.0, 1.0]) == pytest.approx(0.5)


def test_the_reliability_plot_draws_the_diagonal_and_one_point_per_bin():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rocks.reason.prm import reliability_plot

    fig, ax = plt.subplots()
    reliability_plot(ax, calibration([0.1, 0.85, 0.88], [0.0, 1.0, 1.0]))
    assert len(ax.collections[0].get_offsets()) == 2
    assert "ECE" in ax.get_legend().get_texts()[1].get_text()
    plt.close(fig)

"""Specification of GRPO and Dr. GRPO: group-relative advantages, the clipped objective with the
k3 KL, the length-normalisation difference between the variants, and a few real training steps
on a tiny model (the CI smoke test)."""

from __future__ import annotations

import csv
import dataclasses
import json
import os

import pytest
import torch

from rocks.metrics import read_rows
from rocks.reason import grpo
from rocks.reason.evaluate import held_out_tasks
from rocks.reason.grpo import (
    OBJECTIVES,
    GRPOConfig,
    LossTerms,
    dr_group_advantages,
    dr_grpo_loss,
    group_advantages,
    grpo_loss,
    grpo_step,
    train,
    training_tasks,
)
from rocks.reason.tasks import EVAL_SEED_BASE
from rocks.reason.tokenizer import CharTokenizer
from tests.reason.fakes import tiny_policy

TOK = CharTokenizer()


def terms(adv, mask, old=None, ref=None, beta=0.0, eps=0.2, max_tokens=8) -> LossTerms:
    mask = torch.tensor(mask, dtype=torch.float32)
    old = torch.zeros_like(mask) if old is None else old
    return LossTerms(old, ref, torch.tensor(adv, dtype=torch.float32), mask, eps, beta, max_tokens)


def test_grpo_advantages_are_standardised_within_each_group():
    adv = group_advantages(torch.tensor([1.0, 0, 0, 0, 1, 1, 1, 1]), 4)
    torch.testing.assert_close(
        adv[:4], torch.tensor([3**0.5, -(3**-0.5), -(3**-0.5), -(3**-0.5)]), atol=1e-3, rtol=1e-3
    )
    assert adv[4:].abs().max() == 0  # all equal: no signal, no NaN


def test_dr_grpo_advantages_are_only_centred():
    adv = dr_group_advantages(torch.tensor([1.0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]), 4)
    torch.testing.assert_close(adv, torch.tensor([0.75, -0.25, -0.25, -0.25, 0, 0, 0, 0]))


def test_grpo_normalises_by_each_length_and_dr_grpo_by_the_budget():
    # Two completions, same advantage, lengths 2 and 4; gradient w.r.t. each token's log-prob.
    mask = [[1, 1, 0, 0], [1, 1, 1, 1]]
    for loss_fn, expected in (
        (grpo_loss, [[1 / 2, 1 / 2, 0, 0], [1 / 4] * 4]),
        (dr_grpo_loss, [[1 / 8, 1 / 8, 0, 0], [1 / 8] * 4]),
    ):
        logp = torch.zeros(2, 4, requires_grad=True)
        loss, _ = loss_fn(logp, terms([1.0, 1.0], mask, max_tokens=8))
        loss.backward()
        # loss = -mean over 2 completions, so each gradient is -(weight)/2.
        torch.testing.assert_close(-logp.grad * 2, torch.tensor(expected))


def test_clipping_stops_the_gradient_once_the_ratio_leaves_the_trust_region():
    old = torch.zeros(1, 2)
    logp = torch.tensor([[0.5, 0.0]], requires_grad=True)  # ratio e^0.5 > 1.2, and exactly 1
    loss, stats = grpo_loss(logp, terms([1.0], [[1, 1]], old=old))
    loss.backward()
    assert logp.grad[0, 0] == 0 and logp.grad[0, 1] < 0
    assert stats["clip_frac"] == pytest.approx(0.5)
    # A negative advantage is clipped on the other side: a ratio above 1+ε still gets gradient.
    logp = torch.tensor([[0.5]], requires_grad=True)
    grpo_loss(logp, terms([-1.0], [[1]], old=torch.zeros(1, 1)))[0].backward()
    assert logp.grad[0, 0] > 0


def test_k3_kl_is_zero_at_the_reference_and_pulls_back_towards_it():
    ref = torch.tensor([[-1.0, -2.0]])
    logp = ref.clone().requires_grad_(True)
    loss, stats = grpo_loss(logp, terms([0.0], [[1, 1]], old=ref, ref=ref, beta=0.1))
    assert stats["kl"] == pytest.approx(0.0)
    logp = (ref + 0.3).requires_grad_(True)  # policy above the reference
    loss, stats = grpo_loss(logp, terms([0.0], [[1, 1]], old=ref + 0.3, ref=ref, beta=0.1))
    loss.backward()
    assert stats["kl"] > 0 and (logp.grad > 0).all()  # descending lowers log π towards π_ref


def test_both_objectives_are_registered_by_name():
    assert OBJECTIVES["grpo"] == (group_advantages, grpo_loss)
    assert OBJECTIVES["dr_grpo"] == (dr_group_advantages, dr_grpo_loss)
    with pytest.raises(ValueError, match="objective"):
        GRPOConfig(objective="ppo")
    with pytest.raises(ValueError, match="group_size"):
        GRPOConfig(group_size=1)


def test_a_step_raises_the_probability_of_rewarded_samples():
    policy = tiny_policy()
    samples = policy.sample(["What is 1 + 1?\n"] * 2, 6, 1.0, torch.Generator().manual_seed(1))
    old = policy.logprobs(policy.model, samples).detach()
    opt = torch.optim.SGD(policy.model.parameters(), lr=0.5)
    t = terms(
        [1.0, -1.0],
        samples.completion_mask.tolist(),
        old=old,
        max_tokens=samples.completion_mask.shape[1],
    )
    loss, _ = grpo_loss(policy.logprobs(policy.model, samples), t)
    loss.backward()
    opt.step()
    new = policy.logprobs(policy.model, samples).detach()
    assert new[0].sum() > old[0].sum() and new[1].sum() < old[1].sum()


def test_training_tasks_never_touch_held_out_seeds():
    cfg = GRPOConfig(prompts_per_step=16)
    seeds = {t.seed for step in range(20) for t in training_tasks(cfg, step)}
    assert max(seeds) < EVAL_SEED_BASE
    assert min(t.seed for t in held_out_tasks("arithmetic", 2, 5)) >= EVAL_SEED_BASE


@pytest.mark.parametrize("objective", ["grpo", "dr_grpo"])
def test_smoke_a_few_steps_log_checkpoint_and_resume(tmp_path, objective):
    policy = tiny_policy()
    before = [p.detach().clone() for p in policy.model.parameters()]
    cfg = GRPOConfig(
        objective=objective,
        steps=2,
        prompts_per_step=2,
        group_size=4,
        max_new_tokens=12,
        beta=0.04,
        mu=2,
        eval_every=1,
        checkpoint_every=1,
        out=str(tmp_path / "run"),
    )
    # A dense stand-in reward (shorter is better) so the gradient is not zero on a random model.
    cfg = dataclasses.replace(
        cfg, reward=dataclasses.replace(cfg.reward, max_length=30, cache_length=29, length=1.0)
    )
    history = train(policy, cfg, evaluate_fn=lambda p, step: {"probe": float(step)})
    assert [h.step for h in history] == [1, 2]
    assert any((a != b).any() for a, b in zip(before, policy.model.parameters(), strict=True))
    rows = list(csv.DictReader((tmp_path / "run" / "log.csv").open()))
    assert [r["step"] for r in rows] == ["1", "2"]
    assert {"reward", "accuracy", "format", "response_tokens", "kl"} <= set(rows[0])
    assert (tmp_path / "run" / "checkpoint" / "model.safetensors").exists()
    # Resuming with a larger budget continues from step 2 instead of starting over.
    more = train(tiny_policy(), dataclasses.replace(cfg, steps=3))
    assert [h.step for h in more] == [3]
    evals = list(csv.DictReader((tmp_path / "run" / "eval.csv").open()))
    assert [e["step"] for e in evals] == ["0", "1", "2"]


def tiny_run(tmp_path, **changes) -> GRPOConfig:
    cfg = GRPOConfig(steps=2, prompts_per_step=1, group_size=2, max_new_tokens=4, mu=1,
                     eval_every=1, checkpoint_every=1, out=str(tmp_path / "run"))
    return dataclasses.replace(cfg, **changes)


def probe(policy, step: int) -> dict:
    return {"probe": float(step)}


def crash_during(step: int, cfg: GRPOConfig, monkeypatch) -> None:
    """Run ``cfg`` until it is killed in the middle of ``step``."""
    real_step = grpo.grpo_step

    def dies(*args, **kwargs):
        if args[5] == step:
            raise KeyboardInterrupt(f"killed during step {step}")
        return real_step(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(grpo, "grpo_step", dies)
        with pytest.raises(KeyboardInterrupt):
            train(tiny_policy(), cfg, evaluate_fn=probe)


def test_a_crash_between_checkpoints_does_not_duplicate_log_rows(tmp_path, monkeypatch):
    # Checkpoints at steps 3 and 6; the run dies during step 5, after step 4's rows were
    # logged.  Resuming from the step-3 checkpoint redoes steps 4-6: each step's row once.
    cfg = tiny_run(tmp_path, steps=6, checkpoint_every=3)
    crash_during(5, cfg, monkeypatch)
    assert [r["step"] for r in read_rows(tmp_path / "run" / "log.csv")] == ["1", "2", "3", "4"]
    train(tiny_policy(), cfg, evaluate_fn=probe)
    assert [r["step"] for r in read_rows(tmp_path / "run" / "log.csv")] == [
        "1", "2", "3", "4", "5", "6"]
    assert [r["step"] for r in read_rows(tmp_path / "run" / "eval.csv")] == [
        "0", "1", "2", "3", "4", "5", "6"]


def test_a_crash_before_the_first_checkpoint_starts_the_logs_afresh(tmp_path, monkeypatch):
    cfg = tiny_run(tmp_path, steps=3, checkpoint_every=3)
    crash_during(2, cfg, monkeypatch)
    train(tiny_policy(), cfg, evaluate_fn=probe)
    assert [r["step"] for r in read_rows(tmp_path / "run" / "log.csv")] == ["1", "2", "3"]
    assert [r["step"] for r in read_rows(tmp_path / "run" / "eval.csv")] == ["0", "1", "2", "3"]


def test_config_json_is_replaced_whole_never_rewritten_in_place(tmp_path):
    # A reader holding the old file (here: a second hard link to it) still sees the old config
    # whole: the new one was written elsewhere and moved over it (rocks.atomic), so a crash
    # mid-write can never leave a truncated config.json.
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"old": true}')
    os.link(run / "config.json", tmp_path / "reader.json")
    cfg = tiny_run(tmp_path, steps=1, eval_every=0)
    train(tiny_policy(), cfg)
    assert (tmp_path / "reader.json").read_text() == '{"old": true}'
    assert json.loads((run / "config.json").read_text())["steps"] == 1


def test_grpo_step_reports_group_statistics():
    policy = tiny_policy()
    cfg = GRPOConfig(prompts_per_step=2, group_size=3, max_new_tokens=8, mu=1)
    opt = torch.optim.AdamW(policy.model.parameters(), lr=1e-3)
    stats = grpo_step(policy, None, opt, training_tasks(cfg, 0), cfg, 1)
    assert 0 <= stats.accuracy <= 1 and 0 < stats.response_tokens <= 8
    assert stats.kl == 0.0  # β = 0: no reference model

"""Specification of the one-budget harness: every arm trains until the same count of sampled
tokens, logs held-out pass@1 against training tokens from 0 on, resumes after its last
evaluation point, and tests its final model at each test-time budget with each method."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rocks.metrics import read_rows
from rocks.reason.expert_iteration import ExItConfig
from rocks.reason.grpo import GRPOConfig
from rocks.reason.harness import ARMS, HarnessConfig, run_arm, train_arm
from rocks.reason.thought_mcts import ThoughtMCTSConfig
from rocks.reason.tot import ToTConfig
from tests.reason import fakes


def tiny(arm: str, out) -> HarnessConfig:
    return HarnessConfig(
        arm=arm, family="arithmetic", difficulty=1, train_tokens=60, eval_every_tokens=30,
        eval_tasks=2, eval_samples=1, max_new_tokens=10,
        grpo=GRPOConfig(prompts_per_step=2, group_size=2, eval_every=0, mu=1),
        sft_tasks=2, sft_k=2, sft_batch=2,
        exit=ExItConfig(tasks_per_iteration=2, batch_size=2, tot=ToTConfig(token_budget=20),
                        mcts=ThoughtMCTSConfig(token_budget=20, branch=2)),
        prm_tasks=1, prm_k=2, test_budgets=(20,), test_tasks=2, out=str(out))


@pytest.mark.parametrize("arm", sorted(ARMS))
def test_every_arm_trains_to_the_token_budget_and_is_tested_at_each_budget(arm, tmp_path):
    cfg = tiny(arm, tmp_path)
    summary = run_arm(fakes.tiny_policy(seed=0, max_len=48), cfg)
    curve = read_rows(tmp_path / "curve.csv")
    assert curve[0]["train_tokens"] == "0" and float(curve[0]["eval_tokens"]) > 0
    tokens = [int(r["train_tokens"]) for r in curve]
    assert tokens == sorted(tokens) and tokens[-1] >= cfg.train_tokens
    units = read_rows(tmp_path / "units.csv")
    assert sum(int(u["tokens"]) for u in units) == summary["train_tokens"] == tokens[-1]
    # one unit past the budget at most: the last unit is the one that crossed it
    assert sum(int(u["tokens"]) for u in units[:-1]) < cfg.train_tokens
    methods = {(r["method"], r["budget"]) for r in summary["test_time"]}
    assert methods == {("sample", 20), ("tot", 20), ("mcts", 20)}
    assert all(r["tokens"] <= 20 for r in summary["test_time"])
    assert (tmp_path / "prm.pt").exists() == (arm in "ef")


def test_a_rerun_resumes_after_the_last_evaluation_point(tmp_path):
    cfg = replace(tiny("a", tmp_path), test_budgets=())
    first = train_arm(fakes.tiny_policy(seed=0, max_len=48), replace(cfg, train_tokens=30))
    rows = read_rows(tmp_path / "curve.csv")
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["unit"] == first.unit and len(rows) == 2
    again = train_arm(fakes.tiny_policy(seed=0, max_len=48), cfg)
    assert again.unit > first.unit
    rows = read_rows(tmp_path / "curve.csv")
    assert [r["unit"] for r in rows][:2] == ["0", str(first.unit)]
    assert int(rows[-1]["train_tokens"]) >= cfg.train_tokens
    done = train_arm(fakes.tiny_policy(seed=0, max_len=48), cfg)  # finished: nothing more
    assert done.unit == again.unit and len(read_rows(tmp_path / "curve.csv")) == len(rows)


def test_an_unknown_arm_or_test_method_is_refused():
    with pytest.raises(ValueError, match="arm"):
        HarnessConfig(arm="z")
    with pytest.raises(ValueError, match="unknown test methods"):
        HarnessConfig(test_methods=("beam",))


def test_rocks_reason_harness_flags_are_its_fields_less_those_the_harness_sets():
    from rocks.configcli import config_from_args
    from rocks.reason.cli import build_parser

    args = build_parser().parse_args(["harness", "--arm", "e", "--train-tokens", "5000",
                                      "--exit.mcts.branch", "3", "--test-budgets", "40,80"])
    cfg = config_from_args(HarnessConfig, args)
    assert (cfg.arm, cfg.train_tokens, cfg.exit.mcts.branch, cfg.test_budgets) == (
        "e", 5000, 3, (40, 80))
    for flag in ("--grpo.family", "--exit.search", "--grpo.lora.rank"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["harness", flag, "1"])

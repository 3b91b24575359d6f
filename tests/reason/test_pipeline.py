"""Specification of the RL → RS-SFT → RL pipeline: each stage leaves a checkpoint, CSVs and a
done marker; a rerun goes on from the last finished stage with that stage's weights."""

from __future__ import annotations

import csv
import json

import pytest
import torch

from rocks.reason import pipeline
from rocks.reason.grpo import GRPOConfig
from rocks.reason.lm import load_checkpoint
from rocks.reason.pipeline import STAGES, PipelineConfig, run_pipeline, stage_configs
from rocks.reason.sft import SFTConfig
from rocks.reason.tokenizer import CharTokenizer
from tests.reason.fakes import tiny_policy

TOK = CharTokenizer()
REAL_GRPO, REAL_SFT = pipeline.run_grpo_stage, pipeline.run_sft_stage


def tiny_cfg(out) -> PipelineConfig:
    grpo = GRPOConfig(steps=1, prompts_per_step=2, group_size=2, max_new_tokens=12, mu=1,
                      eval_every=0, checkpoint_every=1)
    return PipelineConfig(family="arithmetic", difficulty=1, stage1=grpo,
                          stage2=SFTConfig(tasks=2, k=2, max_new_tokens=12, epochs=1),
                          stage3=grpo, eval_tasks=2, eval_samples=1, eval_max_new_tokens=12,
                          out=str(out))


def count_calls(monkeypatch, fail_on: str | None = None) -> list[str]:
    calls: list[str] = []

    def grpo(policy, cfg, progress=False):
        name = cfg.out.rsplit("/", 1)[-1]
        calls.append(name)
        if name == fail_on:
            raise RuntimeError("interrupted")
        return REAL_GRPO(policy, cfg, progress)

    def sft(policy, cfg, progress=False):
        calls.append(STAGES[1])
        return REAL_SFT(policy, cfg, progress)

    monkeypatch.setattr(pipeline, "run_grpo_stage", grpo)
    monkeypatch.setattr(pipeline, "run_sft_stage", sft)
    return calls


def test_stage_configs_share_the_task_and_live_in_their_own_directories(tmp_path):
    g1, s2, g3 = stage_configs(tiny_cfg(tmp_path))
    assert {c.family for c in (g1, s2, g3)} == {"arithmetic"}
    assert {c.difficulty for c in (g1, s2, g3)} == {1}
    assert [c.out for c in (g1, s2, g3)] == [str(tmp_path / s) for s in STAGES]
    assert g1.seed != g3.seed  # the second RL stage sees other prompts


def test_each_stage_writes_checkpoint_csv_and_marker(tmp_path, monkeypatch):
    calls = count_calls(monkeypatch)
    policy = tiny_policy()
    rows = run_pipeline(policy, tiny_cfg(tmp_path))
    assert calls == list(STAGES)
    assert [r["stage"] for r in rows] == ["base", *STAGES]
    for stage in STAGES:
        assert (tmp_path / stage / "done.json").exists()
        load_checkpoint(tmp_path / stage / "checkpoint")
    assert (tmp_path / STAGES[0] / "log.csv").exists()
    assert (tmp_path / STAGES[1] / "accepted.csv").exists()
    with (tmp_path / "stages.csv").open() as fh:
        table = list(csv.DictReader(fh))
    assert [r["stage"] for r in table] == ["base", *STAGES] and "pass1" in table[0]
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["resolved"][STAGES[1]]["out"] == str(tmp_path / STAGES[1])
    assert PipelineConfig().stage2.min_language == 1.0  # R1's language filter is on by default
    final, _, _ = load_checkpoint(tmp_path / STAGES[2] / "checkpoint")
    torch.testing.assert_close(final.state_dict(), policy.model.state_dict())


def test_a_rerun_resumes_from_the_last_completed_stage(tmp_path, monkeypatch):
    calls = count_calls(monkeypatch, fail_on=STAGES[2])
    with pytest.raises(RuntimeError, match="interrupted"):
        run_pipeline(tiny_policy(), tiny_cfg(tmp_path))
    assert calls == list(STAGES)
    assert not (tmp_path / STAGES[2] / "done.json").exists()
    after_sft, _, _ = load_checkpoint(tmp_path / STAGES[1] / "checkpoint")

    calls = count_calls(monkeypatch)
    seen = {}
    real = pipeline.run_grpo_stage

    def spy(policy, cfg, progress=False):
        seen["start"] = {k: v.clone() for k, v in policy.model.state_dict().items()}
        return real(policy, cfg, progress)

    monkeypatch.setattr(pipeline, "run_grpo_stage", spy)
    fresh = tiny_policy(seed=1)  # other weights: the resumed run must load stage 2's
    rows = run_pipeline(fresh, tiny_cfg(tmp_path))
    assert calls == [STAGES[2]]
    torch.testing.assert_close(seen["start"], after_sft.state_dict())
    assert [r["stage"] for r in rows] == ["base", *STAGES]

    calls = count_calls(monkeypatch)
    run_pipeline(tiny_policy(), tiny_cfg(tmp_path))
    assert calls == []  # everything finished: nothing reruns


def test_sft_from_base_restarts_stage_two_from_the_base_weights(tmp_path, monkeypatch):
    policy = tiny_policy()
    base = {k: v.clone() for k, v in policy.model.state_dict().items()}
    seen = {}
    real = pipeline.run_sft_stage

    def spy(pol, cfg, progress=False):
        seen["start"] = {k: v.clone() for k, v in pol.model.state_dict().items()}
        return real(pol, cfg, progress)

    monkeypatch.setattr(pipeline, "run_sft_stage", spy)
    cfg = tiny_cfg(tmp_path)
    run_pipeline(policy, PipelineConfig(**{**cfg.__dict__, "sft_from_base": True}))
    torch.testing.assert_close(seen["start"], base)


def test_cli_runs_the_pipeline_and_sft_and_star_for_a_few_steps(tmp_path):
    from rocks.reason.cli import main
    from rocks.reason.lm import save_checkpoint

    save_checkpoint(tmp_path / "m", tiny_policy().model, TOK, {})
    m = str(tmp_path / "m")
    assert main(["pipeline", "--base", m, "--difficulty", "1", "--stage1.steps", "1",
                 "--stage3.steps", "1", "--stage2.tasks", "2", "--stage2.k", "2",
                 "--stage2.epochs", "1", "--eval-tasks", "1", "--out", str(tmp_path / "r1")]) == 0
    assert (tmp_path / "r1" / STAGES[2] / "done.json").exists()
    assert main(["sft", "--base", m, "--difficulty", "1", "--tasks", "2", "--k", "2",
                 "--max-new-tokens", "12", "--out", str(tmp_path / "sft")]) == 0
    assert (tmp_path / "sft" / "checkpoint" / "model.safetensors").exists()
    assert main(["star", "--base", m, "--difficulty", "1", "--tasks", "2", "--k", "1",
                 "--iterations", "1", "--max-new-tokens", "12", "--out", str(tmp_path / "star")
                 ]) == 0
    assert (tmp_path / "star" / "iterations.csv").exists()
    assert main(["sft", "--base", str(tmp_path / "missing")]) == 2

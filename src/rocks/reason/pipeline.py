"""The DeepSeek-R1 multi-stage pipeline on our tasks: RL → rejection-sampling SFT → RL.

DeepSeek-R1 (2025, §2.3) does not stop at R1-Zero: (1) cold-start SFT, (2) reasoning-oriented
RL (GRPO), (3) rejection sampling from the RL checkpoint — keep correct, well-formatted,
single-language completions — and SFT on them, (4) RL again.  Without a human-written cold
start the pipeline here is stages 2-4:

    stage 1  GRPO from the base                      → stage1_grpo/{log.csv, eval.csv, checkpoint/}
    stage 2  RS-SFT of the stage-1 model on its own
             filtered samples (verifier, format,
             language)                               → stage2_rs_sft/{accepted.csv, log.csv, ...}
    stage 3  GRPO from the stage-2 model             → stage3_grpo/{...}

Every stage writes its checkpoint and a ``done.json`` (its held-out evaluation) when it
finishes; a rerun loads the last finished stage's checkpoint and goes on from there (a GRPO
stage interrupted midway resumes from its own ``state.pt``).  ``stages.csv`` has one row per
stage (plus the base) with held-out pass@1.

Departures:
1. No cold-start stage (R1's stage 1): our base already writes the format, and the point of the
   experiment is what RS-SFT adds between two RL stages.
2. R1's stage-3 data also mixes in non-reasoning SFT data (writing, QA); there is none here.
3. Stage 2 fine-tunes the stage-1 model (R1 fine-tuned DeepSeek-V3-Base on the new data); with
   one tiny model and minutes of CPU, continuing is the affordable choice (``sft_from_base``
   switches to R1's choice).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from rocks.atomic import write_json
from rocks.metrics import write_table
from rocks.reason.evaluate import evaluate, held_out_tasks
from rocks.reason.grpo import GRPOConfig, train
from rocks.reason.sft import (
    SFTConfig,
    load_policy_weights,
    run_sft,
    save_policy,
)

STAGES = ("stage1_grpo", "stage2_rs_sft", "stage3_grpo")


@dataclass(frozen=True)
class PipelineConfig:
    """One pipeline run (saved as ``config.json`` in ``out``).

    Attributes:
        base, hf, gguf_file: the starting model (recorded; the caller loads the policy):
            a TinyLM checkpoint directory, or with ``hf`` a transformers model directory
            (``gguf_file`` a GGUF file in it).
        family, difficulty, seed: applied to every stage (they override the stage configs).
        stage1, stage3: the two GRPO runs (their ``out`` is set to ``out/<stage>``).
        stage2: the rejection-sampling SFT (R1 filters on language too: ``min_language``).
        sft_from_base: stage 2 fine-tunes the base instead of the stage-1 model (departure 3).
        eval_tasks, eval_samples, eval_max_new_tokens: held-out evaluation after each stage.
        threads: torch CPU threads.
        out: run directory.
    """

    base: str = "models/reason/base"
    hf: bool = False
    gguf_file: str = ""
    family: str = "arithmetic"
    difficulty: int = 2
    seed: int = 0
    stage1: GRPOConfig = field(default_factory=lambda: GRPOConfig(steps=40, eval_every=0))
    stage2: SFTConfig = field(default_factory=lambda: SFTConfig(min_language=1.0))
    stage3: GRPOConfig = field(default_factory=lambda: GRPOConfig(steps=20, eval_every=0))
    sft_from_base: bool = False
    eval_tasks: int = 100
    eval_samples: int = 2
    eval_max_new_tokens: int = 160
    threads: int = 1
    out: str = "runs/pipeline"

    def __post_init__(self) -> None:
        if self.eval_tasks < 0 or self.eval_samples < 1:
            raise ValueError("eval_tasks must be >= 0 and eval_samples >= 1")


def stage_configs(cfg: PipelineConfig) -> tuple[GRPOConfig, SFTConfig, GRPOConfig]:
    """The three stage configs with the pipeline's task, seed, threads and directories."""
    out = Path(cfg.out)
    common = {"family": cfg.family, "difficulty": cfg.difficulty, "seed": cfg.seed,
              "threads": cfg.threads}
    # Stage 3 draws other training prompts than stage 1 (a different GRPO seed stream).
    return (
        replace(cfg.stage1, **common, out=str(out / STAGES[0])),
        replace(cfg.stage2, **common, out=str(out / STAGES[1])),
        replace(cfg.stage3, **{**common, "seed": cfg.seed + 1}, out=str(out / STAGES[2])),
    )


def run_grpo_stage(policy, cfg: GRPOConfig, progress: bool = False) -> dict:
    history = train(policy, cfg, None, progress=progress)
    if not history:
        return {}
    last = history[-1]
    return {"train_reward": last.reward, "train_accuracy": last.accuracy}


def run_sft_stage(policy, cfg: SFTConfig, progress: bool = False) -> dict:
    summary = run_sft(policy, cfg, progress=progress)
    return {"sft_examples": summary["examples"], "sft_nll_after": summary["nll_after"]}


def _evaluate(policy, cfg: PipelineConfig) -> dict:
    if not cfg.eval_tasks:
        return {}
    tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)
    summary, _ = evaluate(policy, tasks, cfg.eval_samples, 1.0, cfg.eval_max_new_tokens,
                          seed=cfg.seed)
    return {"pass1": summary.pass1, "pass_k": summary.pass_k, "format": summary.format,
            "think_rate": summary.think_rate, "think_chars": summary.think_chars}


def run_pipeline(policy, cfg: PipelineConfig, progress: bool = False) -> list[dict]:
    """Run (or resume) the three stages on ``policy``; returns the rows of ``stages.csv``.

    On return ``policy`` holds the stage-3 model.
    """
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    grpo1, sft, grpo3 = stage_configs(cfg)
    write_json(out / "config.json", {**asdict(cfg), "resolved": {
        STAGES[0]: asdict(grpo1), STAGES[1]: asdict(sft), STAGES[2]: asdict(grpo3)}})
    base_state = {k: v.detach().clone() for k, v in policy.model.state_dict().items()}
    rows: list[dict] = []
    base_file = out / "base_eval.json"
    if base_file.exists():
        base_row = json.loads(base_file.read_text())
    else:
        base_row = {"stage": "base", **_evaluate(policy, cfg)}
        write_json(base_file, base_row)
    rows.append(base_row)

    def sft_stage(pol, c: SFTConfig, prog: bool) -> dict:
        if cfg.sft_from_base:
            pol.model.load_state_dict(base_state)
        return run_sft_stage(pol, c, prog)

    plan: list[tuple[str, Callable[..., dict], object]] = [
        (STAGES[0], lambda pol, c, prog: run_grpo_stage(pol, c, prog), grpo1),
        (STAGES[1], sft_stage, sft),
        (STAGES[2], lambda pol, c, prog: run_grpo_stage(pol, c, prog), grpo3),
    ]
    for name, fn, stage_cfg in plan:
        stage_dir = out / name
        done = stage_dir / "done.json"
        if done.exists():
            load_policy_weights(policy, stage_dir / "checkpoint")
            rows.append(json.loads(done.read_text()))
            continue
        if progress:
            print(f"pipeline: {name}", flush=True)
        info = fn(policy, stage_cfg, progress)
        save_policy(policy, stage_dir / "checkpoint", {"pipeline": name, **info})
        row = {"stage": name, **info, **_evaluate(policy, cfg)}
        write_json(done, row)
        rows.append(row)
        write_table(out / "stages.csv", rows)  # columns: every key, in order of first use
    write_table(out / "stages.csv", rows)
    return rows

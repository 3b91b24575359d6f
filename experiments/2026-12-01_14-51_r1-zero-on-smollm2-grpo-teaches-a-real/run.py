"""R1-Zero on a real pretrained LM: GRPO (LoRA) from SmolLM2-135M-Instruct on this CPU.

Follows DeepSeek-R1-Zero (DeepSeek-AI 2025: on-policy GRPO against rule-based rewards, from a
pretrained base, no supervised reasoning data) on a base that someone else pretrained on real
text: SmolLM2-135M-Instruct (``rocks.reason.pretrained``, ``--model smollm2``).  The lift is
claimed on LENIENT held-out accuracy (the final answer anywhere in the response), so learning
the ``<think>/<answer>`` format alone cannot produce it; strict accuracy, format, language and
the self-check rate are logged beside it (``rocks.reason.evaluate``).

Departures from R1-Zero: 1. a 135M instruct model, prompted through its chat template with the
R1-Zero instruction as the system message and the reply opened with ``<think>``
(``pretrained.PREFILL``); 2. LoRA (rank ``lora_rank`` on every projection) instead of full
fine-tuning, so the result ships as a ~10 MB adapter; 3. tens of steps of a few prompts x G,
not thousands; 4. greedy held-out evaluation on ``eval_tasks`` tasks (pass@1 = accuracy);
5. sampling at T=0.7, and partial format credit (``tags_weight``): at T=1 the base never wrote
a tag pair, so neither the format nor the (tagged) accuracy reward had any signal.

Stages (``--stage``):
  base       the base on every candidate task (``candidates``: family:difficulty), held-out,
             strict and lenient; one row per candidate in base.csv (pick tasks at 5-50%);
  grpo       GRPO from the base on ``family``/``difficulty`` (``--seed``), resumable: rerun
             with ``rocks lab run EXP --resume RUN_ID`` and it continues from its state.pt;
             evaluates every ``eval_every`` steps, then the final evaluation; the adapter is
             in data/runs/RUN_ID/grpo/adapter;
  aggregate  base vs GRPO (mean and spread over the runs named in ``runs``) and the curves.

    rocks lab run EXP --set stage=base
    rocks lab run EXP --set stage=grpo --set family=arithmetic --set difficulty=1 --set seed=0
    rocks lab run EXP --resume run-002          # continue an interrupted GRPO run
    rocks lab run EXP --set stage=aggregate --set runs=run-002,run-003,run-004
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import torch

from rocks.lab import Run, new_figure, start_run
from rocks.reason.evaluate import evaluate, held_out_tasks, load_policy
from rocks.reason.grpo import GRPOConfig, train
from rocks.reason.lora import LoraSettings
from rocks.reason.pretrained import PREFILL
from rocks.reason.rewards import RewardWeights


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "base"  # base | grpo | aggregate
    model: str = "smollm2"  # a named pretrained model (rocks.reason.pretrained)
    candidates: tuple[str, ...] = (
        "arithmetic:1", "arithmetic:2", "countdown:1", "countdown:2",
        "gym:chain_sum:1", "gym:basic_arithmetic:1", "gym:leg_counting:1",
    )  # base: family:difficulty to measure
    eval_tasks: int = 48  # held-out tasks per evaluation (greedy, one sample each)
    eval_batch: int = 16  # rows per sampling call
    max_new_tokens: int = 128
    # GRPO
    family: str = "arithmetic"
    difficulty: int = 1
    objective: str = "grpo"  # grpo | dr_grpo
    seed: int = 0
    steps: int = 60
    prompts_per_step: int = 4
    group_size: int = 8  # G
    lr: float = 2e-4
    temperature: float = 0.7  # sampling; at T=1 the base wrote no tag pair in 32 samples
    beta: float = 0.0  # KL weight (0: no reference model)
    mu: int = 1  # gradient steps per batch
    format_weight: float = 0.2
    tags_weight: float = 0.2  # partial format credit (rewards.tag_reward)
    lora_rank: int = 16
    lora_alpha: float = 32.0
    eval_every: int = 10
    checkpoint_every: int = 2
    threads: int = 1
    runs: str = ""  # aggregate: comma-separated run ids


def split_candidate(text: str) -> tuple[str, int]:
    family, _, difficulty = text.rpartition(":")
    return family, int(difficulty)


def greedy_eval(policy, family: str, difficulty: int, cfg: Config, seed: int = 0) -> dict:
    tasks = held_out_tasks(family, difficulty, cfg.eval_tasks)
    summary, rows = evaluate(policy, tasks, 1, 0.0, cfg.max_new_tokens, seed=seed,
                             batch_rows=cfg.eval_batch, weights=RewardWeights(prefill=PREFILL))
    return {**asdict(summary), "rows": rows}


def stage_base(cfg: Config, run: Run) -> None:
    policy = load_policy(cfg.model)
    log = run.metrics("base")
    examples = []
    best = 0.0
    for candidate in cfg.candidates:
        family, difficulty = split_candidate(candidate)
        start = time.perf_counter()
        result = greedy_eval(policy, family, difficulty, cfg)
        rows = result.pop("rows")
        result["seconds"] = round(time.perf_counter() - start, 1)
        log.log(candidate=candidate, **result)
        print(candidate, {k: result[k] for k in ("pass1", "pass1_lenient", "format",
                                                 "self_check_rate", "seconds")}, flush=True)
        best = max(best, result["pass1_lenient"])
        examples += [{"candidate": candidate, "seed": r.seed, "strict": r.correct,
                      "lenient": r.lenient, "completion": r.completion} for r in rows[:6]]
    log.close()
    pd.DataFrame(examples).to_csv(run.dir / "base_examples.csv", index=False)
    run.finish("best_lenient_pass1", best, candidates=len(cfg.candidates))


def stage_grpo(cfg: Config, run: Run) -> None:
    policy = load_policy(cfg.model)
    gcfg = GRPOConfig(
        family=cfg.family, difficulty=cfg.difficulty, objective=cfg.objective, steps=cfg.steps,
        prompts_per_step=cfg.prompts_per_step, group_size=cfg.group_size,
        max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, lr=cfg.lr,
        beta=cfg.beta, mu=cfg.mu,
        reward=RewardWeights(format=cfg.format_weight, tags=cfg.tags_weight, prefill=PREFILL),
        lora=LoraSettings(rank=cfg.lora_rank, alpha=cfg.lora_alpha), seed=cfg.seed,
        eval_every=cfg.eval_every, eval_tasks=cfg.eval_tasks, eval_samples=1,
        eval_temperature=0.0,
        checkpoint_every=cfg.checkpoint_every, threads=cfg.threads, out=str(run.dir / "grpo"))

    def evaluate_fn(pol, step: int) -> dict:
        result = greedy_eval(pol, cfg.family, cfg.difficulty, cfg)
        rows = result.pop("rows")
        pd.DataFrame([asdict(r) for r in rows]).to_csv(run.dir / f"eval_step{step}.csv",
                                                       index=False)
        return result

    train(policy, gcfg, evaluate_fn, progress=True)
    evals = pd.read_csv(run.dir / "grpo" / "eval.csv")
    first, last = evals.iloc[0], evals.iloc[-1]
    run.finish("lenient_pass1", float(last["pass1_lenient"]),
               strict_pass1=float(last["pass1"]), format=float(last["format"]),
               base_lenient_pass1=float(first["pass1_lenient"]),
               base_strict_pass1=float(first["pass1"]),
               self_check_rate=float(last["self_check_rate"]),
               base_self_check_rate=float(first["self_check_rate"]),
               steps=int(last["step"]))


def stage_aggregate(cfg: Config, run: Run) -> None:
    runs_dir = Path(__file__).resolve().parent / "data" / "runs"
    ids = [r for r in cfg.runs.split(",") if r]
    frames = []
    for rid in ids:
        e = pd.read_csv(runs_dir / rid / "grpo" / "eval.csv")
        e["run"] = rid
        frames.append(e)
    evals = pd.concat(frames)
    last = evals.sort_values("step").groupby("run").tail(1)
    first = evals[evals["step"] == 0]
    table = {}
    for name, frame in (("base", first), ("grpo", last)):
        for col in ("pass1", "pass1_lenient", "format", "self_check_rate", "response_chars"):
            table[f"{name}_{col}_mean"] = float(frame[col].mean())
            table[f"{name}_{col}_std"] = float(frame[col].std(ddof=0))
    fig, axes = new_figure(ncols=2)
    for rid, e in evals.groupby("run"):
        axes[0].plot(e["step"], e["pass1_lenient"], marker="o", label=f"{rid} lenient")
        axes[0].plot(e["step"], e["pass1"], linestyle="--", label=f"{rid} strict")
        log = pd.read_csv(runs_dir / rid / "grpo" / "log.csv")
        axes[1].plot(log["step"], log["response_tokens"], label=rid)
    axes[0].set_xlabel("GRPO step")
    axes[0].set_ylabel("held-out pass@1")
    axes[0].legend(fontsize=6)
    axes[1].set_xlabel("GRPO step")
    axes[1].set_ylabel("response tokens")
    run.save_figure(fig, "curves")
    lift = table["grpo_pass1_lenient_mean"] - table["base_pass1_lenient_mean"]
    run.finish("lenient_lift", lift, runs=len(ids), **table)


def main(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    {"base": stage_base, "grpo": stage_grpo, "aggregate": stage_aggregate}[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

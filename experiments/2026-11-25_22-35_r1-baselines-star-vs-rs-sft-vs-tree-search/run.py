"""R1 baselines: STaR vs RS-SFT vs tree search at equal budget, from the shipped base model.

Experiment 2026-11-25_22-35_r1-baselines-star-vs-rs-sft-vs-tree-search.

Stages (``--stage``):
  train  from models/reason/base: rejection-sampling SFT (k samples on N training prompts) and
         STaR (iterations x (k' samples + hinted samples for failures), about the same number of
         samples in all); evaluate base, RS-SFT and STaR on held-out tasks (pass@1 at T=1 and
         greedy accuracy);
  pipeline  DeepSeek-R1's GRPO -> RS-SFT -> GRPO (rocks.reason.pipeline), small, with a
         held-out evaluation after every stage;
  tot    test-time compute at equal sampled-token budget on held-out tasks, for one model:
         plain sampling, sampling from a forced ``<think>``, and best-first tree search over
         thought steps (``rocks.reason.tot``), at several budgets.

    rocks lab run EXP --set stage=train
    rocks lab run EXP --set stage=tot
    rocks lab run EXP --set stage=pipeline
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd
import torch

from rocks.lab import Run, new_figure, start_run
from rocks.reason.evaluate import evaluate, held_out_tasks, load_policy
from rocks.reason.grpo import GRPOConfig
from rocks.reason.pipeline import PipelineConfig, run_pipeline
from rocks.reason.sft import SFTConfig, run_sft
from rocks.reason.star import STaRConfig, run_star
from rocks.reason.tot import CompareConfig, ToTConfig, compare_at_budget


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "train"  # train | tot
    base: str = "models/reason/base"  # relative to the repo root
    model: str = ""  # tot: a checkpoint to search with ('' = base)
    family: str = "arithmetic"
    difficulty: int = 2
    seed: int = 0
    train_tasks: int = 256  # training prompts (training seed range)
    sft_k: int = 8  # RS-SFT samples per prompt
    star_iterations: int = 2
    star_k: int = 2  # STaR samples per prompt per iteration
    star_hint_k: int = 2  # STaR hinted samples per failed prompt per iteration
    star_min_hint_think: int = 1  # shortest thought kept from a hinted sample (0 = any)
    rl1_steps: int = 20  # pipeline: GRPO steps before RS-SFT
    rl2_steps: int = 10  # pipeline: GRPO steps after RS-SFT
    rl_lr: float = 1e-4
    pipeline_sft_k: int = 4
    epochs: int = 3
    lr: float = 5e-4
    max_new_tokens: int = 160
    eval_tasks: int = 200  # held-out tasks (seeds from 900,000,000)
    eval_samples: int = 4  # samples per task at T=1
    tot_tasks: int = 100
    budgets: str = "15,30,60,120"  # sampled tokens per task
    branch: int = 4
    batch: int = 8
    threads: int = 1


def repo_path(p: str) -> str:
    here = Path(__file__).resolve().parent
    path = Path(p)
    return str(path if path.is_absolute() else here.parent.parent / path)


def held_out_eval(policy, cfg: Config) -> dict:
    tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)
    free, _ = evaluate(policy, tasks, cfg.eval_samples, 1.0, cfg.max_new_tokens, seed=12345)
    greedy, _ = evaluate(policy, tasks, 1, 0.0, cfg.max_new_tokens, seed=12345)
    return {"pass1": free.pass1, f"pass{cfg.eval_samples}": free.pass_k, "greedy": greedy.pass1,
            "format": free.format, "think_rate": free.think_rate,
            "think_chars": free.think_chars}


def stage_train(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    rows = []
    base = load_policy(repo_path(cfg.base))
    rows.append({"method": "base", "train_samples": 0, "train_examples": 0,
                 **held_out_eval(base, cfg)})
    print(json.dumps(rows[-1]), flush=True)

    sft_cfg = SFTConfig(family=cfg.family, difficulty=cfg.difficulty, tasks=cfg.train_tasks,
                        k=cfg.sft_k, max_new_tokens=cfg.max_new_tokens, epochs=cfg.epochs,
                        lr=cfg.lr, seed=cfg.seed, threads=cfg.threads,
                        out=str(run.dir / "rs_sft"))
    policy = load_policy(repo_path(cfg.base))
    summary = run_sft(policy, sft_cfg, progress=True)
    rows.append({"method": "rs_sft", "train_samples": summary.get("samples", float("nan")),
                 "train_examples": summary["examples"], **held_out_eval(policy, cfg)})
    print(json.dumps(rows[-1]), flush=True)

    star_cfg = STaRConfig(family=cfg.family, difficulty=cfg.difficulty, tasks=cfg.train_tasks,
                          iterations=cfg.star_iterations, k=cfg.star_k, hint_k=cfg.star_hint_k,
                          min_hint_think_chars=cfg.star_min_hint_think,
                          max_new_tokens=cfg.max_new_tokens, epochs=cfg.epochs, lr=cfg.lr,
                          seed=cfg.seed, threads=cfg.threads, out=str(run.dir / "star"))
    policy = load_policy(repo_path(cfg.base))
    history = run_star(policy, star_cfg, progress=True)
    # Samples drawn: k per prompt, plus hint_k per prompt no plain sample solved.
    star_samples = sum(cfg.train_tasks * cfg.star_k
                       + (cfg.train_tasks - h.solved) * cfg.star_hint_k for h in history)
    rows.append({"method": "star", "train_samples": star_samples,
                 "train_examples": history[-1].examples, **held_out_eval(policy, cfg)})
    print(json.dumps(rows[-1]), flush=True)

    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "methods.csv", index=False)
    fig, axes = new_figure(1, 2, width=4.2, height=3.2)
    axes[0].bar(table["method"], table["pass1"], color="tab:blue")
    axes[0].set_ylabel(f"held-out pass@1 (T=1, {cfg.eval_samples} samples)")
    axes[1].bar(table["method"], table["greedy"], color="tab:orange")
    axes[1].set_ylabel("held-out greedy accuracy")
    for ax in axes:
        ax.set_ylim(0, 1)
    fig.suptitle(f"{cfg.family} d{cfg.difficulty}, {cfg.eval_tasks} held-out tasks")
    run.save_figure(fig, "methods")
    by = table.set_index("method")
    run.finish("star_minus_rs_sft_pass1", by.loc["star", "pass1"] - by.loc["rs_sft", "pass1"],
               **{f"{m}_{k}": by.loc[m, k] for m in by.index for k in ("pass1", "greedy")})


def stage_tot(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    policy = load_policy(repo_path(cfg.model or cfg.base))
    tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.tot_tasks)
    rows = []
    for budget in [int(b) for b in cfg.budgets.split(",")]:
        search = ToTConfig(token_budget=budget, branch=cfg.branch,
                           max_new_tokens=cfg.max_new_tokens, stop_on_verified=False)
        ccfg = CompareConfig(family=cfg.family, difficulty=cfg.difficulty, tasks=cfg.tot_tasks,
                             batch=cfg.batch, search=search, seed=cfg.seed)
        for r in compare_at_budget(policy, tasks, ccfg, progress=True):
            rows.append({"budget": budget, **r})
        (run.dir / f"compare_config_{budget}.json").write_text(json.dumps(asdict(ccfg), indent=2))
    per_task = pd.DataFrame(rows)
    per_task.to_csv(run.dir / "per_task.csv", index=False)
    agg = per_task.groupby(["budget", "method"]).agg(
        solved=("solved", "mean"), chosen_correct=("chosen_correct", "mean"),
        tokens=("tokens", "mean"), rollouts=("rollouts", "mean"), deepest=("deepest", "mean"),
        tokens_to_solve=("tokens_to_solve", lambda s: s[s >= 0].median())).reset_index()
    agg.to_csv(run.dir / "by_budget.csv", index=False)
    fig, axes = new_figure(1, 2, width=4.2, height=3.2)
    for method, g in agg.groupby("method"):
        axes[0].plot(g["budget"], g["solved"], marker="o", label=method)
        axes[1].plot(g["budget"], g["chosen_correct"], marker="o", label=method)
    axes[0].set_ylabel("solved (verified, within budget)")
    axes[1].set_ylabel("no-oracle accuracy")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("sampled tokens per task")
        ax.set_ylim(0, 1)
        ax.legend()
    fig.suptitle(f"{cfg.model or 'base'}: {cfg.family} d{cfg.difficulty}, {cfg.tot_tasks} tasks")
    run.save_figure(fig, "solved_vs_budget")
    top = agg[agg["budget"] == agg["budget"].max()].set_index("method")
    run.finish("tot_minus_sample_solved_at_max_budget",
               top.loc["tot", "solved"] - top.loc["sample", "solved"],
               **{f"{m}_solved": top.loc[m, "solved"] for m in top.index})


def stage_pipeline(cfg: Config, run: Run) -> None:
    grpo = GRPOConfig(prompts_per_step=8, group_size=8, max_new_tokens=cfg.max_new_tokens,
                      lr=cfg.rl_lr, mu=2, eval_every=0, checkpoint_every=5)
    pcfg = PipelineConfig(
        base=cfg.base, family=cfg.family, difficulty=cfg.difficulty, seed=cfg.seed,
        stage1=replace(grpo, steps=cfg.rl1_steps),
        stage2=SFTConfig(tasks=cfg.train_tasks, k=cfg.pipeline_sft_k, epochs=cfg.epochs,
                         lr=cfg.lr, max_new_tokens=cfg.max_new_tokens, min_language=1.0),
        stage3=replace(grpo, steps=cfg.rl2_steps), eval_tasks=cfg.eval_tasks,
        eval_samples=cfg.eval_samples, eval_max_new_tokens=cfg.max_new_tokens,
        threads=cfg.threads, out=str(run.dir / "pipeline"))
    rows = run_pipeline(load_policy(repo_path(cfg.base)), pcfg, progress=True)
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "stages.csv", index=False)
    fig, ax = new_figure()
    ax.plot(range(len(table)), table["pass1"], marker="o")
    ax.set_xticks(range(len(table)), table["stage"], rotation=15)
    ax.set_ylabel(f"held-out pass@1 (T=1, {cfg.eval_samples} samples)")
    ax.set_ylim(0, 1)
    run.save_figure(fig, "pipeline")
    run.finish("pipeline_pass1_lift", table["pass1"].iloc[-1] - table["pass1"].iloc[0],
               **{f"{r.stage}_pass1": r.pass1 for r in table.itertuples()})


def main(cfg: Config, run: Run) -> None:
    stages = {"train": stage_train, "tot": stage_tot, "pipeline": stage_pipeline}
    if cfg.stage not in stages:
        raise SystemExit(f"unknown stage {cfg.stage!r}; known: {sorted(stages)}")
    stages[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(replace(run.config), run)

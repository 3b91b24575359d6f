"""R1-Zero on a tiny LM: does GRPO (and Dr. GRPO) lift a weak pretrained base, and does
longer thinking buy accuracy?

Stages (``--stage``):
  base       evaluate the pretrained base (models/reason/base) on the held-out tasks;
  grpo       GRPO (``--objective grpo|dr_grpo``, ``--seed``) from the base, evaluating every
             ``eval_every`` steps, then the final evaluation; resumable (rerun with the same
             ``--out``: training continues from data/runs/<id>/grpo/state.pt);
  aggregate  read every finished run and draw the comparison figures and tables
             (figures/<id>/*.png, data/runs/<id>/summary_by_objective.csv).

    rocks lab run EXP --set stage=base
    rocks lab run EXP --set stage=grpo --set objective=grpo --set seed=0
    rocks lab run EXP --set stage=aggregate
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import pandas as pd

from rocks.lab import Run, new_figure, start_run
from rocks.reason.evaluate import (
    EvalConfig,
    accuracy_by_think_length,
    evaluate,
    held_out_tasks,
    load_policy,
    run_eval,
)
from rocks.reason.grpo import GRPOConfig, train


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "grpo"  # base | grpo | aggregate
    base: str = "models/reason/base"  # pretrained base checkpoint (relative to the repo root)
    family: str = "arithmetic"
    difficulty: int = 2
    objective: str = "grpo"  # grpo | dr_grpo
    seed: int = 0
    steps: int = 60  # GRPO steps (one batch of prompts x G each)
    prompts_per_step: int = 8
    group_size: int = 8  # G
    max_new_tokens: int = 160
    lr: float = 2e-5
    beta: float = 0.0  # KL weight
    epsilon: float = 0.2
    mu: int = 2  # gradient steps per batch
    eval_every: int = 10
    eval_tasks: int = 200  # held-out tasks during training (2 samples each)
    final_tasks: int = 200  # held-out tasks for the final evaluation
    final_samples: int = 4  # samples per task in the final evaluation (pass@1, pass@4)
    threads: int = 1
    runs: str = ""  # aggregate: comma-separated run ids to include ('' = every finished run)


def repo_path(p: str) -> str:
    from pathlib import Path

    here = Path(__file__).resolve().parent
    path = Path(p)
    return str(path if path.is_absolute() else here.parent.parent / path)


def final_eval(cfg: Config, run: Run, policy) -> dict:
    ecfg = EvalConfig(model=cfg.base, family=cfg.family, difficulty=cfg.difficulty,
                      tasks=cfg.final_tasks, samples=cfg.final_samples,
                      max_new_tokens=cfg.max_new_tokens, forced_short=True, seed=12345,
                      out=str(run.dir / "final_eval"))
    return run_eval(ecfg, policy)


def stage_base(cfg: Config, run: Run) -> None:
    policy = load_policy(repo_path(cfg.base))
    result = final_eval(cfg, run, policy)
    free, forced = result["free"], result["forced_short"]
    run.finish("pass1", free["pass1"], pass_k=free["pass_k"], format=free["format"],
               think_rate=free["think_rate"], think_chars=free["think_chars"],
               forced_short_pass1=forced["pass1"])


def stage_grpo(cfg: Config, run: Run) -> None:
    policy = load_policy(repo_path(cfg.base))
    gcfg = GRPOConfig(family=cfg.family, difficulty=cfg.difficulty, objective=cfg.objective,
                      steps=cfg.steps, prompts_per_step=cfg.prompts_per_step,
                      group_size=cfg.group_size, max_new_tokens=cfg.max_new_tokens, lr=cfg.lr,
                      epsilon=cfg.epsilon, beta=cfg.beta, mu=cfg.mu, seed=cfg.seed,
                      eval_every=cfg.eval_every, eval_tasks=cfg.eval_tasks,
                      checkpoint_every=5, threads=cfg.threads, out=str(run.dir / "grpo"))
    eval_set = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)

    def evaluate_fn(pol, step: int) -> dict:
        summary, _ = evaluate(pol, eval_set, 2, 1.0, cfg.max_new_tokens, seed=1000 + step)
        return asdict(summary)

    train(policy, gcfg, evaluate_fn, progress=True)
    log = pd.read_csv(run.dir / "grpo" / "log.csv")
    ev = pd.read_csv(run.dir / "grpo" / "eval.csv")
    fig, axes = new_figure(1, 3, width=4.2, height=3.2)
    axes[0].plot(log["step"], log["reward"], label="train reward")
    axes[0].plot(log["step"], log["accuracy"], label="train accuracy")
    axes[0].plot(log["step"], log["format"], label="train format")
    axes[0].set_xlabel("GRPO step")
    axes[0].legend()
    axes[1].plot(ev["step"], ev["pass1"], marker="o", label="held-out pass@1")
    axes[1].plot(ev["step"], ev["think_rate"], marker="s", label="share thinking")
    axes[1].set_xlabel("GRPO step")
    axes[1].legend()
    axes[2].plot(log["step"], log["response_tokens"], label="response tokens")
    axes[2].plot(log["step"], log["think_chars"], label="think chars")
    axes[2].set_xlabel("GRPO step")
    axes[2].legend()
    fig.suptitle(f"{cfg.objective}, seed {cfg.seed}")
    run.save_figure(fig, "curves")
    result = final_eval(cfg, run, policy)
    free, forced = result["free"], result["forced_short"]
    run.finish("pass1", free["pass1"], pass_k=free["pass_k"], format=free["format"],
               think_rate=free["think_rate"], think_chars=free["think_chars"],
               forced_short_pass1=forced["pass1"], objective=cfg.objective, seed=cfg.seed,
               train_seconds=float(log["step_s"].sum()), steps=int(log["step"].max()))


def _finished_runs(run: Run, only: str) -> list[tuple[dict, dict, object]]:
    wanted = {r.strip() for r in only.split(",") if r.strip()}
    out = []
    for d in sorted((run.experiment / "data" / "runs").glob("run-*")):
        if d == run.dir or not (d / "summary.json").exists():
            continue
        if wanted and d.name not in wanted:
            continue
        config = json.loads((d / "config.json").read_text())["config"]
        summary = json.loads((d / "summary.json").read_text())
        out.append((config, summary, d))
    return out


def stage_aggregate(cfg: Config, run: Run) -> None:
    runs = _finished_runs(run, cfg.runs)
    base = [(c, s, d) for c, s, d in runs if c["stage"] == "base"]
    grpo = [(c, s, d) for c, s, d in runs if c["stage"] == "grpo"]
    rows = []
    for _c, s, d in base[-1:]:
        rows.append({"model": "base", "run": d.name, "seed": "", **s["metrics"],
                     "pass1": s["headline"]["value"]})
    for c, s, d in grpo:
        rows.append({"model": c["objective"], "run": d.name, **s["metrics"],
                     "pass1": s["headline"]["value"]})
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "final_by_run.csv", index=False)
    cols = ["pass1", "pass_k", "format", "think_rate", "think_chars", "forced_short_pass1"]
    agg = table.groupby("model")[cols].agg(["mean", "std", "count"])
    agg.columns = [f"{a}_{b}" for a, b in agg.columns]
    agg.to_csv(run.dir / "summary_by_objective.csv")
    print(agg.to_string())

    # Curves over steps: mean and spread over seeds, one colour per objective.
    fig, axes = new_figure(1, 4, width=3.8, height=3.2)
    panels = [("log", "reward", "train reward"), ("log", "accuracy", "train accuracy"),
              ("eval", "pass1", "held-out pass@1"), ("log", "response_tokens",
                                                     "response length (tokens)")]
    for objective in ("grpo", "dr_grpo"):
        logs = [pd.read_csv(d / "grpo" / "log.csv") for c, s, d in grpo
                if c["objective"] == objective]
        evals = [pd.read_csv(d / "grpo" / "eval.csv") for c, s, d in grpo
                 if c["objective"] == objective]
        if not logs:
            continue
        for ax, (kind, col, title) in zip(axes, panels, strict=True):
            frames = logs if kind == "log" else evals
            data = pd.concat(frames).groupby("step")[col]
            mean, std = data.mean(), data.std().fillna(0)
            if kind == "log":  # smooth the noisy per-batch numbers over 5 steps
                mean = mean.rolling(5, min_periods=1).mean()
                std = std.rolling(5, min_periods=1).mean()
            line = ax.plot(mean.index, mean.values, label=f"{objective} (n={len(frames)})")
            ax.fill_between(mean.index, mean - std, mean + std, alpha=0.2,
                            color=line[0].get_color())
            ax.set_title(title)
            ax.set_xlabel("GRPO step")
    axes[0].legend()
    run.save_figure(fig, "grpo_vs_dr_grpo")

    # Does longer thinking buy accuracy?  Accuracy by thought length, pooled over samples.
    fig, ax = new_figure()
    for label, group in (("base", base[-1:]), ("grpo", [g for g in grpo if g[0]["objective"]
                                                       == "grpo"]),
                         ("dr_grpo", [g for g in grpo if g[0]["objective"] == "dr_grpo"])):
        frames = [pd.read_csv(d / "final_eval" / "samples.csv") for _, _, d in group]
        if not frames:
            continue
        samples = pd.concat(frames)
        from rocks.reason.evaluate import SampleRow

        rows_ = [SampleRow(**{k: r[k] for k in SampleRow.__dataclass_fields__ if k in r})
                 for r in samples.fillna("").to_dict("records")]
        buckets = accuracy_by_think_length(rows_)
        pd.DataFrame(buckets).to_csv(run.dir / f"by_think_length_{label}.csv", index=False)
        xs = [b["think_chars"] for b in buckets if b["count"]]
        ys = [b["accuracy"] for b in buckets if b["count"]]
        ax.plot(xs, ys, marker="o", label=label)
    ax.set_xlabel("characters inside <think>")
    ax.set_ylabel("accuracy")
    ax.legend()
    run.save_figure(fig, "accuracy_by_think_length")
    means = agg["pass1_mean"].to_dict()
    lift = max((means.get(k, math.nan) - means.get("base", math.nan)) for k in ("grpo",
                                                                               "dr_grpo"))
    run.finish("best_pass1_lift", lift, **{f"pass1_{k}": v for k, v in means.items()})


def main(cfg: Config, run: Run) -> None:
    import torch

    torch.set_num_threads(cfg.threads)
    {"base": stage_base, "grpo": stage_grpo, "aggregate": stage_aggregate}[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

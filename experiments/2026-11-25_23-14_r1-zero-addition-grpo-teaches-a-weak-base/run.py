"""R1-Zero on addition: does GRPO teach a weak pretrained base to think when thinking pays?

Follows DeepSeek-R1-Zero (DeepSeek-AI 2025: on-policy GRPO, rule-based rewards only, from a
pretrained base) and the earlier experiment
``2026-11-25_21-42_r1-zero-on-a-tiny-lm-grpo-vs-dr-grpo`` (same trainer and evaluation), which
found no lift because thinking did not pay on its task.  Here the task is ``addition`` with
4-digit operands, where we hoped the direct answer (most significant digit first, carries
unseen) would be hard for a 0.87M-parameter model and the column trace easy.

Departures from R1-Zero: 1. a char-level 0.87M-parameter base pretrained here on synthetic data
(``models/reason/base-add``), not a web-scale LM; 2. reward = accuracy + 0.2 format, no language
reward; 3. 40 steps of 8 prompts x G=8, not thousands.

Stages (``--stage``):
  base       evaluate the base on the held-out tasks (pass@1, think rate, forced-short);
  grpo       GRPO from the base (``--seed``), evaluating every ``eval_every`` steps, then the
             final evaluation;
  aggregate  table base vs GRPO (mean ± std over seeds) and the figures.

    rocks lab run EXP --set stage=base
    rocks lab run EXP --set stage=grpo --set seed=0
    rocks lab run EXP --set stage=aggregate --set runs=run-001,run-002,...
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from rocks.lab import Run, new_figure, start_run
from rocks.reason.evaluate import (
    EvalConfig,
    SampleRow,
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
    base: str = "models/reason/base-add"  # pretrained base checkpoint (relative to repo root)
    family: str = "addition"
    difficulty: int = 4
    objective: str = "grpo"  # grpo | dr_grpo
    seed: int = 0
    steps: int = 40  # GRPO steps (one batch of prompts x G each)
    prompts_per_step: int = 8
    group_size: int = 8  # G
    max_new_tokens: int = 110
    lr: float = 5e-5
    beta: float = 0.0  # KL weight
    epsilon: float = 0.2
    mu: int = 2  # gradient steps per batch
    eval_every: int = 10
    eval_tasks: int = 100  # held-out tasks during training (2 samples each)
    final_tasks: int = 200  # held-out tasks for the final evaluation
    final_samples: int = 4  # samples per task in the final evaluation (pass@1, pass@4)
    threads: int = 1
    runs: str = ""  # aggregate: comma-separated run ids to include ('' = every finished run)


def repo_path(p: str) -> str:
    here = Path(__file__).resolve().parent
    path = Path(p)
    return str(path if path.is_absolute() else here.parent.parent / path)


def final_eval(cfg: Config, run: Run, policy) -> dict:
    ecfg = EvalConfig(model=cfg.base, family=cfg.family, difficulty=cfg.difficulty,
                      tasks=cfg.final_tasks, samples=cfg.final_samples,
                      max_new_tokens=cfg.max_new_tokens, forced_short=True, seed=12345,
                      out=str(run.dir / "final_eval"))
    return run_eval(ecfg, policy)


def thinking_split(samples_csv: Path) -> dict:
    """Accuracy of samples with and without a thought, and how many of each."""
    s = pd.read_csv(samples_csv)
    think = s["think_chars"] > 0
    return {"acc_thinking": float(s.loc[think, "correct"].mean()) if think.any() else None,
            "acc_direct": float(s.loc[~think, "correct"].mean()) if (~think).any() else None,
            "n_thinking": int(think.sum()), "n_direct": int((~think).sum())}


def finish_eval(cfg: Config, run: Run, policy, **extra) -> None:
    result = final_eval(cfg, run, policy)
    free, forced = result["free"], result["forced_short"]
    run.finish("pass1", free["pass1"], pass_k=free["pass_k"], format=free["format"],
               think_rate=free["think_rate"], think_chars=free["think_chars"],
               response_chars=free["response_chars"], forced_short_pass1=forced["pass1"],
               **thinking_split(run.dir / "final_eval" / "samples.csv"), **extra)


def stage_base(cfg: Config, run: Run) -> None:
    finish_eval(cfg, run, load_policy(repo_path(cfg.base)))


def stage_grpo(cfg: Config, run: Run) -> None:
    policy = load_policy(repo_path(cfg.base))
    gcfg = GRPOConfig(family=cfg.family, difficulty=cfg.difficulty, objective=cfg.objective,
                      steps=cfg.steps, prompts_per_step=cfg.prompts_per_step,
                      group_size=cfg.group_size, max_new_tokens=cfg.max_new_tokens, lr=cfg.lr,
                      epsilon=cfg.epsilon, beta=cfg.beta, mu=cfg.mu, seed=cfg.seed,
                      eval_every=cfg.eval_every, eval_tasks=cfg.eval_tasks,
                      checkpoint_every=10, threads=cfg.threads, out=str(run.dir / "grpo"))
    eval_set = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)

    def evaluate_fn(pol, step: int) -> dict:
        summary, _ = evaluate(pol, eval_set, 2, 1.0, cfg.max_new_tokens, seed=1000 + step)
        return asdict(summary)

    train(policy, gcfg, evaluate_fn, progress=True)
    log = pd.read_csv(run.dir / "grpo" / "log.csv")
    finish_eval(cfg, run, policy, objective=cfg.objective, seed=cfg.seed,
                train_seconds=float(log["step_s"].sum()), steps=int(log["step"].max()) + 1)


def _finished_runs(run: Run, only: str) -> list[tuple[dict, dict, Path]]:
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


def _rows(samples_csv: Path) -> list[SampleRow]:
    s = pd.read_csv(samples_csv).fillna("")
    return [SampleRow(**{k: r[k] for k in SampleRow.__dataclass_fields__ if k in r})
            for r in s.to_dict("records")]


def stage_aggregate(cfg: Config, run: Run) -> None:
    runs = _finished_runs(run, cfg.runs)
    base = [r for r in runs if r[0]["stage"] == "base"][-1:]
    grpo = [r for r in runs if r[0]["stage"] == "grpo"]
    rows = []
    for c, s, d in base + grpo:
        label = "base" if c["stage"] == "base" else c["objective"]
        rows.append({"model": label, "run": d.name, "seed": c["seed"] if label != "base" else "",
                     "pass1": s["headline"]["value"], **s["metrics"]})
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "final_by_run.csv", index=False)
    cols = ["pass1", "pass_k", "format", "think_rate", "think_chars", "response_chars",
            "forced_short_pass1", "acc_thinking", "acc_direct"]
    agg = table.groupby("model")[cols].agg(["mean", "std", "min", "max", "count"])
    agg.columns = [f"{a}_{b}" for a, b in agg.columns]
    agg.to_csv(run.dir / "summary_by_model.csv")
    print(agg.T.to_string())

    # Curves over GRPO steps: mean and spread (min-max) over seeds; the base as a dashed line.
    base_metrics = base[0][1]["metrics"] if base else {}
    fig, axes = new_figure(1, 4, width=3.8, height=3.2)
    logs = [pd.read_csv(d / "grpo" / "log.csv") for _, _, d in grpo]
    evals = [pd.read_csv(d / "grpo" / "eval.csv") for _, _, d in grpo]
    panels = [(logs, "reward", "train reward (acc + 0.2 format)", None),
              (evals, "pass1", "held-out pass@1", base[0][1]["headline"]["value"] if base
               else None),
              (evals, "think_rate", "held-out share of samples thinking",
               base_metrics.get("think_rate")),
              (logs, "response_tokens", "train response length (tokens)", None)]
    for ax, (frames, col, title, base_value) in zip(axes, panels, strict=True):
        if not frames:
            continue
        data = pd.concat(frames).groupby("step")[col]
        mean, lo, hi = data.mean(), data.min(), data.max()
        if frames is logs:  # per-batch numbers are noisy: smooth over 5 steps
            mean, lo, hi = (x.rolling(5, min_periods=1).mean() for x in (mean, lo, hi))
        ax.plot(mean.index, mean.values, label=f"GRPO mean of {len(frames)} seeds")
        ax.fill_between(mean.index, lo.values, hi.values, alpha=0.2, label="min-max")
        if base_value is not None:
            ax.axhline(base_value, color="grey", linestyle="--", label="base (final eval)")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("GRPO step")
    axes[1].legend(fontsize=7)
    run.save_figure(fig, "curves")

    # Does longer thinking buy accuracy?  Accuracy by thought length, pooled over samples.
    fig, ax = new_figure()
    for label, group in (("base", base), ("grpo", grpo)):
        frames = [_rows(d / "final_eval" / "samples.csv") for _, _, d in group]
        if not frames:
            continue
        buckets = accuracy_by_think_length([r for f in frames for r in f])
        pd.DataFrame(buckets).to_csv(run.dir / f"by_think_length_{label}.csv", index=False)
        shown = [b for b in buckets if b["count"]]
        ax.plot([b["think_chars"] for b in shown], [b["accuracy"] for b in shown], marker="o",
                label=label)
        for b in shown:
            ax.annotate(f"n={b['count']}", (b["think_chars"], b["accuracy"]), fontsize=7)
    ax.set_xlabel("characters inside <think>")
    ax.set_ylabel("accuracy")
    ax.legend()
    run.save_figure(fig, "accuracy_by_think_length")
    means = agg["pass1_mean"].to_dict()
    run.finish("pass1_lift", means.get("grpo", float("nan")) - means.get("base", float("nan")),
               **{f"pass1_{k}": v for k, v in means.items()})


def main(cfg: Config, run: Run) -> None:
    import torch

    torch.set_num_threads(cfg.threads)
    {"base": stage_base, "grpo": stage_grpo, "aggregate": stage_aggregate}[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

"""GRPO's learning rate and μ on parity at a 20-step budget: a grid against sequential tuning.

Follows ``2026-11-26_00-07_r1-zero-parity-grpo-makes-a-weak-base-think``: GRPO from
``models/reason/base-parity-v2`` lifts held-out pass@1 on 18-bit parity from 0.56 to 0.99 in
100 steps at lr 5e-5, μ = 2 — settings taken from earlier experiments and never tuned, with
+10 points reached only by step 40-50.  The question here: at a fixed, short budget (20 steps
of 8 prompts x G = 8), which learning rate and number of gradient steps per batch (μ) lift the
base most, and does a sequential optimiser (``rocks lab tune``, TPE) find a better setting than
a grid (``rocks lab sweep``) with the same number of trials?

Stages (``--stage``):
  grpo     GRPO from the base for ``steps`` steps (held-out curve every ``eval_every`` steps in
           grpo/eval.csv), then pass@1 on ``final_tasks`` held-out tasks x ``final_samples``;
  compare  the grid sweep (``grid``) against the tunes (``tunes``, one per sampler seed) and
           each arm's winner rerun with more seeds: compare.csv, trials.csv and the figure.

Departures from the parity experiment: 20 steps instead of 100 (the budget is the question),
a smaller final evaluation (200 tasks x 2 samples, standard error about 0.025), and no
checkpoint kept (the weights are deleted after the final evaluation).

    rocks lab sweep grid-vs-sequential --param lr=1e-5,1e-4,1e-3 --param mu=1,2,4
    rocks lab tune grid-vs-sequential --param lr=log:1e-5:1e-3 --param mu=int:1:4 \
        --metric pass1 --direction max --trials 9 [--seed 1]
    rocks lab run grid-vs-sequential --set lr=... --set mu=... --set seed=1
    rocks lab run grid-vs-sequential --set stage=compare
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rocks.lab import Run, new_figure, start_run


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "grpo"  # grpo | compare
    base: str = "models/reason/base-parity-v2"  # the base checkpoint (relative to the repo)
    family: str = "parity"
    difficulty: int = 8  # parity: 2 + 2d bits = 18
    objective: str = "grpo"  # grpo | dr_grpo
    lr: float = 5e-5  # AdamW, constant
    mu: int = 2  # gradient steps per batch
    seed: int = 0
    steps: int = 20  # GRPO steps (one batch of prompts x G each)
    prompts_per_step: int = 8
    group_size: int = 8  # G
    max_new_tokens: int = 40
    epsilon: float = 0.2
    beta: float = 0.0  # KL weight
    eval_every: int = 5
    eval_tasks: int = 50  # held-out tasks in the training curve (2 samples each)
    final_tasks: int = 200  # held-out tasks in the final evaluation
    final_samples: int = 2  # samples per task in the final evaluation
    threads: int = 1
    grid: str = "sweep-001"  # compare: the grid sweep's id
    tunes: tuple[str, ...] = ("tune-001", "tune-002")  # compare: the tunes' ids


def repo_path(p: str) -> str:
    path = Path(p)
    return str(path if path.is_absolute() else Path(__file__).resolve().parents[2] / path)


def stage_grpo(cfg: Config, run: Run) -> None:
    import torch

    from rocks.reason.evaluate import evaluate, held_out_tasks, load_policy
    from rocks.reason.grpo import GRPOConfig, train

    torch.set_num_threads(cfg.threads)
    policy = load_policy(repo_path(cfg.base))
    out = run.dir / "grpo"
    gcfg = GRPOConfig(family=cfg.family, difficulty=cfg.difficulty, objective=cfg.objective,
                      steps=cfg.steps, prompts_per_step=cfg.prompts_per_step,
                      group_size=cfg.group_size, max_new_tokens=cfg.max_new_tokens, lr=cfg.lr,
                      epsilon=cfg.epsilon, beta=cfg.beta, mu=cfg.mu, seed=cfg.seed,
                      eval_every=cfg.eval_every, eval_tasks=cfg.eval_tasks,
                      checkpoint_every=cfg.steps + 1, threads=cfg.threads, out=str(out))
    curve_tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)

    def curve(pol, step: int) -> dict:
        summary, _ = evaluate(pol, curve_tasks, 2, 1.0, cfg.max_new_tokens, seed=1000 + step)
        return asdict(summary)

    train(policy, gcfg, curve, progress=True)
    # The weights and the resume state (10 MB a trial) are never reused: keep only the CSVs.
    shutil.rmtree(out / "checkpoint", ignore_errors=True)
    (out / "state.pt").unlink(missing_ok=True)
    final, _ = evaluate(policy, held_out_tasks(cfg.family, cfg.difficulty, cfg.final_tasks),
                        cfg.final_samples, 1.0, cfg.max_new_tokens, seed=12345)
    log = pd.read_csv(out / "log.csv")
    f = asdict(final)
    run.finish("pass1", f["pass1"], pass_k=f["pass_k"], format=f["format"],
               think_rate=f["think_rate"], train_reward_last5=float(log["reward"].tail(5).mean()),
               train_seconds=float(log["step_s"].sum()), cpu_seconds=time.process_time())


# ------------------------------------------------------------------ compare
def _runs(run: Run) -> pd.DataFrame:
    """Every ok GRPO run of this experiment: run_id, sweep_id, lr, mu, seed, pass1, cpu."""
    data = run.experiment / "data"
    ledger = pd.read_csv(data / "runs.csv", dtype={"sweep_id": str}).fillna({"sweep_id": ""})
    rows = []
    for r in ledger[ledger["status"] == "ok"].itertuples():
        folder = data / "runs" / r.run_id
        config = json.loads((folder / "config.json").read_text())["config"]
        if config["stage"] != "grpo":
            continue
        summary = json.loads((folder / "summary.json").read_text())
        rows.append({"run_id": r.run_id, "sweep_id": r.sweep_id, "lr": config["lr"],
                     "mu": config["mu"], "seed": config["seed"],
                     "pass1": summary["headline"]["value"],
                     "cpu_seconds": summary["metrics"].get("cpu_seconds")})
    return pd.DataFrame(rows)


def stage_compare(cfg: Config, run: Run) -> None:
    data = run.experiment / "data"
    runs = _runs(run)
    grid = pd.read_csv(data / "sweeps" / f"{cfg.grid}.csv")
    arms = [grid.assign(arm="grid", value=grid["headline_value"], trial=range(len(grid)))]
    for tune_id in cfg.tunes:
        seed = json.loads((data / "tunes" / f"{tune_id}.json").read_text())["spec"]["seed"]
        tune = pd.read_csv(data / "tunes" / f"{tune_id}.csv")
        arms.append(tune.assign(arm=f"TPE seed {seed}"))
    trials = pd.concat(arms)[["arm", "trial", "run_id", "lr", "mu", "status", "value",
                              "seconds"]]
    trials["best_so_far"] = trials.groupby("arm")["value"].cummax()
    trials.to_csv(run.dir / "trials.csv", index=False)

    # Each arm's winner, rerun with more seeds: its mean and spread is what the arm found.
    rows, winners = [], {}
    for arm, table in trials.groupby("arm", sort=False):
        best = table.loc[table["value"].idxmax()]
        same = runs[np.isclose(runs["lr"], best["lr"]) & (runs["mu"] == best["mu"])]
        seeds = same.drop_duplicates("seed").sort_values("seed")
        winners[arm] = seeds
        rows.append({"arm": arm, "lr": best["lr"], "mu": int(best["mu"]),
                     "trial_pass1": best["value"], "seeds": len(seeds),
                     "pass1_mean": seeds["pass1"].mean(), "pass1_std": seeds["pass1"].std(),
                     "pass1_min": seeds["pass1"].min(), "pass1_max": seeds["pass1"].max(),
                     "runs": " ".join(seeds["run_id"]),
                     "arm_trials": len(table), "arm_ok": int((table["status"] == "ok").sum()),
                     "arm_cpu_seconds": runs[runs["run_id"].isin(table["run_id"])]
                     ["cpu_seconds"].sum(),
                     "arm_median_pass1": table["value"].median()})
    compare = pd.DataFrame(rows)
    compare.to_csv(run.dir / "compare.csv", index=False)
    print(compare.T.to_string())

    fig, axes = new_figure(1, 3, width=4.6, height=3.6)
    for i, (arm, table) in enumerate(trials.groupby("arm", sort=False)):
        axes[0].plot(table["trial"] + 1, table["value"], "o", color=f"C{i}", alpha=0.5)
        axes[0].step(table["trial"] + 1, table["best_so_far"], where="post", color=f"C{i}",
                     label=arm)
        for mu, marker in ((1, "v"), (2, "o"), (3, "s"), (4, "^")):
            pick = table[table["mu"] == mu]
            if pick.empty:
                continue
            axes[1].scatter(pick["lr"], pick["value"], marker=marker, color=f"C{i}",
                            label=f"{arm}, μ={mu}", s=30, alpha=0.8)
        seeds = winners[arm]
        axes[2].scatter([i] * len(seeds), seeds["pass1"], color=f"C{i}", s=30)
        axes[2].errorbar([i + 0.15], [seeds["pass1"].mean()], [seeds["pass1"].std()],
                         fmt="D", color=f"C{i}", capsize=4)
    axes[0].set(xlabel="trial", ylabel="held-out pass@1 (200 x 2)",
                title="best so far, equal trial budgets")
    axes[0].legend(fontsize=7)
    axes[1].set(xscale="log", xlabel="learning rate", ylabel="held-out pass@1",
                title="every trial (marker: μ)")
    axes[1].legend(fontsize=6, ncol=2)
    axes[2].set_xticks(range(len(winners)),
                       [f"{a}\nlr={r.lr:.2g}, μ={r.mu}" for a, r in
                        zip(winners, compare.itertuples(), strict=True)], fontsize=7)
    axes[2].set(ylabel="held-out pass@1", title="each arm's winner over seeds (mean ± std)")
    axes[2].set_xlim(-0.5, len(winners) - 0.5)
    for ax in axes:
        ax.grid(alpha=0.3)
    run.save_figure(fig, "grid_vs_sequential")
    best = compare.loc[compare["pass1_mean"].idxmax()]
    run.finish("best_arm_pass1_mean", float(best["pass1_mean"]), best_arm=str(best["arm"]),
               **{f"{r.arm.replace(' ', '_')}_pass1_mean": float(r.pass1_mean)
                  for r in compare.itertuples()})


def main(cfg: Config, run: Run) -> None:
    {"grpo": stage_grpo, "compare": stage_compare}[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

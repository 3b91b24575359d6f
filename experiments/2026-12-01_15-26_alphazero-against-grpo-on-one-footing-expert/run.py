"""AlphaZero against GRPO on one footing: expert iteration, a PRM and RL at equal tokens (issue 15).

Six arms train the same base on the same task until each has sampled the same number of tokens
(``rocks.reason.harness``): a GRPO, b Dr. GRPO, c RS-SFT rounds, d expert iteration with
best-first search over thoughts, e expert iteration with MCTS over thoughts valued by a PRM,
f GRPO with the PRM as a dense (step-shaped) reward.  Each arm's held-out pass@1 is logged
against training tokens, and its final model is tested with sampling, best-first search and
MCTS at several test-time token budgets.  The PRM alone is checked for calibration on held-out
prefixes (stage ``prm``).

Tasks (``task``): ``parity`` (18-bit parity, base ``models/reason/base-parity-v2``, short
completions) and ``arith`` (two-digit + − ×, base ``models/reason/base``, where the × traces
are long and search has room).  Countdown has no committed base yet.

Stages (``--stage``):
  arm     one (task, arm, seed): trains into data/arms/<task>/<arm>/t<train_tokens>_seed<seed>/
          (stable, so a rerun of the same command resumes; a finished arm is not rerun), then
          deletes the weights unless ``keep_weights``;
  prm     the base's PRM: Math-Shepherd labels on training and held-out prefixes, training,
          reliability table (data/prm/<task>/calibration.csv) and plot;
  report  every finished arm at this ``train_tokens``: compare.csv, curves.csv,
          test_time.csv and the two figures.

    rocks lab run <exp> --set stage=arm --set task=parity --set arm=e --set seed=0
    rocks lab sweep <exp> --param arm=a,b,c,d,e,f --param seed=0,1,2 --set task=parity
    rocks lab run <exp> --set stage=prm --set task=parity
    rocks lab run <exp> --set stage=report
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from rocks.lab import Run, new_figure, start_run

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TaskSpec:
    """One task: its family and base, the generation length, where a step ends, and the
    token budgets of training searches (arms d, e) and of test-time scaling."""

    family: str
    difficulty: int
    base: str
    max_new: int
    step_chars: int  # 0: steps end at spaces / newlines
    search_tokens: int  # per task searched in a training round (arms d, e)
    test_budgets: tuple[int, ...]  # test-time tokens per task
    train_tokens: int  # sampled tokens each arm may train on
    eval_every_tokens: int
    test_tasks: int


TASKS = {
    # parity's trace is 18 digits with no delimiter: a step is 3 of them (6 steps a trace);
    # a completion is ~26 tokens, so 40 buys one sample and 160 about six
    "parity": TaskSpec("parity", 8, "models/reason/base-parity-v2", 40, 3, 160, (40, 160),
                       36_000, 12_000, 80),
    # 4-digit addition from the addition base: pass@1 0.29 but pass@8 0.72 (50 tasks x 8), so
    # sampling and search have room; a completion is ~16 tokens (9-13% write a column trace)
    "add4": TaskSpec("addition", 4, "models/reason/base-add", 110, 0, 160, (32, 128),
                     60_000, 15_000, 100),
    # two-digit + - x: pass@1 0.62, pass@8 0.72 (x is 0.02 at any k): little room for search
    "arith": TaskSpec("arithmetic", 2, "models/reason/base", 160, 0, 640, (160, 640),
                      60_000, 15_000, 50),
}


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "arm"  # arm | prm | report
    task: str = "parity"  # parity | arith
    arm: str = "a"  # a..f (rocks.reason.harness.ARMS)
    seed: int = 0
    train_tokens: int = 0  # sampled tokens each arm may train on (0: the task's)
    eval_every_tokens: int = 0  # (0: the task's)
    eval_tasks: int = 300  # held-out pass@1 (x eval_samples) at each evaluation point
    eval_samples: int = 2
    lr: float = 5e-5  # GRPO arms (a, b, f)
    sft_lr: float = 1e-4  # RS-SFT and expert-iteration arms (c, d, e)
    prompts_per_step: int = 8  # GRPO batch: prompts x group_size
    group_size: int = 8
    sft_tasks: int = 32  # arm c: tasks per round, k samples each
    sft_k: int = 8
    exit_tasks: int = 32  # arms d, e: tasks searched per round
    search_tokens: int = 0  # arms d, e: token budget per training search (0: the task's)
    search_stop: bool = False  # arms d, e: stop a training search at its first verified answer
    policy_target: str = "answer"  # arm e: answer (SFT) | visits (AlphaZero's target; arm "ev")
    prm_tasks: int = 16  # arm f: tasks whose prefixes are labelled (prm_k rollouts each)
    prm_k: int = 4
    prm_epochs: int = 20  # PRM training passes (arm f and stage prm; arm e: per round / 10)
    prm_lr: float = 1e-3
    dense_weight: float = 1.0  # arm f: lambda of the step shaping
    test_budgets: tuple[int, ...] = ()  # test-time tokens per task (empty: the task's)
    test_tasks: int = 0  # (0: the task's)
    prm_label_tasks: int = 64  # stage prm: tasks per split
    keep_weights: bool = False
    threads: int = 1


def resolved(cfg: Config) -> Config:
    """``cfg`` with its zero (task-default) fields taken from its task's ``TaskSpec``."""
    spec = TASKS[cfg.task]
    return replace(cfg, train_tokens=cfg.train_tokens or spec.train_tokens,
                   eval_every_tokens=cfg.eval_every_tokens or spec.eval_every_tokens,
                   test_tasks=cfg.test_tasks or spec.test_tasks,
                   search_tokens=cfg.search_tokens or spec.search_tokens,
                   test_budgets=cfg.test_budgets or spec.test_budgets)


def repo_path(p: str) -> str:
    return str(HERE.parents[1] / p)


def harness_config(cfg: Config, out: Path):
    from rocks.reason.expert_iteration import ExItConfig
    from rocks.reason.grpo import GRPOConfig
    from rocks.reason.harness import HarnessConfig
    from rocks.reason.thought_mcts import ThoughtMCTSConfig
    from rocks.reason.tot import ToTConfig

    spec = TASKS[cfg.task]
    family, difficulty, max_new, step_chars = (spec.family, spec.difficulty, spec.max_new,
                                               spec.step_chars)
    search = cfg.search_tokens
    return HarnessConfig(
        arm=cfg.arm, family=family, difficulty=difficulty, train_tokens=cfg.train_tokens,
        eval_every_tokens=cfg.eval_every_tokens, eval_tasks=cfg.eval_tasks,
        eval_samples=cfg.eval_samples, max_new_tokens=max_new,
        grpo=GRPOConfig(prompts_per_step=cfg.prompts_per_step, group_size=cfg.group_size,
                        lr=cfg.lr, mu=2, eval_every=0),
        sft_tasks=cfg.sft_tasks, sft_k=cfg.sft_k, sft_lr=cfg.sft_lr,
        exit=ExItConfig(tasks_per_iteration=cfg.exit_tasks, lr=cfg.sft_lr,
                        prm_epochs=max(1, cfg.prm_epochs // 10), prm_lr=cfg.prm_lr,
                        policy_target=cfg.policy_target if cfg.arm == "e" else "answer",
                        tot=ToTConfig(token_budget=search, stop_on_verified=cfg.search_stop),
                        mcts=ThoughtMCTSConfig(token_budget=search,
                                               stop_on_verified=cfg.search_stop)),
        prm_tasks=cfg.prm_tasks, prm_k=cfg.prm_k, dense_weight=cfg.dense_weight,
        prm_epochs=cfg.prm_epochs, prm_lr=cfg.prm_lr, step_chars=step_chars,
        test_budgets=cfg.test_budgets,
        test_tasks=cfg.test_tasks, seed=cfg.seed, threads=cfg.threads, out=str(out))


def stage_arm(cfg: Config, run: Run) -> None:
    import torch

    from rocks.reason.evaluate import load_policy
    from rocks.reason.harness import run_arm

    torch.set_num_threads(cfg.threads)
    label = cfg.arm + ("v" if cfg.arm == "e" and cfg.policy_target == "visits" else "")
    out = HERE / "data" / "arms" / cfg.task / label / f"t{cfg.train_tokens}_seed{cfg.seed}"
    policy = load_policy(repo_path(TASKS[cfg.task].base))
    t0 = time.process_time()
    if (out / "summary.json").exists():  # finished (its weights may be deleted): report it
        summary = json.loads((out / "summary.json").read_text())
    else:
        summary = run_arm(policy, harness_config(cfg, out))
    if not cfg.keep_weights:
        shutil.rmtree(out / "checkpoint", ignore_errors=True)
        (out / "prm.pt").unlink(missing_ok=True)
    tests = {f"{r['method']}_{r['budget']}_solved": r["solved"] for r in summary["test_time"]}
    run.finish("pass1", summary["pass1"], train_tokens=summary["train_tokens"],
               units=summary["units"], cpu_seconds=time.process_time() - t0, **tests)


def stage_prm(cfg: Config, run: Run) -> None:
    import torch

    from rocks.metrics import write_table
    from rocks.reason.evaluate import held_out_tasks, load_policy
    from rocks.reason.prm import (
        ProcessRewardModel,
        brier,
        calibration,
        expected_calibration_error,
        monte_carlo_labels,
        reliability_plot,
        step_prefixes,
        train_prm,
    )
    from rocks.reason.sft import sft_tasks
    from rocks.reason.tasks import prompt_text
    from rocks.reason.tot import verifier_for

    torch.set_num_threads(cfg.threads)
    spec = TASKS[cfg.task]
    family, difficulty, max_new, step_chars = (spec.family, spec.difficulty, spec.max_new,
                                               spec.step_chars)
    policy = load_policy(repo_path(spec.base))
    generator = torch.Generator().manual_seed(cfg.seed)
    splits = {"train": sft_tasks(family, difficulty, cfg.prm_label_tasks, cfg.seed, "prm"),
              "held_out": held_out_tasks(family, difficulty, cfg.prm_label_tasks)}
    data, tokens = {}, 0
    for split, tasks in splits.items():
        data[split] = []
        for task in tasks:
            s = policy.sample([prompt_text(task)], max_new, 1.0, generator, "<think>")
            text = policy.completions(s)[0]  # the forced "<think>" is part of it
            prefixes = step_prefixes(text, step_chars=step_chars)
            examples, spent = monte_carlo_labels(policy, task, prefixes, cfg.prm_k,
                                                 verifier_for(task), max_new, 1.0, generator)
            data[split] += examples
            tokens += spent + int(s.completion_mask.sum())
    prm = ProcessRewardModel.from_policy(policy)
    losses = train_prm(prm, data["train"], epochs=cfg.prm_epochs, batch_size=32, lr=cfg.prm_lr,
                       seed=cfg.seed)
    held = data["held_out"]
    preds = prm.values([e.prompt + e.prefix for e in held])
    labels = [e.label for e in held]
    base_rate = sum(e.label for e in data["train"]) / max(len(data["train"]), 1)
    table = calibration(preds, labels)
    out = HERE / "data" / "prm" / cfg.task
    write_table(out / "calibration.csv", [asdict(b) for b in table])
    write_table(out / "held_out.csv", [{"prefix": e.prefix, "label": e.label, "prediction": p}
                                      for e, p in zip(held, preds, strict=True)])
    fig, ax = new_figure(1, 1, width=4.5, height=4.2)
    reliability_plot(ax, table, f"PRM on {cfg.task}")
    ax.set_title(f"{cfg.task}: {len(held)} held-out prefixes, k = {cfg.prm_k}")
    run.save_figure(fig, f"prm_reliability_{cfg.task}")
    run.finish("ece", expected_calibration_error(table), brier=brier(preds, labels),
               brier_constant=brier([base_rate] * len(labels), labels),
               train_prefixes=len(data["train"]), held_out_prefixes=len(held),
               label_tokens=tokens, final_loss=losses[-1] if losses else float("nan"))


def stage_report(cfg: Config, run: Run) -> None:
    from rocks.reason.harness import ARMS

    curves, tests, finals = [], [], []
    for path in sorted((HERE / "data" / "arms").glob(f"*/*/t{cfg.train_tokens}_seed*/"
                                                       "summary.json")):
        task = path.parents[2].name
        summary = json.loads(path.read_text())
        arm = path.parents[1].name  # the folder: "ev" is arm e with visit targets
        curve = pd.read_csv(path.parent / "curve.csv").assign(task=task, arm=arm)
        curves.append(curve)
        tests.append(pd.DataFrame(summary["test_time"]).assign(task=task, arm=arm))
        finals.append({"task": task, "arm": arm, "seed": summary["seed"],
                       "pass1": summary["pass1"], "train_tokens": summary["train_tokens"]})
    if not finals:
        raise SystemExit("no finished arm yet")
    curves_df, tests_df = pd.concat(curves), pd.concat(tests)
    finals_df = pd.DataFrame(finals)
    compare = finals_df.groupby(["task", "arm"])["pass1"].agg(["mean", "std", "count"])
    compare.to_csv(run.dir / "compare.csv")
    curves_df.to_csv(run.dir / "curves.csv", index=False)
    tests_df.to_csv(run.dir / "test_time.csv", index=False)
    print(compare.to_string())
    task_names = sorted(curves_df["task"].unique())
    fig, axes = new_figure(1, len(task_names), width=5, height=3.8, squeeze=False)
    for ax, task in zip(axes[0], task_names, strict=True):
        for i, (arm, g) in enumerate(curves_df[curves_df["task"] == task].groupby("arm")):
            for _, s in g.groupby("seed"):
                ax.plot(s["train_tokens"], s["pass1"], color=f"C{i}", alpha=0.35)
            name = ARMS.get(arm) or ARMS[arm[0]] + ", visit targets"
            ax.plot([], [], color=f"C{i}", label=f"{arm}: {name}")
        ax.set(xlabel="sampled training tokens", ylabel="held-out pass@1", title=task)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    run.save_figure(fig, "accuracy_vs_tokens")
    fig, axes = new_figure(2, len(task_names), width=5, height=3.6, squeeze=False)
    for col, task in enumerate(task_names):
        t = tests_df[tests_df["task"] == task]
        for row, metric in enumerate(("solved", "chosen_correct")):
            ax = axes[row][col]
            for i, (arm, g) in enumerate(t.groupby("arm")):
                for method, style in (("sample", ":"), ("tot", "--"), ("mcts", "-")):
                    m = g[g["method"] == method].groupby("budget")[metric].mean()
                    ax.plot(m.index, m.values, style, color=f"C{i}", marker="o", ms=3,
                            label=f"{arm} {method}")
            ax.set(xscale="log", xlabel="test-time tokens per task", ylabel=metric,
                   title=f"{task}: {metric}")
            ax.grid(alpha=0.3)
        axes[0][col].legend(fontsize=5, ncol=3)
    run.save_figure(fig, "accuracy_vs_test_budget")
    best = compare["mean"].idxmax()
    run.finish("best_pass1_mean", float(compare["mean"].max()), best=" ".join(best))


def main(cfg: Config, run: Run) -> None:
    {"arm": stage_arm, "prm": stage_prm, "report": stage_report}[cfg.stage](resolved(cfg), run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

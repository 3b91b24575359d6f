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
          reliability table (data/runs/<run>/calibration.csv) and plot;
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

import numpy as np
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
    prm_label_tasks: int = 128  # stage prm: tasks per split
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
            # the steps, and the finished answer (its label the verifier's verdict), as arms e
            # and f label them: MCTS asks the PRM about terminal states too
            prefixes = (step_prefixes(text, step_chars=step_chars) or ["<think>"]) + (
                [text] if "</answer>" in text else [])
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
    out = run.dir  # data/runs/<run>/: each calibration run keeps its own tables
    write_table(out / "calibration.csv", [asdict(b) for b in table])
    finished = ["</answer>" in e.prefix for e in held]
    write_table(out / "held_out.csv", [{"prefix": e.prefix, "finished": f, "label": e.label,
                                        "prediction": p}
                                       for e, p, f in zip(held, preds, finished, strict=True)])
    by_kind = {}
    for kind in (False, True):
        pl = [(p, y) for p, y, f in zip(preds, labels, finished, strict=True) if f == kind]
        by_kind["ece_" + ("answers" if kind else "steps")] = expected_calibration_error(
            calibration([p for p, _ in pl], [y for _, y in pl])) if pl else float("nan")
        by_kind["n_" + ("answers" if kind else "steps")] = len(pl)
    fig, ax = new_figure(1, 1, width=4.5, height=4.2)
    reliability_plot(ax, table, f"PRM on {cfg.task}")
    ax.set_title(f"{cfg.task}: {len(held)} held-out prefixes, k = {cfg.prm_k}")
    run.save_figure(fig, f"prm_reliability_{cfg.task}")
    run.finish("ece", expected_calibration_error(table), brier=brier(preds, labels),
               brier_constant=brier([base_rate] * len(labels), labels),
               train_prefixes=len(data["train"]), held_out_prefixes=len(held),
               label_tokens=tokens, final_loss=losses[-1] if losses else float("nan"),
               **by_kind)


def _load_arms(cfg: Config) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every finished arm at its task's budget (``cfg.train_tokens`` if set): the curves, the
    test-time rows and one row per (task, arm, seed) with the final and base pass@1."""
    curves, tests, finals = [], [], []
    for task, spec in TASKS.items():
        budget = cfg.train_tokens or spec.train_tokens
        for path in sorted((HERE / "data" / "arms" / task).glob(f"*/t{budget}_seed*/summary.json")):
            summary = json.loads(path.read_text())
            arm = path.parents[1].name  # the folder: "ev" is arm e with visit targets
            curve = pd.read_csv(path.parent / "curve.csv").assign(task=task, arm=arm)
            curve["point"] = range(len(curve))  # 0 = the base, then each evaluation point
            # tokens per evaluated completion, from the last evaluation's share of eval_tokens
            ran = json.loads((path.parent / "config.json").read_text())
            last = curve["eval_tokens"].diff().iloc[-1] / (ran["eval_tasks"] * ran["eval_samples"])
            curves.append(curve)
            tests.append(pd.DataFrame(summary["test_time"]).assign(task=task, arm=arm))
            finals.append({"task": task, "arm": arm, "seed": summary["seed"],
                           "base_pass1": curve["pass1"].iloc[0], "pass1": summary["pass1"],
                           "gain": summary["pass1"] - curve["pass1"].iloc[0],
                           # the last unit overshoots the budget by up to one unit (an ExIt
                           # round is ~5k tokens): pass@1 read off the curve at the budget itself
                           "pass1_at_budget": float(np.interp(budget, curve["train_tokens"],
                                                              curve["pass1"])),
                           "train_tokens": summary["train_tokens"], "units": summary["units"],
                           "tokens_per_answer": last})
    if not finals:
        raise SystemExit("no finished arm yet")
    return pd.concat(curves), pd.concat(tests), pd.DataFrame(finals)


def _arm_name(arm: str) -> str:
    from rocks.reason.harness import ARMS

    return f"{arm}: " + (ARMS.get(arm) or ARMS[arm[0]] + ", visit targets")


def _band(ax, x, mean, std, color, label=None, style="-") -> None:
    ax.plot(x, mean, style, color=color, marker="o", ms=3, label=label)
    ax.fill_between(x, mean - std.fillna(0), mean + std.fillna(0), color=color, alpha=0.15)


def stage_report(cfg: Config, run: Run) -> None:
    """compare.csv (final pass@1 per task and arm: mean, std over seeds), test_gain.csv (each
    test-time method and budget against one sample), curves.csv, test_time.csv, finals.csv and
    the figures accuracy_vs_tokens (seed bands) and accuracy_vs_test_budget."""
    curves, tests, finals = _load_arms(cfg)
    agg = ["mean", "std", "min", "max", "count"]
    compare = finals.groupby(["task", "arm"]).agg(
        pass1_mean=("pass1", "mean"), pass1_std=("pass1", "std"), pass1_min=("pass1", "min"),
        pass1_max=("pass1", "max"), seeds=("seed", "count"), base=("base_pass1", "mean"),
        at_budget_mean=("pass1_at_budget", "mean"), at_budget_std=("pass1_at_budget", "std"),
        gain_mean=("gain", "mean"), gain_std=("gain", "std"),
        train_tokens=("train_tokens", "mean"), units=("units", "mean")).reset_index()
    tests = tests.merge(finals[["task", "arm", "seed", "pass1", "tokens_per_answer"]],
                        on=["task", "arm", "seed"])
    tests["gain"] = tests["chosen_correct"] - tests["pass1"]  # over one sample, no search
    # over sampling at the same budget on the same tasks: what the search itself adds
    keys = ["task", "arm", "seed", "budget"]
    sampled = tests[tests["method"] == "sample"].set_index(keys)["chosen_correct"]
    tests["vs_sample"] = tests["chosen_correct"].to_numpy() - sampled.reindex(
        pd.MultiIndex.from_frame(tests[keys])).to_numpy()
    gain = tests.groupby(["task", "arm", "method", "budget"]).agg(
        {"chosen_correct": agg[:2], "gain": agg[:2], "vs_sample": agg[:2], "solved": agg[:2],
         "tokens": ["mean"], "seed": ["count"]})
    gain.columns = ["_".join(c) for c in gain.columns]
    gain = gain.reset_index()
    for name, df in (("compare", compare), ("test_gain", gain), ("curves", curves),
                     ("test_time", tests), ("finals", finals)):
        df.to_csv(run.dir / f"{name}.csv", index=False)
    print(compare.round(3).to_string())
    print(gain[gain["budget"] == gain.groupby("task")["budget"].transform("max")]
          .round(3).to_string())
    task_names = [t for t in TASKS if t in set(finals["task"])]
    arms = sorted(finals["arm"].unique())
    colors = {arm: f"C{i}" for i, arm in enumerate(arms)}

    fig, axes = new_figure(1, len(task_names), width=5.2, height=4, squeeze=False)
    for ax, task in zip(axes[0], task_names, strict=True):
        for arm, g in curves[curves["task"] == task].groupby("arm"):
            by = g.groupby("point").agg(x=("train_tokens", "mean"), m=("pass1", "mean"),
                                        s=("pass1", "std"), n=("seed", "count"))
            by = by[by["n"] == by["n"].max()]  # points every seed reached
            _band(ax, by["x"], by["m"], by["s"], colors[arm],
                  f"{_arm_name(arm)} (n={int(by['n'].max())})")
        ax.set(xlabel="sampled training tokens", ylabel="held-out pass@1 (mean ± sd of seeds)",
               title=f"{task}: {cfg.eval_tasks} tasks x {cfg.eval_samples} samples")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    run.save_figure(fig, "accuracy_vs_tokens")

    methods = (("sample", "best of N samples (log-prob pick)"), ("tot", "best-first search"),
               ("mcts", "MCTS (PRM for e, f; rollouts else)"))
    for metric, label in (("chosen_correct", "picked answer correct (no oracle)"),
                          ("solved", "some answer verified (oracle)")):
        fig, axes = new_figure(len(task_names), len(methods), width=4.2, height=3.6,
                               squeeze=False)
        for row, task in enumerate(task_names):
            t = tests[tests["task"] == task]
            for col, (method, title) in enumerate(methods):
                ax = axes[row][col]
                for arm, g in t[t["method"] == method].groupby("arm"):
                    one = g.groupby("seed")[["tokens_per_answer", "pass1"]].first()
                    by = g.groupby("budget").agg(m=(metric, "mean"), s=(metric, "std"))
                    # pass@1 sits at the tokens of one answer; a budget below that buys none
                    pts = sorted([(one["tokens_per_answer"].mean(), one["pass1"].mean(),
                                   one["pass1"].std()),
                                  *zip(by.index, by["m"], by["s"], strict=True)])
                    x, m, s = (pd.Series(v) for v in zip(*pts, strict=True))
                    _band(ax, x, m, s, colors[arm], _arm_name(arm))
                ax.set(xscale="log", xlabel="test-time tokens per task", ylabel=label,
                       title=f"{task}: {title}")
                ticks = sorted({*t["budget"], 10, 20})
                ax.set_xticks(ticks, [str(v) for v in ticks])
                ax.xaxis.set_minor_formatter("")
                ax.grid(alpha=0.3)
            axes[row][0].legend(fontsize=6)
        run.save_figure(fig, "accuracy_vs_test_budget" + ("" if metric == "chosen_correct"
                                                          else "_oracle"))
    final = compare.loc[compare.groupby("task")["pass1_mean"].idxmax()]
    run.finish("best_pass1_mean", float(compare["pass1_mean"].max()),
               **{f"best_{r.task}": f"{r.arm} {r.pass1_mean:.3f}" for r in final.itertuples()})


def main(cfg: Config, run: Run) -> None:
    stage = {"arm": stage_arm, "prm": stage_prm, "report": stage_report}[cfg.stage]
    stage(cfg if cfg.stage == "report" else resolved(cfg), run)  # report: each task's own


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

"""R1-Zero on parity: GRPO from a base that guesses directly and only sometimes thinks.

Follows DeepSeek-R1-Zero (DeepSeek-AI 2025: on-policy GRPO, rule-based rewards only, from a
pretrained base) and the two earlier experiments
(``2026-11-25_21-42_r1-zero-on-a-tiny-lm-grpo-vs-dr-grpo``,
``2026-11-25_23-14_r1-zero-addition-grpo-teaches-a-weak-base``), which found no lift because the
base's thoughts were no better than its direct answers.  Here thinking pays by construction:
the parity of an 18-bit string is out of reach of a 4-layer transformer in one forward pass
(Hahn 2020; Anil et al. 2022), while the running-parity trace (one digit per bit, a constant
distance from its bit) is easy.  The base is pretrained on a corpus where most examples answer
directly and ``trace_fraction`` of them show the trace, so it thinks now and then.

Departures from R1-Zero: 1. a char-level 0.87M-parameter base pretrained here on synthetic data
(``models/reason/base-parity``), not a web-scale LM, and its corpus contains worked traces (the
analogue of reasoning text in web data); 2. reward = accuracy + 0.2 format, no language reward;
3. about a hundred steps of 8 prompts x G=8, not thousands.

Stages (``--stage``):
  pretrain   continue ``init`` on parity into ``base`` (writes the model under models/), then
             evaluate it like ``base``;
  base       evaluate the base on held-out tasks (pass@1, pass@k, thinking share, forced-short);
  grpo       GRPO from the base (``--seed``), evaluating every ``eval_every`` steps, then the
             final evaluation;
  budget     the thinking-budget intervention: the model writes at most k characters of
             thought, then </think><answer> is forced; accuracy against k, for the base
             and the GRPO runs named in runs (their local checkpoints);
  aggregate  table base vs GRPO (mean ± std over seeds) and the figures.

    rocks lab run EXP --set stage=pretrain
    rocks lab run EXP --set stage=grpo --set seed=0
    rocks lab run EXP --set stage=budget --set runs=run-002,run-003,run-004
    rocks lab run EXP --set stage=aggregate --set runs=run-001,run-002,...
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import torch

from rocks.lab import Run, new_figure, start_run
from rocks.reason.evaluate import EvalConfig, evaluate, held_out_tasks, load_policy, run_eval
from rocks.reason.grpo import GRPOConfig, train
from rocks.reason.pretrain import PretrainConfig, pretrain
from rocks.reason.rewards import score
from rocks.reason.tasks import prompt_text


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "grpo"  # pretrain | base | grpo | aggregate
    base: str = "models/reason/base-parity"  # the base checkpoint (relative to the repo root)
    family: str = "parity"
    difficulty: int = 8  # parity: 2 + 2d bits = 18
    # pretraining (stage=pretrain)
    init: str = "models/reason/base"  # checkpoint the base continues from
    trace_fraction: float = 0.2
    pretrain_steps: int = 1500
    pretrain_batch: int = 32
    pretrain_lr: float = 1e-3
    pretrain_seed: int = 0
    # GRPO
    objective: str = "grpo"  # grpo | dr_grpo
    seed: int = 0
    steps: int = 100  # GRPO steps (one batch of prompts x G each)
    prompts_per_step: int = 8
    group_size: int = 8  # G
    max_new_tokens: int = 40
    lr: float = 5e-5
    beta: float = 0.0  # KL weight
    epsilon: float = 0.2
    mu: int = 2  # gradient steps per batch
    eval_every: int = 10
    eval_tasks: int = 100  # held-out tasks during training (2 samples each)
    final_tasks: int = 400  # held-out tasks for the final evaluation
    final_samples: int = 4  # samples per task in the final evaluation (pass@1, pass@4)
    threads: int = 1
    runs: str = ""  # aggregate: comma-separated run ids to include ('' = every finished run)
    budgets: tuple[int, ...] = (0, 3, 6, 9, 12, 15, 17, 18)  # budget: k in chars
    budget_tasks: int = 200  # budget: held-out tasks per k (2 samples each)


def repo_path(p: str) -> str:
    here = Path(__file__).resolve().parent
    path = Path(p)
    return str(path if path.is_absolute() else here.parent.parent / path)


def bits_of(cfg: Config) -> int:
    return 2 + 2 * cfg.difficulty


def thought_kind(think_chars: int, n_bits: int) -> str:
    """'none', 'partial' (shorter than one digit per bit), 'full' or 'longer'."""
    if think_chars == 0:
        return "none"
    return "partial" if think_chars < n_bits else "full" if think_chars == n_bits else "longer"


def thinking_split(samples_csv: Path, n_bits: int) -> dict:
    """Share and accuracy of samples by the kind of thought they wrote."""
    s = pd.read_csv(samples_csv)
    kinds = s["think_chars"].map(lambda c: thought_kind(int(c), n_bits))
    out: dict = {}
    for kind in ("none", "partial", "full", "longer"):
        picked = s.loc[kinds == kind, "correct"]
        out[f"share_{kind}"] = float(len(picked) / len(s))
        out[f"acc_{kind}"] = float(picked.mean()) if len(picked) else None
    think = s["think_chars"] > 0
    out["acc_thinking"] = float(s.loc[think, "correct"].mean()) if think.any() else None
    out["acc_direct"] = float(s.loc[~think, "correct"].mean()) if (~think).any() else None
    return out


def finish_eval(cfg: Config, run: Run, policy, **extra) -> None:
    ecfg = EvalConfig(model=cfg.base, family=cfg.family, difficulty=cfg.difficulty,
                      tasks=cfg.final_tasks, samples=cfg.final_samples,
                      max_new_tokens=cfg.max_new_tokens, forced_short=True, seed=12345,
                      out=str(run.dir / "final_eval"))
    result = run_eval(ecfg, policy)
    free, forced = result["free"], result["forced_short"]
    run.finish("pass1", free["pass1"], pass_k=free["pass_k"], format=free["format"],
               think_rate=free["think_rate"], think_chars=free["think_chars"],
               response_chars=free["response_chars"], forced_short_pass1=forced["pass1"],
               **thinking_split(run.dir / "final_eval" / "samples.csv", bits_of(cfg)), **extra)


def stage_pretrain(cfg: Config, run: Run) -> None:
    log = run.metrics("pretrain")
    pcfg = PretrainConfig(families=(cfg.family,), difficulty=cfg.difficulty,
                          trace_fraction=cfg.trace_fraction, steps=cfg.pretrain_steps,
                          batch_size=cfg.pretrain_batch, lr=cfg.pretrain_lr,
                          seed=cfg.pretrain_seed, out=repo_path(cfg.base),
                          init=repo_path(cfg.init) if cfg.init else "", threads=cfg.threads)
    pretrain(pcfg, log=lambda row: (log.log(**row), print(json.dumps(row), flush=True)))
    finish_eval(cfg, run, load_policy(repo_path(cfg.base)), stage_pretrained=True)


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
                train_seconds=float(log["step_s"].sum()), steps=int(log["step"].max()))


@torch.no_grad()
def budget_accuracy(policy, tasks, k: int, samples: int, seed: int) -> dict:
    """What the answer does when the thought is cut after k characters.

    Phase 1 forces <think> and samples k more tokens (a thought that closes itself earlier
    is kept as written); phase 2 forces </think><answer> after it and samples the answer.
    Returns accuracy, the share of answers that are "even"/"odd" at all (valid), accuracy
    among those, and how often a valid answer is the parity the thought's last digit states
    (follows_thought: the answer reads the trace rather than the bits).
    """
    generator = torch.Generator().manual_seed(seed)
    jobs = [t for t in tasks for _ in range(samples)]
    prompts = [prompt_text(t) for t in jobs]
    thoughts = [""] * len(jobs)
    if k > 0:
        first = policy.completions(policy.sample(prompts, 1 + k, 1.0, generator, "<think>"))
        thoughts = [c.removeprefix("<think>").split("</think>")[0].split("<")[0]
                    for c in first]
    heads = [f"<think>{th}</think><answer>" for th in thoughts]
    answers = policy.completions(policy.sample([p + h for p, h in zip(prompts, heads,
                                                                        strict=True)],
                                               12, 1.0, generator))
    said = [a.split("</answer>")[0].strip() for a in answers]
    correct = [score(h + a, t).accuracy for h, a, t in zip(heads, answers, jobs, strict=True)]
    valid = [x in ("even", "odd") for x in said]
    n_valid = max(1, sum(valid))
    stated = ["odd" if th[-1:] == "1" else "even" if th[-1:] == "0" else None for th in thoughts]
    follows = [ok and st is not None and x == st for ok, x, st in zip(valid, said, stated,
                                                                        strict=True)]
    with_digit = max(1, sum(ok and st is not None for ok, st in zip(valid, stated, strict=True)))
    return {"accuracy": sum(correct) / len(correct), "valid": sum(valid) / len(valid),
            "acc_valid": sum(c for c, ok in zip(correct, valid, strict=True) if ok) / n_valid,
            "follows_thought": sum(follows) / with_digit,
            "think_chars": sum(len(th) for th in thoughts) / len(thoughts)}


def stage_budget(cfg: Config, run: Run) -> None:
    tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.budget_tasks)
    models = [("base", repo_path(cfg.base))] + [
        (f"grpo {r.strip()}", str(run.experiment / "data" / "runs" / r.strip() / "grpo" /
                                 "checkpoint")) for r in cfg.runs.split(",") if r.strip()]
    log = run.metrics("budget")
    rows = []
    for name, path in models:
        policy = load_policy(path)
        for k in cfg.budgets:
            row = {"model": name, "k": k, **budget_accuracy(policy, tasks, k, 2, seed=777 + k)}
            log.log(**row)
            rows.append(row)
            print(row, flush=True)
    df = pd.DataFrame(rows)
    df["kind"] = df["model"].map(lambda m: "base" if m == "base" else "grpo")
    fig, ax = new_figure()
    for col, style in (("accuracy", "-"), ("valid", ":"), ("acc_valid", "--")):
        by = df.groupby(["kind", "k"])[col].agg(["mean", "min", "max"]).reset_index()
        for kind, g in by.groupby("kind"):
            label = "base" if kind == "base" else f"GRPO ({len(models) - 1} seeds, min-max)"
            ax.plot(g["k"], g["mean"], marker="o", linestyle=style, label=f"{label}: {col}",
                    color="C0" if kind == "base" else "C1")
            if kind != "base":
                ax.fill_between(g["k"], g["min"], g["max"], alpha=0.15, color="C1")
    ax.axhline(0.5, color="grey", linestyle=":", label="chance")
    ax.set_xlabel(f"thinking budget k (characters; {bits_of(cfg)} = one digit per bit)")
    ax.set_ylabel(f"share of {cfg.budget_tasks} held-out tasks x 2")
    ax.legend(fontsize=7)
    run.save_figure(fig, "accuracy_by_thinking_budget")
    full = df[(df["k"] == max(cfg.budgets)) & (df["kind"] == "grpo")]["accuracy"].mean()
    run.finish("grpo_acc_full_budget", float(full),
               grpo_acc_k0=float(df[(df["k"] == 0) & (df["kind"] == "grpo")]["accuracy"].mean()),
               base_acc_full_budget=float(df[(df["k"] == max(cfg.budgets)) &
                                             (df["kind"] == "base")]["accuracy"].mean()))


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


def stage_aggregate(cfg: Config, run: Run) -> None:
    runs = _finished_runs(run, cfg.runs)
    base = [r for r in runs if r[0]["stage"] in ("base", "pretrain")][-1:]
    grpo = [r for r in runs if r[0]["stage"] == "grpo"]
    rows = []
    for c, s, d in base + grpo:
        label = "base" if c["stage"] != "grpo" else c["objective"]
        rows.append({"model": label, "run": d.name, "seed": c["seed"] if label != "base" else "",
                     "pass1": s["headline"]["value"], **s["metrics"]})
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "final_by_run.csv", index=False)
    cols = ["pass1", "pass_k", "format", "think_rate", "think_chars", "response_chars",
            "forced_short_pass1", "acc_thinking", "acc_direct", "share_none", "share_partial",
            "share_full", "share_longer", "acc_none", "acc_partial", "acc_full", "acc_longer"]
    table[cols] = table[cols].apply(pd.to_numeric, errors="coerce")
    agg = table.groupby("model")[cols].agg(["mean", "std", "min", "max", "count"])
    agg.columns = [f"{a}_{b}" for a, b in agg.columns]
    agg.to_csv(run.dir / "summary_by_model.csv")
    print(agg.T.to_string())

    # Curves over GRPO steps: mean and spread (min-max) over seeds, one line per objective; the
    # base as a dashed line.
    base_metrics = base[0][1]["metrics"] if base else {}
    objectives = sorted({c["objective"] for c, _, _ in grpo})
    fig, axes = new_figure(1, 4, width=3.8, height=3.2)
    panels = [("log", "reward", "train reward (acc + 0.2 format)", None),
              ("eval", "pass1", "held-out pass@1", base[0][1]["headline"]["value"] if base
               else None),
              ("eval", "think_rate", "held-out share of samples thinking",
               base_metrics.get("think_rate")),
              ("log", "response_tokens", "train response length (tokens)", None)]
    for ax, (kind, col, title, base_value) in zip(axes, panels, strict=True):
        for objective in objectives:
            dirs = [d for c, _, d in grpo if c["objective"] == objective]
            frames = [pd.read_csv(d / "grpo" / f"{kind}.csv") for d in dirs]
            data = pd.concat(frames).groupby("step")[col]
            mean, lo, hi = data.mean(), data.min(), data.max()
            if kind == "log":  # per-batch numbers are noisy: smooth over 5 steps
                mean, lo, hi = (x.rolling(5, min_periods=1).mean() for x in (mean, lo, hi))
            ax.plot(mean.index, mean.values, label=f"{objective}, mean of {len(frames)} seeds")
            ax.fill_between(mean.index, lo.values, hi.values, alpha=0.2)
        if base_value is not None:
            ax.axhline(base_value, color="grey", linestyle="--", label="base (final eval)")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("GRPO step")
    axes[1].legend(fontsize=7)
    run.save_figure(fig, "curves")

    # Does longer thinking buy accuracy?  Accuracy by thought length (exact character count),
    # pooled over samples of the final evaluations; forced-short answers as the intervention.
    fig, ax = new_figure()
    length_rows = []
    groups = [("base", base)] + [(o, [r for r in grpo if r[0]["objective"] == o])
                                 for o in objectives]
    for label, group in groups:
        frames = [pd.read_csv(d / "final_eval" / "samples.csv") for _, _, d in group]
        if not frames:
            continue
        s = pd.concat(frames)
        by = s.groupby("think_chars")["correct"].agg(["mean", "count"]).reset_index()
        for r in by.itertuples():
            length_rows.append({"model": label, "think_chars": int(r.think_chars),
                                "count": int(r.count), "accuracy": float(r.mean)})
        shown = by[by["count"] >= 5]
        ax.plot(shown["think_chars"], shown["mean"], marker="o", label=f"{label} (n ≥ 5)")
        for r in shown.itertuples():
            ax.annotate(f"n={r.count}", (r.think_chars, r.mean), fontsize=7)
        forced = [pd.read_csv(d / "final_eval" / "samples_forced_short.csv")["correct"].mean()
                  for _, _, d in group]
        ax.scatter([-1.5], [sum(forced) / len(forced)], marker="x", s=60,
                   label=f"{label} forced short")
    pd.DataFrame(length_rows).to_csv(run.dir / "accuracy_by_think_chars.csv", index=False)
    ax.axvline(bits_of(cfg), color="grey", linestyle=":", label="one digit per bit")
    ax.set_xlabel("characters inside <think> (x at -1.5: forced <think></think>)")
    ax.set_ylabel("held-out accuracy")
    ax.legend(fontsize=7)
    run.save_figure(fig, "accuracy_by_think_length")
    means = agg["pass1_mean"].to_dict()
    run.finish("pass1_lift", means.get("grpo", float("nan")) - means.get("base", float("nan")),
               **{f"pass1_{k}": v for k, v in means.items()},
               **{f"pass1_std_{k}": v for k, v in agg["pass1_std"].to_dict().items()})


def main(cfg: Config, run: Run) -> None:
    import torch

    torch.set_num_threads(cfg.threads)
    stages = {"pretrain": stage_pretrain, "base": stage_base, "grpo": stage_grpo,
              "budget": stage_budget, "aggregate": stage_aggregate}
    stages[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

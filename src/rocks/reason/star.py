"""STaR, the Self-Taught Reasoner (Zelikman et al. 2022, "STaR: Bootstrapping Reasoning With
Reasoning"), on our verifier-checked tasks.

Algorithm 1 of the paper, for iterations n = 1..N over a fixed training set {q_i}:

    r_i, y_i ~ M_{n-1}(q_i)                                   rationale generation
    r'_i, y'_i ~ M_{n-1}(hint(q_i, y*_i))   for i with y_i ≠ y*_i     rationalisation
    D_n = {(q_i, r_i, y_i) : y_i = y*_i} ∪ {(q_i, r'_i, y'_i) : y'_i = y*_i}
    M_n = fine-tune(M_0, D_n)                                 always from the base model M_0

"Correct" is our verifier's verdict with the full ``<think>…</think><answer>…</answer>`` format.
Rationalisation shows the reference answer as a hint in the prompt; the kept trace is then
trained on the plain prompt, as if the model had found the answer itself (the hint never reaches
a training prompt; tested).

Departures:
1. k samples per task at temperature T instead of one greedy decode: our base is weak (pass@1
   ~0.08), and one greedy sample would leave D_1 nearly empty.
2. The number of fine-tuning steps is fixed per iteration (``epochs`` over D_n) rather than
   grown by 20% per outer loop.
3. A rationalised trace must carry a non-empty thought (``min_hint_think_chars``): with the
   answer in the prompt the cheapest "rationale" is none at all, which would teach the model
   to answer unseen questions without reasoning.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from rocks.atomic import write_json
from rocks.metrics import write_table
from rocks.reason.evaluate import evaluate, held_out_tasks, think_chars
from rocks.reason.rewards import RewardWeights
from rocks.reason.sft import (
    Example,
    finetune,
    load_policy_weights,
    read_examples,
    rejection_sample,
    save_policy,
    sft_tasks,
    write_examples,
)
from rocks.reason.tasks.base import Task

HINT_MARK = "Hint: the answer is"


def hint_prompt(task: Task) -> str:
    """The rationalisation prompt: the question with its reference answer as a hint."""
    return f"{task.prompt.rstrip()} {HINT_MARK} {task.answer}.\n"


@dataclass(frozen=True)
class STaRConfig:
    """One STaR run (saved as ``config.json`` in ``out``).

    Attributes:
        family, difficulty: the task family.
        tasks: size of the fixed training set (training seed range).
        iterations: outer loops N.
        k: samples per task per iteration (departure 1).
        rationalize: sample again with the answer as a hint for tasks no sample solved.
        hint_k: samples per failed task with the hint.
        min_hint_think_chars: shortest thought kept from a hinted sample (departure 3).
        max_per_task: distinct traces kept per task.
        temperature, max_new_tokens: sampling.
        epochs, batch_size, lr: fine-tuning from the base each iteration.
        eval_tasks, eval_samples: held-out evaluation after each iteration (0 tasks = none).
        reward: reward weights used by the filter.
        seed: tasks, sampling, data order.
        threads: torch CPU threads.
        out: run directory (iterations.csv, iter_<n>/{data.csv, log.csv, checkpoint/}).
    """

    family: str = "arithmetic"
    difficulty: int = 2
    tasks: int = 256
    iterations: int = 3
    k: int = 4
    rationalize: bool = True
    hint_k: int = 2
    min_hint_think_chars: int = 1
    max_per_task: int = 2
    temperature: float = 1.0
    max_new_tokens: int = 160
    epochs: int = 2
    batch_size: int = 16
    lr: float = 3e-4
    eval_tasks: int = 0
    eval_samples: int = 2
    reward: RewardWeights = field(default_factory=RewardWeights)
    seed: int = 0
    threads: int = 1
    out: str = "runs/star"

    def __post_init__(self) -> None:
        if min(self.tasks, self.iterations, self.k, self.max_per_task, self.epochs,
               self.batch_size, self.max_new_tokens) < 1:
            raise ValueError(f"STaRConfig sizes must be >= 1: {self}")
        if self.rationalize and self.hint_k < 1:
            raise ValueError("rationalize needs hint_k >= 1")


@dataclass(frozen=True)
class IterationStats:
    """One STaR iteration (a row of ``iterations.csv``)."""

    iteration: int
    solved: int
    rationalized: int
    examples: int
    sample_tokens: int
    final_loss: float
    eval_pass1: float


def collect(policy, tasks: Sequence[Task], cfg: STaRConfig,
            generator: torch.Generator | None = None) -> tuple[list[Example], dict[str, int]]:
    """D_n: correct traces on the plain prompt, plus rationalised traces for the failed tasks.

    Every returned example's prompt is ``prompt_text(task)``: hinted samples are re-attached to
    the plain prompt (``rejection_sample`` does that for any ``prompt_fn``).
    """
    direct, stats = rejection_sample(policy, tasks, cfg.k, cfg.temperature, cfg.max_new_tokens,
                                     generator, cfg.reward, max_per_task=cfg.max_per_task)
    solved = {e.seed for e in direct}
    tokens = int(stats["tokens"])
    hinted: list[Example] = []
    if cfg.rationalize:
        failed = [t for t in tasks if t.seed not in solved]
        if failed:
            raw, hstats = rejection_sample(policy, failed, cfg.hint_k, cfg.temperature,
                                           cfg.max_new_tokens, generator, cfg.reward,
                                           max_per_task=cfg.max_per_task, prompt_fn=hint_prompt)
            tokens += int(hstats["tokens"])
            # A trace that quotes the hint would teach the model to expect one.
            hinted = [e for e in raw if think_chars(e.completion) >= cfg.min_hint_think_chars
                      and HINT_MARK not in e.completion]
    counts = {"solved": len(solved), "rationalized": len({e.seed for e in hinted}),
              "tokens": tokens}
    return direct + hinted, counts


def run_star(policy, cfg: STaRConfig, progress: bool = False) -> list[IterationStats]:
    """Run STaR; resumes after the last finished iteration found in ``cfg.out``.

    Each iteration samples with M_{n-1}, fine-tunes a fresh copy of M_0 on D_n and writes
    ``iter_<n>/data.csv``, ``iter_<n>/log.csv``, ``iter_<n>/checkpoint/`` and a row of
    ``iterations.csv``.  On return ``policy`` holds M_N.
    """
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    write_json(out / "config.json", asdict(cfg))
    base_state = copy.deepcopy(policy.model.state_dict())
    tasks = sft_tasks(cfg.family, cfg.difficulty, cfg.tasks, cfg.seed, salt="star")
    eval_set = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks) if cfg.eval_tasks else []
    history: list[IterationStats] = []
    rows: list[dict] = []
    iters = range(1, cfg.iterations + 1)
    if progress:
        from tqdm import tqdm

        iters = tqdm(iters, desc="STaR")
    for n in iters:
        it_dir = out / f"iter_{n}"
        if (it_dir / "stats.json").exists():
            # Finished earlier: its model is M_n, the sampler of the next iteration.
            stats = IterationStats(**json.loads((it_dir / "stats.json").read_text()))
            load_policy_weights(policy, it_dir / "checkpoint")
            history.append(stats)
            rows.append(asdict(stats))
            continue
        torch.manual_seed(cfg.seed * 1000 + n)
        generator = torch.Generator().manual_seed(cfg.seed * 1000 + n)
        if (it_dir / "data.csv").exists():
            examples = read_examples(it_dir / "data.csv")
            counts = {"solved": -1, "rationalized": -1, "tokens": -1}
        else:
            examples, counts = collect(policy, tasks, cfg, generator)
            write_examples(it_dir / "data.csv", examples)
        policy.model.load_state_dict(base_state)  # STaR: fine-tune M_0, not M_{n-1}
        log: list[dict] = []
        losses = finetune(policy, examples, cfg.epochs, cfg.batch_size, cfg.lr,
                          seed=cfg.seed * 1000 + n, log=log.append)
        write_table(it_dir / "log.csv", log)
        pass1 = float("nan")
        if eval_set:
            summary, _ = evaluate(policy, eval_set, cfg.eval_samples, cfg.temperature,
                                  cfg.max_new_tokens, seed=n)
            pass1 = summary.pass1
        stats = IterationStats(n, counts["solved"], counts["rationalized"], len(examples),
                               counts["tokens"], losses[-1] if losses else float("nan"), pass1)
        save_policy(policy, it_dir / "checkpoint", {"star": asdict(cfg), "iteration": n})
        write_json(it_dir / "stats.json", asdict(stats))
        history.append(stats)
        rows.append(asdict(stats))
        write_table(out / "iterations.csv", rows)
    write_table(out / "iterations.csv", rows)
    return history


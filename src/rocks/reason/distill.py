"""Distillation, DeepSeek-R1's last step: fine-tune a student on the RL model's correct traces.

DeepSeek-R1 (2025, §2.4, "Distillation: Empower Small Models with Reasoning Capability")
samples ~800k responses from the RL-trained model, keeps the correct ones, and fine-tunes
smaller dense models on them with plain SFT (no RL for the students), finding that the
students gain more than RL on the small model itself gives.  Here the teacher is a GRPO-trained
policy (SmolLM2 + LoRA); the student is rocks' TinyLM or SmolLM2 from its base (the control:
does SFT on the RL model's traces give what RL gave?):

    D = {(q, o) : o ~ π_RL(·|q), k samples per q, accuracy(o) = 1, format(o) = 1}
    θ_student = argmin - Σ_(q,o)∈D Σ_t log π_θ(o_t | q, o_<t) / Σ |o|     (``sft.finetune``)

``collect_traces`` samples and filters (``sft.rejection_sample``: R1's filter, RFT's
deduplication), ``for_student`` re-attaches the teacher's reply opening for a student that has
to write it itself, ``distill`` fine-tunes; the caller evaluates both sides the same way.

Departures:
1. Thousands of traces, not 800k; the prompts are the teacher's task family only (training
   seeds), so this measures transfer of one skill, not general reasoning.
2. A TinyLM student keeps its character tokenizer: characters it has no token for become
   ``<unk>`` (``unknown_share`` reports how many), and its ``max_len`` is raised to fit the
   traces (``tinylm_student``: RoPE has no learned positions, so no weight changes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from rocks.atomic import write_json
from rocks.metrics import write_table
from rocks.reason.lm import TinyLM, load_checkpoint
from rocks.reason.rewards import RewardWeights
from rocks.reason.sft import (
    Example,
    finetune,
    mean_nll,
    read_examples,
    rejection_sample,
    sft_tasks,
    write_examples,
)
from rocks.reason.tokenizer import CharTokenizer


@dataclass(frozen=True)
class DistillConfig:
    """One distillation run (saved as ``config.json`` in ``out``).

    Attributes:
        family, difficulty: the task family the teacher was trained on.
        tasks: training prompts (``TRAIN_SEEDS``: never an evaluation task).
        k: teacher samples per prompt.
        temperature, max_new_tokens: the teacher's sampling.
        max_per_task: at most this many distinct correct traces per prompt.
        reward: how a trace is judged (``prefill`` = the teacher's reply opening).
        student_prefix: put before every trace for the student (``"<think>"`` when the teacher's
            prompt ended with it but the student's does not).
        epochs, batch_size, lr, max_grad_norm: the student's fine-tuning.
        batch_rows: rows per teacher sampling call.
        seed: prompts, sampling and data order.
        out: run directory (traces.csv, log.csv, summary.json, config.json).
    """

    family: str = "gym:basic_arithmetic"
    difficulty: int = 1
    tasks: int = 128
    k: int = 4
    temperature: float = 0.7
    max_new_tokens: int = 128
    max_per_task: int = 2
    reward: RewardWeights = field(default_factory=RewardWeights)
    student_prefix: str = ""
    epochs: int = 3
    batch_size: int = 8
    lr: float = 2e-4
    max_grad_norm: float = 1.0
    batch_rows: int = 64
    seed: int = 0
    out: str = "runs/distill"

    def __post_init__(self) -> None:
        if min(self.tasks, self.k, self.max_new_tokens, self.max_per_task, self.epochs,
               self.batch_size, self.batch_rows) < 1:
            raise ValueError(f"DistillConfig sizes must be >= 1: {self}")


def collect_traces(teacher, cfg: DistillConfig) -> tuple[list[Example], dict[str, float]]:
    """The teacher's correct, fully formatted traces on ``cfg.tasks`` training prompts."""
    tasks = sft_tasks(cfg.family, cfg.difficulty, cfg.tasks, cfg.seed, salt="distill")
    generator = torch.Generator().manual_seed(cfg.seed)
    return rejection_sample(teacher, tasks, cfg.k, cfg.temperature, cfg.max_new_tokens,
                            generator, cfg.reward, 0.0, cfg.max_per_task,
                            batch_rows=cfg.batch_rows)


def for_student(examples: Sequence[Example], prefix: str) -> list[Example]:
    """The traces as the student learns them: ``prefix`` (the teacher's prefilled reply
    opening) put back in front of each completion."""
    return [replace(e, completion=prefix + e.completion) for e in examples]


def unknown_share(tokenizer: CharTokenizer, examples: Sequence[Example]) -> float:
    """Share of the completions' tokens that a character tokenizer maps to ``<unk>``."""
    ids = [i for e in examples for i in tokenizer.encode(e.completion)]
    return sum(i == tokenizer.unk_id for i in ids) / max(len(ids), 1)


def tinylm_student(path: str | Path, max_len: int):
    """A TinyLM checkpoint as a student policy whose ``max_len`` is at least ``max_len``
    (departure 2)."""
    from rocks.reason.grpo import TinyLMPolicy

    model, tok, _ = load_checkpoint(path)
    if max_len > model.cfg.max_len:
        longer = TinyLM(replace(model.cfg, max_len=max_len))
        longer.load_state_dict(model.state_dict())
        model = longer
    return TinyLMPolicy(model, tok)


def distill(
    student,
    examples: Sequence[Example],
    cfg: DistillConfig,
    log: Callable[[dict], None] | None = None,
) -> dict[str, float]:
    """Fine-tune ``student`` on ``examples`` (already ``for_student``); returns the student's
    token NLL of the traces before and after, and the step count."""
    torch.manual_seed(cfg.seed)
    before = mean_nll(student, examples) if examples else float("nan")
    losses = finetune(student, examples, cfg.epochs, cfg.batch_size, cfg.lr, cfg.seed,
                      cfg.max_grad_norm, log)
    after = mean_nll(student, examples) if examples else float("nan")
    return {"examples": float(len(examples)), "nll_before": before, "nll_after": after,
            "steps": float(len(losses))}


def run_distill(teacher, student, cfg: DistillConfig, progress: bool = False) -> dict:
    """Collect the teacher's traces (``traces.csv``; reused when present, so a crash in
    fine-tuning does not sample again), fine-tune the student on them, write ``log.csv``,
    ``summary.json`` and ``config.json``; returns the summary.  Saving and evaluating the
    student is the caller's (a LoRA student ships its adapter, a TinyLM its checkpoint)."""
    out = Path(cfg.out)
    write_json(out / "config.json", asdict(cfg))
    path = out / "traces.csv"
    stats: dict[str, float] = {}
    if path.exists():
        traces = read_examples(path)
    else:
        traces, stats = collect_traces(teacher, cfg)
        write_examples(path, traces)
    examples = for_student(traces, cfg.student_prefix)
    rows: list[dict] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.epochs * -(-len(examples) // cfg.batch_size), desc="distill")

    def log(row: dict) -> None:
        rows.append(row)
        if bar is not None:
            bar.update(1)

    summary = {**stats, **distill(student, examples, cfg, log)}
    if bar is not None:
        bar.close()
    if isinstance(getattr(student, "tokenizer", None), CharTokenizer):
        summary["unknown_share"] = unknown_share(student.tokenizer, examples)
    write_table(out / "log.csv", rows)
    write_json(out / "summary.json", summary)
    return summary

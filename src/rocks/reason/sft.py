"""Rejection-sampling supervised fine-tuning (RS-SFT): sample, keep what the verifier accepts,
fine-tune on it.

DeepSeek-R1 (2025, §2.3.3) builds its second-stage SFT data this way: sample many completions
per prompt from the RL checkpoint, keep only those that are correct, well formatted and in one
language, and fine-tune with the ordinary language-modelling loss on the kept completions.
Rejection sampling for fine-tuning also goes by RFT (Yuan et al. 2023, "Scaling Relationship on
Learning Mathematical Reasoning with Large Language Models"), which deduplicates the kept
reasoning paths per question.

    D = {(q, o) : o ~ π(·|q), k samples per q, accuracy(o) = 1, format(o) = 1, language(o) ≥ λ}
    L(θ) = - Σ_(q,o)∈D Σ_t log π_θ(o_t | q, o_<t) / Σ_(q,o)∈D |o|

Works on any ``rocks.reason.grpo.Policy`` whose ``tokenizer`` is our ``CharTokenizer`` or a
``transformers`` tokenizer (``encode_pairs``).

Departures:
1. The loss is the token mean over the whole minibatch (every kept token weighs the same), as
   in ``pretrain.lm_loss``; R1 does not say how it averages.
2. Identical completions for one prompt are kept once (RFT's deduplication), and at most
   ``max_per_task`` per prompt, so easy prompts do not swamp the set.
3. The language filter is our script-share reward (``rewards.language_reward``) against a
   threshold, not a language identifier.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
from torch import Tensor

from rocks.atomic import replace_with, write_json
from rocks.metrics import read_rows, write_table
from rocks.reason.lm import Samples, left_pad, save_checkpoint
from rocks.reason.rewards import RewardWeights, score
from rocks.reason.tasks import get_family, prompt_text
from rocks.reason.tasks.base import TRAIN_SEEDS, Task, draw_seed
from rocks.reason.tokenizer import CharTokenizer


@dataclass(frozen=True)
class Example:
    """One accepted (prompt, completion) pair and the task seed it came from."""

    seed: int
    prompt: str
    completion: str


@dataclass(frozen=True)
class SFTConfig:
    """One rejection-sampling SFT run (saved as ``config.json`` in ``out``).

    Attributes:
        family, difficulty: the task family sampled from.
        tasks: training prompts (seeds from ``TRAIN_SEEDS``, the training range).
        k: samples per prompt.
        temperature: sampling temperature.
        max_new_tokens: generation budget per sample.
        min_language: language-consistency threshold λ (0 = no language filter).
        max_per_task: at most this many distinct accepted completions per prompt.
        epochs: passes over the accepted set.
        batch_size: examples per gradient step.
        lr: AdamW learning rate (constant).
        max_grad_norm: gradient clipping.
        reward: reward weights (``prefill`` when the prompt template ends with ``<think>``).
        seed: task choice, sampling and data order.
        threads: torch CPU threads.
        out: run directory (accepted.csv, log.csv, config.json, checkpoint/).
    """

    family: str = "arithmetic"
    difficulty: int = 2
    tasks: int = 256
    k: int = 8
    temperature: float = 1.0
    max_new_tokens: int = 160
    min_language: float = 0.0
    max_per_task: int = 4
    epochs: int = 2
    batch_size: int = 16
    lr: float = 3e-4
    max_grad_norm: float = 1.0
    reward: RewardWeights = field(default_factory=RewardWeights)
    seed: int = 0
    threads: int = 1
    out: str = "runs/sft"

    def __post_init__(self) -> None:
        if min(self.tasks, self.k, self.max_new_tokens, self.max_per_task, self.epochs,
               self.batch_size) < 1:
            raise ValueError(f"SFTConfig sizes must be >= 1: {self}")
        if not 0.0 <= self.min_language <= 1.0:
            raise ValueError(f"min_language must be in [0, 1], got {self.min_language}")


def sft_tasks(family: str, difficulty: int, count: int, seed: int, salt: str = "sft") -> list[Task]:
    """``count`` training tasks drawn from the training seed range (never the held-out one)."""
    rng = random.Random(f"{salt}:{seed}")
    fam = get_family(family)
    return [fam.generate(draw_seed(rng, TRAIN_SEEDS), difficulty) for _ in range(count)]


def accepted(completion: str, task: Task, weights: RewardWeights | None = None,
             min_language: float = 0.0) -> bool:
    """The R1 filter: correct by the verifier, fully formatted, language share >= λ."""
    b = score(completion, task, weights)
    return b.accuracy == 1.0 and b.format == 1.0 and b.language >= min_language


@torch.no_grad()
def rejection_sample(
    policy,
    tasks: Sequence[Task],
    k: int,
    temperature: float,
    max_new_tokens: int,
    generator: torch.Generator | None = None,
    weights: RewardWeights | None = None,
    min_language: float = 0.0,
    max_per_task: int = 4,
    prompt_fn: Callable[[Task], str] = prompt_text,
    batch_rows: int = 256,
) -> tuple[list[Example], dict[str, float]]:
    """Sample ``k`` completions of ``prompt_fn(task)`` per task and keep the accepted ones.

    Returned examples always carry the plain ``prompt_text(task)`` as their prompt, whatever
    ``prompt_fn`` conditioned the sampling on (STaR's rationalisation samples with a hint and
    trains without it).  Stats: samples, accepted (before dedup), kept, tasks_solved, tokens.
    """
    jobs = [t for t in tasks for _ in range(k)]
    kept: dict[int, list[str]] = {}
    n_accepted = 0
    tokens = 0
    for start in range(0, len(jobs), batch_rows):
        chunk = jobs[start : start + batch_rows]
        out = policy.sample([prompt_fn(t) for t in chunk], max_new_tokens, temperature,
                            generator)
        tokens += int(out.completion_mask.sum())
        for task, text in zip(chunk, policy.completions(out), strict=True):
            if not accepted(text, task, weights, min_language):
                continue
            n_accepted += 1
            mine = kept.setdefault(id(task), [])
            if text not in mine and len(mine) < max_per_task:
                mine.append(text)
    examples = [Example(t.seed, prompt_text(t), c) for t in tasks for c in kept.get(id(t), [])]
    stats = {"samples": float(len(jobs)), "accepted": float(n_accepted),
             "kept": float(len(examples)), "tasks_solved": float(sum(1 for v in kept.values()
                                                                      if v)),
             "tokens": float(tokens)}
    return examples, stats


def encode_pairs(policy, pairs: Sequence[tuple[str, str]]) -> Samples:
    """Teacher-forcing batch for (prompt, completion) texts, completions ending in EOS.

    Prompts are left-padded to one width P, completions right-padded, so ``Samples`` means what
    it means after sampling and ``policy.logprobs`` scores the completions.
    """
    tok = policy.tokenizer
    if isinstance(tok, CharTokenizer):
        prompts = [tok.encode(p, bos=True) for p, _ in pairs]
        comps = [tok.encode(c, eos=True) for _, c in pairs]
        pad = tok.pad_id
    else:  # a transformers tokenizer (HFPolicy): the prompt exactly as sampling sees it
        # (prefix, chat template, assistant prefix), so a chat model learns its own turn
        render = policy.prompt if callable(getattr(policy, "prompt", None)) else (
            lambda text: getattr(policy, "prompt_prefix", "") + text)
        prompts = [tok(render(p), add_special_tokens=False)["input_ids"] for p, _ in pairs]
        comps = [tok(c, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
                 for _, c in pairs]
        pad = tok.pad_token_id
    p_ids, p_mask = left_pad(prompts, pad)
    width = max(len(c) for c in comps)
    c_ids = torch.full((len(comps), width), pad, dtype=torch.long)
    c_mask = torch.zeros((len(comps), width), dtype=torch.long)
    for i, c in enumerate(comps):
        c_ids[i, : len(c)] = torch.tensor(c, dtype=torch.long)
        c_mask[i, : len(c)] = 1
    return Samples(ids=torch.cat([p_ids, c_ids], 1), attention_mask=torch.cat([p_mask, c_mask], 1),
                   completion_mask=c_mask, prompt_len=p_ids.shape[1])


def sft_loss(policy, samples: Samples) -> Tensor:
    """Mean negative log-likelihood per completion token (departure 1)."""
    logp = policy.logprobs(policy.model, samples)
    mask = samples.completion_mask.float()
    return -(logp * mask).sum() / mask.sum().clamp(min=1)


@torch.no_grad()
def mean_nll(policy, examples: Sequence[Example], batch_size: int = 64) -> float:
    """Token-mean negative log-likelihood of ``examples`` under the policy."""
    was_training = policy.model.training
    policy.model.eval()
    total, count = 0.0, 0.0
    for i in range(0, len(examples), batch_size):
        batch = encode_pairs(policy, [(e.prompt, e.completion) for e in examples[i:i + batch_size]])
        logp = policy.logprobs(policy.model, batch)
        total -= float((logp * batch.completion_mask).sum())
        count += float(batch.completion_mask.sum())
    policy.model.train(was_training)
    return total / max(count, 1.0)


def finetune(
    policy,
    examples: Sequence[Example],
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
    max_grad_norm: float = 1.0,
    log: Callable[[dict], None] | None = None,
) -> list[float]:
    """Fine-tune ``policy.model`` on ``examples`` with the LM loss; returns the step losses."""
    if not examples:
        return []
    opt = torch.optim.AdamW(policy.model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.0)
    rng = random.Random(f"finetune:{seed}")
    order = list(range(len(examples)))
    losses: list[float] = []
    policy.model.train()
    for epoch in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[start : start + batch_size]]
            loss = sft_loss(policy, encode_pairs(policy, [(e.prompt, e.completion) for e in batch]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.model.parameters(), max_grad_norm)
            opt.step()
            losses.append(loss.item())
            if log is not None:
                log({"epoch": epoch, "step": len(losses), "loss": loss.item()})
    return losses


EXAMPLE_COLUMNS = tuple(f.name for f in fields(Example))


def write_examples(path: Path, examples: Sequence[Example]) -> None:
    """The accepted set as a CSV table (``read_examples`` reads it back)."""
    write_table(path, [asdict(e) for e in examples], EXAMPLE_COLUMNS)


def read_examples(path: Path) -> list[Example]:
    return [Example(int(r["seed"]), r["prompt"], r["completion"]) for r in read_rows(path)]


def save_policy(policy, path: Path, meta: dict) -> None:
    """A checkpoint directory: ours via ``save_checkpoint``, any other model's state dict."""
    if isinstance(getattr(policy, "tokenizer", None), CharTokenizer):
        save_checkpoint(path, policy.model, policy.tokenizer, meta)
        return
    replace_with(path / "state_dict.pt", lambda tmp: torch.save(policy.model.state_dict(), tmp))
    write_json(path / "config.json", {"meta": meta})


def load_policy_weights(policy, path: Path) -> None:
    """Load what ``save_policy`` wrote into ``policy.model`` (same architecture)."""
    if (path / "model.safetensors").exists():
        from safetensors.torch import load_file

        policy.model.load_state_dict(load_file(str(path / "model.safetensors")))
    else:
        policy.model.load_state_dict(torch.load(path / "state_dict.pt", weights_only=True))


def run_sft(policy, cfg: SFTConfig, progress: bool = False) -> dict:
    """Rejection-sample ``cfg.tasks`` prompts, fine-tune on the accepted set, save.

    Writes ``config.json``, ``accepted.csv`` (the SFT data; reused when present, so a rerun
    after a crash in fine-tuning does not sample again), ``log.csv`` (loss per step),
    ``summary.json`` and ``checkpoint/``.  Returns the summary.
    """
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    write_json(out / "config.json", asdict(cfg))
    data_path = out / "accepted.csv"
    stats: dict[str, float] = {}
    if data_path.exists():
        examples = read_examples(data_path)
    else:
        tasks = sft_tasks(cfg.family, cfg.difficulty, cfg.tasks, cfg.seed)
        generator = torch.Generator().manual_seed(cfg.seed)
        examples, stats = rejection_sample(
            policy, tasks, cfg.k, cfg.temperature, cfg.max_new_tokens, generator, cfg.reward,
            cfg.min_language, cfg.max_per_task,
        )
        write_examples(data_path, examples)
    rows: list[dict] = []
    nll_before = mean_nll(policy, examples) if examples else float("nan")
    bar = None
    if progress:
        from tqdm import tqdm

        steps = cfg.epochs * -(-len(examples) // cfg.batch_size)
        bar = tqdm(total=steps, desc="rs-sft")

    def log(row: dict) -> None:
        rows.append(row)
        if bar is not None:
            bar.update(1)

    finetune(policy, examples, cfg.epochs, cfg.batch_size, cfg.lr, cfg.seed, cfg.max_grad_norm,
             log)
    if bar is not None:
        bar.close()
    write_table(out / "log.csv", rows)
    summary = {**stats, "examples": len(examples), "nll_before": nll_before,
               "nll_after": mean_nll(policy, examples) if examples else float("nan"),
               "steps": len(rows)}
    save_policy(policy, out / "checkpoint", {"sft": asdict(cfg), "summary": summary})
    write_json(out / "summary.json", summary)
    return summary

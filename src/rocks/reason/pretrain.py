"""Synthetic pretraining of the base model: mostly direct answers, a few worked traces.

R1-Zero (DeepSeek-AI 2025) needs a base model that already *samples* coherent reasoning now and
then, so that reinforcement learning has something to reinforce; "There May Not be Aha Moment
in R1-Zero-like Training" (Liu et al. 2025) found the self-reflection in base models before RL.
The small-model analogue here: a corpus in which most completions answer directly
(``<think></think><answer>936</answer>``) and a small fraction ``trace_fraction`` show a worked
column-arithmetic trace inside ``<think>``.  A model of ~1M parameters learns the traced
algorithm well but guesses direct answers poorly, and starts out preferring the direct form --
weak, but with correct reasoning in its samples.

Departures:
1. The corpus is drawn from the task families themselves (``PRETRAIN_SEEDS``, disjoint from
   GRPO's training and the evaluation seeds), not from web text; the base knows only the task
   language.  Each family writes its own prompt and worked trace (``TaskFamily.prompt`` and
   ``.trace``: column arithmetic for ``arithmetic``/``addition``/``countdown``, the running
   parity for ``parity``, in the scratchpad format of Nye et al. 2021, "Show Your Work").
2. Batches are bucketed by length for speed, and every batch of a bucketing pool is divided by
   the same token count, so each supervised token weighs the same as in one big batch.
   (Before 2026-11-26 each batch was its own token mean; bases trained then, incl.
   ``models/reason/base``, ``base-add`` and ``base-parity``, think 2-3x less often than
   their corpora.)
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from rocks.devices import DeviceName, resolve_device, training_autocast
from rocks.reason.lm import LMConfig, TinyLM, left_pad, load_checkpoint, save_checkpoint
from rocks.reason.tasks import get_family
from rocks.reason.tasks.base import PRETRAIN_SEEDS, Task, TaskFamily, draw_seed
from rocks.reason.tokenizer import CharTokenizer


@dataclass(frozen=True)
class PretrainConfig:
    """One pretraining run.

    Attributes:
        families: task family names (``--family addition,parity``); examples are drawn from
            them in turn.
        difficulty: the families' difficulty knob.
        trace_fraction: share of examples with a worked ``<think>`` trace (the rest answer
            directly with an empty think block).
        steps, batch_size, lr, warmup, weight_decay: AdamW schedule (cosine decay to 10%).
        seed: the run's seed (model init and data order).
        out: checkpoint directory.
        init: a checkpoint to continue from ('' = train from scratch); its shape wins over ``lm``.
        lm: network shape (``vocab_size`` is overwritten by the tokenizer's).
        bf16: bfloat16 autocast (about 2x on CPUs with AVX512-bf16; the device's own
            low-precision type elsewhere, :func:`rocks.devices.autocast`).
        threads: torch CPU threads.
        device: auto (an accelerator when there is one), cpu, cuda or mps.
        log_every: steps between log lines / CSV rows.
    """

    families: tuple[str, ...] = field(default=("arithmetic",), metadata={"flag": "--family"})
    difficulty: int = 1
    trace_fraction: float = 0.15
    steps: int = 1500
    batch_size: int = 64
    lr: float = 2e-3
    warmup: int = 100
    weight_decay: float = 0.05
    seed: int = 0
    out: str = "models/reason/base"
    init: str = ""
    lm: LMConfig = LMConfig()
    bf16: bool = True
    threads: int = 1
    device: DeviceName = "auto"
    log_every: int = 50


def completion_text(task: Task, think: str | None) -> str:
    """The supervised completion: the thought (empty when ``think`` is None), then the answer."""
    return f"<think>{think or ''}</think><answer>{task.answer}</answer>"


def corpus(
    families: Sequence[TaskFamily],
    difficulty: int,
    trace_fraction: float,
    seed: int,
) -> Iterator[tuple[str, str]]:
    """Endless (prompt, completion) pairs, the families taking turns; each is traced (by its
    family's ``trace``) with probability ``trace_fraction``."""
    rng = random.Random(seed)
    i = 0
    while True:
        family = families[i % len(families)]
        task = family.generate(draw_seed(rng, PRETRAIN_SEEDS), difficulty)
        i += 1
        think = family.trace(task) if rng.random() < trace_fraction else None
        yield family.prompt(task), completion_text(task, think)


def lm_batch(
    pairs: list[tuple[str, str]], tok: CharTokenizer, max_len: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ids [B, T], attention mask, and loss mask (1 on completion tokens only)."""
    rows, loss_rows = [], []
    for prompt, completion in pairs:
        p = tok.encode(prompt, bos=True)
        c = tok.encode(completion, eos=True)
        row = (p + c)[:max_len]
        rows.append(row)
        loss_rows.append(([0] * len(p) + [1] * len(c))[:max_len])
    ids, mask = left_pad(rows, tok.pad_id)
    loss_mask, _ = left_pad(loss_rows, 0)
    return ids, mask, loss_mask


def bucketed_batches(
    pairs: Iterator[tuple[str, str]],
    tok: CharTokenizer,
    batch_size: int,
    max_len: int,
    rng: random.Random,
    pool: int = 16,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]]:
    """Batches of similar length: draw ``pool`` batches' worth, sort by length, deal out.

    Traced examples are 3-5x longer than direct ones; without bucketing one trace pads its
    whole batch and most of the compute goes to padding.  Each batch comes with the pool's
    mean count of supervised tokens per batch, the loss normaliser every batch of the pool
    shares: dividing each batch by its own count would weigh a token of a short (direct) batch
    3x a token of a long (traced) one, and the base would think far less often than its corpus
    does (measured: 20% traced corpus, 9% thinking samples).
    """
    while True:
        buf = [next(pairs) for _ in range(batch_size * pool)]
        buf.sort(key=lambda pc: len(pc[0]) + len(pc[1]))
        chunks = [buf[i : i + batch_size] for i in range(0, len(buf), batch_size)]
        rng.shuffle(chunks)
        batches = [lm_batch(chunk, tok, max_len) for chunk in chunks]
        tokens = sum(float(loss_mask[:, 1:].sum()) for _, _, loss_mask in batches)
        normaliser = max(1.0, tokens / len(batches))
        for ids, mask, loss_mask in batches:
            yield ids, mask, loss_mask, normaliser


def lm_loss(
    model: TinyLM,
    ids: torch.Tensor,
    mask: torch.Tensor,
    loss_mask: torch.Tensor,
    normaliser: float | None = None,
) -> torch.Tensor:
    """Next-token cross-entropy summed over completion tokens, divided by ``normaliser``.

    ``normaliser`` None divides by this batch's own token count (the batch's token mean).
    """
    logits = model(ids[:, :-1], attention_mask=mask[:, :-1])
    target_mask = loss_mask[:, 1:].float()
    ce = F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none"
    ).view_as(target_mask)
    denominator = target_mask.sum().clamp(min=1) if normaliser is None else normaliser
    return (ce * target_mask).sum() / denominator


def lr_at(step: int, cfg: PretrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def pretrain(cfg: PretrainConfig, log: Callable[[dict], None] | None = None) -> TinyLM:
    """Train a base model from scratch on the synthetic corpus; writes ``cfg.out``."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    families = [get_family(name) for name in cfg.families]
    if cfg.init:
        model, tok, _ = load_checkpoint(cfg.init)
        lm_cfg = model.cfg
    else:
        tok = CharTokenizer()
        lm_cfg = LMConfig(**{**asdict(cfg.lm), "vocab_size": len(tok)})
        model = TinyLM(lm_cfg)
    device = resolve_device(cfg.device)
    model.to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay,
                                                               "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, 0.95),
    )
    batches = bucketed_batches(
        corpus(families, cfg.difficulty, cfg.trace_fraction, cfg.seed), tok, cfg.batch_size,
        lm_cfg.max_len, random.Random(cfg.seed),
    )
    t0 = time.perf_counter()
    running = None
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        ids, mask, loss_mask, normaliser = (t.to(device) if isinstance(t, torch.Tensor) else t
                                            for t in next(batches))
        with training_autocast(device, enabled=cfg.bf16):
            loss = lm_loss(model, ids, mask, loss_mask, normaliser)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        # Logged as this batch's token mean, comparable across batches of any length.
        token_mean = loss.item() * normaliser / max(1.0, float(loss_mask[:, 1:].sum()))
        running = token_mean if running is None else 0.95 * running + 0.05 * token_mean
        if log is not None and (step % cfg.log_every == 0 or step == cfg.steps - 1):
            log({"step": step, "loss": token_mean, "loss_ema": running,
                 "lr": lr_at(step, cfg), "seconds": time.perf_counter() - t0})
    meta = {"pretrain": {**asdict(cfg), "lm": asdict(lm_cfg)}, "final_loss_ema": running,
            "seconds": time.perf_counter() - t0}
    save_checkpoint(Path(cfg.out), model, tok, meta)
    return model

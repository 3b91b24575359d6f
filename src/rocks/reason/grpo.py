"""Group Relative Policy Optimization (GRPO) and its Dr. GRPO variant.

GRPO (Shao et al. 2024, DeepSeekMath §4.1; used for DeepSeek-R1-Zero, 2025): for each prompt q
sample a group of G completions o_1..o_G from the old policy, score them with rule-based rewards
r_i, and use the group-relative advantage A_i = (r_i - mean(r)) / std(r) for every token of o_i.
The objective, maximised for μ gradient steps per batch, is

    J = 1/G Σ_i 1/|o_i| Σ_t [ min(ρ_it A_i, clip(ρ_it, 1-ε, 1+ε) A_i) - β D_KL,it ]
    ρ_it = π_θ(o_it | q, o_i<t) / π_old(o_it | q, o_i<t)
    D_KL,it = π_ref/π_θ - log(π_ref/π_θ) - 1          (Schulman's k3 estimator, ≥ 0)

Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training: A Critical Perspective") drops
the 1/|o_i| factor (which favours long wrong answers and short right ones) and the std division
(which over-weights prompts that are nearly all right or all wrong): A_i = r_i - mean(r), and the
token sum is divided by a constant (the generation budget) instead.  Each variant is its own
pair of functions (``group_advantages``/``grpo_loss`` and ``dr_group_advantages``/
``dr_grpo_loss``), picked by name in ``OBJECTIVES``.

The trainer works on any ``Policy``: ours (``TinyLMPolicy``) or any ``transformers`` causal LM
(``rocks.reason.hf.HFPolicy``).  Rewards come from ``rocks.reason.rewards.score`` (the same
functions TRL gets through ``rocks.reason.rewards.trl_reward_funcs``).

Departures:
1. std(r) is the population std plus 1e-4 (R1 does not say; TRL uses the sample std plus 1e-4);
   a group with equal rewards gets zero advantage either way.
2. π_old is the policy that sampled (the batch is generated once, then μ steps are taken), as in
   the paper; with μ = 1 the ratio is 1 and the clip is inactive.
3. Tokens after EOS are masked; a completion cut at the generation budget keeps its tokens and
   is scored as written (its format reward is then 0: no ``</answer>``).
4. π_θ, π_old and π_ref are all softmax(logits / T) at the sampling temperature T, so ρ is a
   ratio of the distribution that actually sampled (at T = 1, the paper's setting, this is
   the plain softmax).
5. The update runs in micro-batches of ``micro_batch`` rows (a group's rows longest first),
   each cut to the columns its rows use (left padding of its prompts, right padding past its
   longest completion): every objective here is a mean over completions of per-completion
   terms, so a micro-batch of b of the B rows contributes its own loss times b/B and the
   summed gradients are the one-pass gradient.  Transformers policies also run a micro-batch's
   shared prompt once (``rocks.reason.hf``, departure 4).  Measured in docs/benchmarks.md
   ("GRPO update").
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import torch
from torch import Tensor, nn

from rocks.atomic import replace_with, write_json
from rocks.devices import DeviceName, resolve_device
from rocks.metrics import MetricsLogger
from rocks.reason.lm import Samples, TinyLM, completion_logprobs, sample, save_checkpoint
from rocks.reason.lora import (
    LoraSettings,
    attach,
    is_lora,
    load_trainable_state,
    save_adapter,
    trainable_state,
)
from rocks.reason.rewards import RewardWeights, score
from rocks.reason.selfcheck import self_check_rate
from rocks.reason.tasks import get_family, prompt_text
from rocks.reason.tasks.base import TRAIN_SEEDS, RewardBreakdown, Task, draw_seed
from rocks.reason.tokenizer import CharTokenizer

# ------------------------------------------------------------------------------------------
# The algorithm: advantages and losses.  Shapes: B = prompts × G rows, T completion positions.


def group_advantages(rewards: Tensor, group_size: int) -> Tensor:
    """GRPO: A_i = (r_i - mean_group) / (std_group + 1e-4); rewards [B] grouped contiguously."""
    r = rewards.view(-1, group_size)
    adv = (r - r.mean(-1, keepdim=True)) / (r.std(-1, unbiased=False, keepdim=True) + 1e-4)
    return adv.reshape(-1)


def dr_group_advantages(rewards: Tensor, group_size: int) -> Tensor:
    """Dr. GRPO: A_i = r_i - mean_group (no std normalisation)."""
    r = rewards.view(-1, group_size)
    return (r - r.mean(-1, keepdim=True)).reshape(-1)


@dataclass(frozen=True)
class LossTerms:
    """What one gradient step needs besides the current log-probs.

    Attributes:
        old_logp: [B, T] log π_old of the sampled tokens.
        ref_logp: [B, T] log π_ref, or None when β = 0.
        advantages: [B] one advantage per completion.
        mask: [B, T] 1 on completion tokens that count.
        epsilon: clip range ε.
        beta: KL weight β.
        max_tokens: the generation budget (Dr. GRPO's constant normaliser).
    """

    old_logp: Tensor
    ref_logp: Tensor | None
    advantages: Tensor
    mask: Tensor
    epsilon: float
    beta: float
    max_tokens: int


def _per_token_objective(logp: Tensor, t: LossTerms) -> tuple[Tensor, dict[str, float]]:
    ratio = torch.exp(logp - t.old_logp)
    adv = t.advantages[:, None]
    surrogate = torch.minimum(ratio * adv, ratio.clamp(1 - t.epsilon, 1 + t.epsilon) * adv)
    mask = t.mask.float()
    n = mask.sum().clamp(min=1)
    stats = {"clip_frac": float((((ratio - 1).abs() > t.epsilon).float() * mask).sum() / n)}
    if t.ref_logp is not None and t.beta != 0:
        log_r = t.ref_logp - logp
        kl = torch.exp(log_r) - log_r - 1
        surrogate = surrogate - t.beta * kl
        stats["kl"] = float((kl.detach() * mask).sum() / n)
    return surrogate * mask, stats


def grpo_loss(logp: Tensor, terms: LossTerms) -> tuple[Tensor, dict[str, float]]:
    """-J of GRPO: each completion's token mean (1/|o_i|), then the mean over completions."""
    obj, stats = _per_token_objective(logp, terms)
    per_seq = obj.sum(-1) / terms.mask.float().sum(-1).clamp(min=1)
    return -per_seq.mean(), stats


def dr_grpo_loss(logp: Tensor, terms: LossTerms) -> tuple[Tensor, dict[str, float]]:
    """-J of Dr. GRPO: token sums divided by the constant budget, mean over completions."""
    obj, stats = _per_token_objective(logp, terms)
    return -(obj.sum(-1) / terms.max_tokens).mean(), stats


AdvantageFn = Callable[[Tensor, int], Tensor]
LossFn = Callable[[Tensor, LossTerms], tuple[Tensor, dict[str, float]]]
OBJECTIVES: dict[str, tuple[AdvantageFn, LossFn]] = {
    "grpo": (group_advantages, grpo_loss),
    "dr_grpo": (dr_group_advantages, dr_grpo_loss),
}

# ------------------------------------------------------------------------------------------
# Policies: what the trainer needs from a model.


class Policy(Protocol):
    """A causal LM the trainer can sample from and differentiate."""

    model: nn.Module

    def sample(
        self, prompts: Sequence[str], max_new_tokens: int, temperature: float,
        generator: torch.Generator | None = None, prefix: str = "",
    ) -> Samples: ...

    def logprobs(self, model: nn.Module, samples: Samples, temperature: float = 1.0) -> Tensor:
        ...

    def completions(self, samples: Samples) -> list[str]: ...


@dataclass
class TinyLMPolicy:
    """Our ``TinyLM`` with its character tokenizer."""

    model: TinyLM
    tokenizer: CharTokenizer

    def sample(
        self, prompts: Sequence[str], max_new_tokens: int, temperature: float,
        generator: torch.Generator | None = None, prefix: str = "",
    ) -> Samples:
        tok = self.tokenizer
        return sample(
            self.model, [tok.encode(p, bos=True) for p in prompts], max_new_tokens, tok.eos_id,
            tok.pad_id, temperature, generator, tok.encode(prefix) if prefix else None,
        )

    def logprobs(self, model: nn.Module, samples: Samples, temperature: float = 1.0) -> Tensor:
        return completion_logprobs(model, samples, temperature)

    def completions(self, samples: Samples) -> list[str]:
        return [self.tokenizer.decode(row) for row in samples.ids[:, samples.prompt_len :].tolist()]


# ------------------------------------------------------------------------------------------
# The trainer.


@dataclass(frozen=True)
class GRPOConfig:
    """One GRPO run (saved as ``config.json`` in ``out``).

    Attributes:
        family, difficulty: the task family trained on.
        objective: a key of ``OBJECTIVES`` ("grpo" or "dr_grpo").
        steps: policy-gradient batches.
        prompts_per_step: prompts per batch; each is sampled ``group_size`` (G) times.
        max_new_tokens: generation budget per completion.
        temperature: sampling temperature (R1-Zero: 1.0).
        lr: AdamW learning rate (constant).
        epsilon: clip range ε.
        beta: KL weight β (0 = no reference model is kept).
        mu: gradient steps per batch (μ).
        max_grad_norm: gradient clipping.
        reward: reward weights (accuracy, format, ...).
        lora: LoRA adapters for a transformers policy (``rank`` 0 = train every weight);
            ``train`` attaches them and saves the adapter under ``out/adapter``.  A policy
            that already has an adapter (``rocks reason train --adapter``, e.g. an SFT
            stage's: R1's third stage) keeps it and trains it further; ``lora`` is then
            ignored.
        seed: run seed (sampling and task order); training task seeds are drawn from
            ``TRAIN_SEEDS`` so evaluation tasks are never trained on.
        eval_every, eval_tasks, eval_samples, eval_temperature: a held-out evaluation every
            ``eval_every`` steps (0 = never) on ``eval_tasks`` tasks, ``eval_samples`` samples
            each at ``eval_temperature`` (0 = greedy), run by the ``evaluate_fn`` the caller
            passes to ``train``.
        checkpoint_every: steps between checkpoints (for resuming).
        micro_batch: rows per forward/backward pass, each micro-batch cut to the columns its
            rows use, a group's rows taken longest first (departure 5); 0 = the whole batch in
            one pass.  The gradient is the same either way (up to float rounding), so this
            only trades passes for padding and memory.
        kl_every: with β = 0 and a LoRA policy, measure the k3 KL to the base (the adapter
            switched off, no gradient) every ``kl_every`` steps, for the log only (0 = never;
            unmeasured steps log NaN).  With β > 0 the KL is the loss's and logged every step.
        threads: torch CPU threads.
        device: where the policy (and its reference) train: auto (an accelerator when there
            is one), cpu, cuda or mps (:mod:`rocks.devices`).
        out: run directory (log.csv, eval.csv, checkpoint/).
    """

    family: str = "arithmetic"
    difficulty: int = 2
    objective: str = "grpo"
    steps: int = 60
    prompts_per_step: int = 8
    group_size: int = 8
    max_new_tokens: int = 160
    temperature: float = 1.0
    lr: float = 3e-4
    epsilon: float = 0.2
    beta: float = 0.0
    mu: int = 2
    max_grad_norm: float = 1.0
    reward: RewardWeights = field(default_factory=RewardWeights)
    lora: LoraSettings = field(default_factory=LoraSettings)
    seed: int = 0
    eval_every: int = 10
    eval_tasks: int = 200
    eval_samples: int = 2
    eval_temperature: float = 1.0
    checkpoint_every: int = 10
    micro_batch: int = 4
    kl_every: int = 0
    threads: int = 1
    device: DeviceName = "auto"
    out: str = "runs/grpo"

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; known: {sorted(OBJECTIVES)}")
        if self.group_size < 2:
            raise ValueError("group_size G must be >= 2 (advantages are relative to the group)")
        if min(self.steps, self.prompts_per_step, self.mu, self.max_new_tokens) < 1:
            raise ValueError("steps, prompts_per_step, mu and max_new_tokens must be >= 1")
        if self.micro_batch < 0 or self.kl_every < 0:
            raise ValueError("micro_batch and kl_every must be >= 0")


@dataclass(frozen=True)
class StepStats:
    """One logged training step (a row of ``log.csv``)."""

    step: int
    reward: float
    accuracy: float  # strict (the <answer> tag): what the reward pays for
    lenient: float  # the final answer anywhere in the response (logged, not rewarded)
    format: float
    tags: float  # partial format credit (rewards.tag_reward)
    language: float
    self_check: float  # share of completions that check or revise themselves
    response_tokens: float
    think_chars: float
    solved_groups: float
    loss: float
    kl: float
    clip_frac: float
    sample_s: float
    update_s: float
    step_s: float


def training_tasks(cfg: GRPOConfig, step: int) -> list[Task]:
    rng = random.Random(f"grpo:{cfg.seed}:{step}")
    family = get_family(cfg.family)
    return [family.generate(draw_seed(rng, TRAIN_SEEDS), cfg.difficulty)
            for _ in range(cfg.prompts_per_step)]


def think_length(completion: str) -> int:
    """Characters inside ``<think>…</think>`` (0 when absent)."""
    start, end = completion.find("<think>"), completion.find("</think>")
    return max(0, end - start - len("<think>")) if 0 <= start < end else 0


def micro_batches(samples: Samples, rows: int, group_size: int = 0
                  ) -> list[tuple[Tensor, Samples]]:
    """``samples`` in micro-batches of ``rows`` rows (0 = one batch), each cut to the columns
    its own rows use: the prompt's left padding that all of them have, and the completion
    columns after their longest completion.  Attention never reaches those columns from the
    kept ones (left padding is masked, right padding lies in the future), so the kept
    log-probs are unchanged.  With ``group_size`` the rows of each group are taken longest
    first, so a micro-batch of part of a group holds completions of like length (and one
    prompt).  Returns (row indices, micro-batch) pairs."""
    n, p = samples.ids.shape[0], samples.prompt_len
    order = torch.arange(n)
    if group_size and rows:
        lengths = samples.completion_mask.sum(-1).cpu()
        order = torch.cat([g + torch.argsort(-lengths[g : g + group_size], stable=True)
                           for g in range(0, n, group_size)])
    out = []
    for start in range(0, n, rows or n):
        idx = order[start : start + (rows or n)]
        dev = idx.to(samples.ids.device)
        att, comp = samples.attention_mask[dev], samples.completion_mask[dev]
        used = att[:, :p].any(0).nonzero()
        lead = int(used[0]) if len(used) else 0
        cols = comp.any(0).nonzero()
        width = int(cols[-1]) + 1 if len(cols) else 1
        out.append((idx, Samples(ids=samples.ids[dev, lead : p + width],
                                 attention_mask=att[:, lead : p + width],
                                 completion_mask=comp[:, :width], prompt_len=p - lead)))
    return out


@torch.no_grad()
def kl_to_base(policy: Policy, batches: Sequence[tuple[Tensor, Samples]],
               logps: Sequence[Tensor | None], temperature: float) -> float:
    """Token mean of the k3 estimate of KL(π_θ ‖ π_base) on π_θ's own samples, π_base being
    the LoRA policy with its adapter switched off; ``logps`` are π_θ's log-probs per batch."""
    total, count = 0.0, 0.0
    with policy.model.disable_adapter():
        for (_, sub), logp in zip(batches, logps, strict=True):
            log_r = policy.logprobs(policy.model, sub, temperature) - logp
            mask = sub.completion_mask.float()
            total += float(((torch.exp(log_r) - log_r - 1) * mask).sum())
            count += float(mask.sum())
    return total / max(count, 1.0)


def policy_gradient(
    policy: Policy,
    ref_model: nn.Module | None,
    opt: torch.optim.Optimizer,
    samples: Samples,
    advantages: Tensor,
    cfg: GRPOConfig,
) -> tuple[float, dict[str, float], list[tuple[Tensor, Samples]], list[Tensor | None]]:
    """μ gradient steps of ``cfg.objective`` on one sampled batch, in micro-batches
    (departure 5).  Returns the mean loss over the μ steps, the token-mean statistics (kl,
    clip_frac), the micro-batches and π_old's log-probs on each."""
    batches = micro_batches(samples, cfg.micro_batch, cfg.group_size)
    with torch.no_grad():
        refs = [policy.logprobs(ref_model, sub, cfg.temperature) if ref_model is not None
                else None for _, sub in batches]
    policy.model.train()
    _, loss_fn = OBJECTIVES[cfg.objective]
    losses, stats_acc = [], {"kl": 0.0, "clip_frac": 0.0}
    # π_old is the policy before the first update, so its log-probs are the first pass's,
    # detached: no separate no-grad forward pass
    olds: list[Tensor | None] = [None] * len(batches)
    total_tokens = float(samples.completion_mask.sum().clamp(min=1))
    for _ in range(cfg.mu):
        opt.zero_grad(set_to_none=True)
        loss = 0.0
        for j, (rows, sub) in enumerate(batches):
            logp = policy.logprobs(policy.model, sub, cfg.temperature)
            if olds[j] is None:
                olds[j] = logp.detach()
            terms = LossTerms(olds[j], refs[j], advantages[rows.to(advantages.device)],
                              sub.completion_mask, cfg.epsilon, cfg.beta, cfg.max_new_tokens)
            part, stats = loss_fn(logp, terms)
            share = len(rows) / len(advantages)  # departure 5
            (part * share).backward()
            loss += part.item() * share
            weight = float(sub.completion_mask.sum()) / total_tokens / cfg.mu
            for k in stats_acc:
                stats_acc[k] += stats.get(k, 0.0) * weight
        torch.nn.utils.clip_grad_norm_(policy.model.parameters(), cfg.max_grad_norm)
        opt.step()
        losses.append(loss)
    return sum(losses) / len(losses), stats_acc, batches, olds


def grpo_step(
    policy: Policy,
    ref_model: nn.Module | None,
    opt: torch.optim.Optimizer,
    tasks: Sequence[Task],
    cfg: GRPOConfig,
    step: int,
    generator: torch.Generator | None = None,
) -> StepStats:
    """Sample G completions per task, score them, and take μ clipped policy-gradient steps."""
    advantages_fn = OBJECTIVES[cfg.objective][0]
    G = cfg.group_size
    t0 = time.perf_counter()
    group_tasks = [t for t in tasks for _ in range(G)]
    samples = policy.sample([prompt_text(t) for t in group_tasks], cfg.max_new_tokens,
                            cfg.temperature, generator)
    texts = policy.completions(samples)
    breakdowns: list[RewardBreakdown] = [score(c, t, cfg.reward) for c, t in
                                         zip(texts, group_tasks, strict=True)]
    device = next(policy.model.parameters()).device
    rewards = torch.tensor([b.total for b in breakdowns], dtype=torch.float32, device=device)
    advantages = advantages_fn(rewards, G)
    t1 = time.perf_counter()
    loss, stats_acc, batches, olds = policy_gradient(policy, ref_model, opt, samples, advantages,
                                                     cfg)
    kl = stats_acc["kl"]
    if cfg.beta == 0 and cfg.kl_every:
        kl = (kl_to_base(policy, batches, olds, cfg.temperature)
              if step % cfg.kl_every == 0 and is_lora(policy.model) else float("nan"))
    t2 = time.perf_counter()
    acc = torch.tensor([b.accuracy for b in breakdowns]).view(-1, G)
    return StepStats(
        step=step,
        reward=float(rewards.mean()),
        accuracy=float(acc.mean()),
        lenient=sum(b.lenient for b in breakdowns) / len(breakdowns),
        format=sum(b.format for b in breakdowns) / len(breakdowns),
        tags=sum(b.tags for b in breakdowns) / len(breakdowns),
        language=sum(b.language for b in breakdowns) / len(breakdowns),
        self_check=self_check_rate(texts),
        response_tokens=float(samples.completion_mask.float().sum(-1).mean()),
        think_chars=sum(think_length(c) for c in texts) / len(texts),
        solved_groups=float((acc.max(-1).values > 0).float().mean()),
        loss=loss,
        kl=kl,
        clip_frac=stats_acc["clip_frac"],
        sample_s=t1 - t0,
        update_s=t2 - t1,
        step_s=t2 - t0,
    )


def _atomic_torch_save(obj: object, path: Path) -> None:
    replace_with(path, lambda tmp: torch.save(obj, tmp))


def train(
    policy: Policy,
    cfg: GRPOConfig,
    evaluate_fn: Callable[[Policy, int], dict] | None = None,
    progress: bool = False,
) -> list[StepStats]:
    """Run GRPO; resumes from ``cfg.out/state.pt`` when present.

    Writes ``log.csv`` (one ``StepStats`` per step), ``eval.csv`` (``evaluate_fn`` rows every
    ``eval_every`` steps and at the end), ``config.json``, and for a ``TinyLMPolicy`` the final
    weights under ``checkpoint/`` (with ``cfg.lora``: the adapter under ``adapter/``).
    ``state.pt`` holds only the weights that train (``lora.trainable_state``).  Rows are
    logged every step but the state only every ``checkpoint_every`` steps, so a resumed run
    first forgets the rows logged after its checkpoint (it is about to log those steps again).
    """
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    write_json(out / "config.json", asdict(cfg))
    if cfg.lora.rank and not is_lora(policy.model):
        attach(policy, cfg.lora)  # from here on only the adapter trains
    policy.model.to(resolve_device(cfg.device))
    opt = torch.optim.AdamW([p for p in policy.model.parameters() if p.requires_grad],
                            lr=cfg.lr, betas=(0.9, 0.99), weight_decay=0.0)
    ref_model = None
    if cfg.beta != 0:
        ref_model = copy.deepcopy(policy.model).eval()
        for p in ref_model.parameters():
            p.requires_grad_(False)
    start = 0
    state_path = out / "state.pt"
    if state_path.exists():
        state = torch.load(state_path, weights_only=False, map_location="cpu")
        load_trainable_state(policy.model, state["model"])
        opt.load_state_dict(state["opt"])
        if ref_model is not None:
            ref_model.load_state_dict(state["ref"])
        start = state["step"]
    torch.manual_seed(cfg.seed * 7919 + start)
    generator = torch.Generator().manual_seed(cfg.seed * 104729 + start)
    history = []
    with MetricsLogger(out / "log.csv") as log, MetricsLogger(out / "eval.csv") as evals:
        # A fresh start (-1) forgets every row, the step-0 evaluation included.
        for logger in (log, evals):
            logger.drop_after("step", start if start else -1)
        if evaluate_fn is not None and start == 0:
            evals.log({"step": 0, **evaluate_fn(policy, 0)})
        steps = range(start, cfg.steps)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc=f"{cfg.objective} seed {cfg.seed}", initial=start,
                         total=cfg.steps)
        for step in steps:
            stats = grpo_step(policy, ref_model, opt, training_tasks(cfg, step), cfg, step + 1,
                              generator)
            history.append(stats)
            log.log(asdict(stats))
            done = step + 1
            if evaluate_fn is not None and cfg.eval_every and (
                done % cfg.eval_every == 0 or done == cfg.steps
            ):
                evals.log({"step": done, **evaluate_fn(policy, done)})
            if done % cfg.checkpoint_every == 0 or done == cfg.steps:
                state = {"model": trainable_state(policy.model), "opt": opt.state_dict(),
                         "step": done}
                if ref_model is not None:
                    state["ref"] = ref_model.state_dict()
                _atomic_torch_save(state, state_path)
    if isinstance(policy, TinyLMPolicy):
        save_checkpoint(out / "checkpoint", policy.model, policy.tokenizer,
                        {"grpo": asdict(cfg), "steps": cfg.steps})
    elif is_lora(policy.model):
        save_adapter(policy, out / "adapter")
    return history


"""GRPO with a process reward model as a dense reward: step-level credit on top of the outcome.

Math-Shepherd (Wang et al. 2024, §3.3) and DeepSeekMath (Shao et al. 2024, §4.1.3, "process
supervision" GRPO) give each reasoning step its own reward from a PRM instead of one reward per
completion.  Here the outcome advantage of GRPO is kept and every token of step k also gets the
PRM's change of value across that step (potential-based shaping, Ng et al. 1999: the shaping
terms of a completion telescope, so they cannot change which completion is best):

    A_it = A_i + λ · (V(s_k) - V(s_{k-1}))     t in step k,  s_0 = the root "<think>"
    A_it = A_i + λ · (r_i - V(s_K))            t after the last step (closing and answer)

with A_i GRPO's group-relative advantage (or Dr. GRPO's), V the PRM, r_i the accuracy reward.
The loss is GRPO's clipped surrogate with a per-token advantage.

Departures:
1. Outcome plus shaped process reward, not DeepSeekMath's normalised sum of future step
   rewards: the shaping keeps the outcome's ranking and adds only step-level credit.
2. Steps are cut at ``delimiters`` as in ``rocks.reason.prm.step_prefixes``; a completion that
   does not open with the root gets no shaping (its tokens carry A_i alone).
3. A TinyLM policy (character tokenizer): each completion token's text is its decoded id, which
   is how token positions are matched to step boundaries.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
from torch import Tensor

from rocks.reason.grpo import OBJECTIVES, GRPOConfig
from rocks.reason.prm import ProcessRewardModel, step_prefixes
from rocks.reason.rewards import score
from rocks.reason.tasks import prompt_text
from rocks.reason.tasks.base import Task


def token_steps(token_texts: Sequence[str], prefix_ends: Sequence[int]) -> list[int]:
    """For each token, the index k of the step it ends in (0..len(prefix_ends)); a token whose
    last character is at or before ``prefix_ends[k]`` belongs to step k (len = after the last)."""
    out, end, k = [], 0, 0
    for text in token_texts:
        end += len(text)
        while k < len(prefix_ends) and end > prefix_ends[k]:
            k += 1
        out.append(k)
    return out


def shaped_advantages(
    prm: ProcessRewardModel,
    prompts: Sequence[str],
    completions: Sequence[str],
    token_texts: Sequence[Sequence[str]],
    outcome_adv: Tensor,
    accuracy: Sequence[float],
    weight: float,
    width: int,
    delimiters: Sequence[str] = ("\n", " "),
    root: str = "<think>",
    step_chars: int = 0,
) -> tuple[Tensor, float]:
    """[B, width] per-token advantages (the formula above) and the mean |shaping| per token."""
    adv = outcome_adv[:, None].repeat(1, width).float()
    shaping_total, shaped_tokens = 0.0, 0
    for i, text in enumerate(completions):
        prefixes = step_prefixes(text, delimiters, root, step_chars)
        if not prefixes:
            continue
        values = prm.values([prompts[i] + p for p in prefixes])
        # potentials: V(root) before step 1 ... V(last prefix), then the outcome
        potentials = [*values, float(accuracy[i])]
        ends = [len(p) for p in prefixes]
        for t, k in enumerate(token_steps(token_texts[i][:width], ends)):
            delta = potentials[k] - potentials[k - 1] if k > 0 else 0.0
            adv[i, t] += weight * delta
            shaping_total += abs(weight * delta)
            shaped_tokens += 1
    return adv, shaping_total / max(shaped_tokens, 1)


def dense_grpo_step(
    policy,
    prm: ProcessRewardModel,
    opt: torch.optim.Optimizer,
    tasks: Sequence[Task],
    cfg: GRPOConfig,
    weight: float,
    generator: torch.Generator | None = None,
    step_chars: int = 0,
) -> dict[str, float]:
    """One GRPO batch with PRM-shaped per-token advantages; returns logged statistics
    (reward, accuracy, tokens sampled, mean |shaping|, loss, seconds)."""
    advantages_fn = OBJECTIVES[cfg.objective][0]
    G = cfg.group_size
    t0 = time.perf_counter()
    group = [t for t in tasks for _ in range(G)]
    prompts = [prompt_text(t) for t in group]
    samples = policy.sample(prompts, cfg.max_new_tokens, cfg.temperature, generator)
    texts = policy.completions(samples)
    scores = [score(c, t, cfg.reward) for c, t in zip(texts, group, strict=True)]
    rewards = torch.tensor([b.total for b in scores], dtype=torch.float32)
    outcome = advantages_fn(rewards, G)
    ids = samples.ids[:, samples.prompt_len:].tolist()
    token_texts = [[policy.tokenizer.decode([j]) for j in row] for row in ids]
    width = samples.completion_mask.shape[1]
    adv, shaping = shaped_advantages(prm, prompts, texts, token_texts, outcome,
                                     [b.accuracy for b in scores], weight, width,
                                     step_chars=step_chars)
    mask = samples.completion_mask.float()
    policy.model.train()
    old = None
    for _ in range(cfg.mu):
        logp = policy.logprobs(policy.model, samples, cfg.temperature)
        old = logp.detach() if old is None else old
        ratio = torch.exp(logp - old)
        surrogate = torch.minimum(ratio * adv, ratio.clamp(1 - cfg.epsilon, 1 + cfg.epsilon) * adv)
        if cfg.objective == "dr_grpo":
            loss = -((surrogate * mask).sum(-1) / cfg.max_new_tokens).mean()
        else:
            loss = -((surrogate * mask).sum(-1) / mask.sum(-1).clamp(min=1)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.model.parameters(), cfg.max_grad_norm)
        opt.step()
    return {"reward": float(rewards.mean()),
            "accuracy": sum(b.accuracy for b in scores) / len(scores),
            "tokens": int(mask.sum()), "shaping": shaping, "loss": float(loss.item()),
            "step_s": time.perf_counter() - t0}

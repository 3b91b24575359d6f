"""A process reward model: a value function over partial reasoning, trained from Monte-Carlo
rollouts.

Math-Shepherd (Wang et al. 2024, "Math-Shepherd: Verify and Reinforce LLMs Step-by-step without
Human Annotations") labels a reasoning prefix without human annotation: complete it k times with
the policy and let the verifier judge the answers; the prefix's soft label is the share that is
correct,

    y(q, s_1..s_i) = (1/k) Σ_j 1[verify(completion_j of q, s_1..s_i)]

and the PRM is trained with cross-entropy against y.  The PRM here is the policy's network with
a scalar head reading the last position's final hidden state (initialised from the policy, a
separate copy: the policy keeps training without it), V(s) = sigmoid(head(h_last)).  Its
calibration on held-out prefixes is a reliability table (``calibration``) and plot
(``reliability_plot``).

Departures:
1. Soft labels with binary cross-entropy (Math-Shepherd reports soft and hard labels; soft is
   the value estimate an MCTS wants).
2. Steps are the text between delimiters (``tot.first_step``'s rule), not newline-separated
   solution steps, and the empty thought (the root, ``<think>``) is labelled too.
3. A TinyLM policy only (its character tokenizer); a transformers policy would need a head on
   its own hidden states.
4. A prefix longer than the model's context keeps its last ``max_len`` tokens.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rocks.reason.lm import TinyLM, left_pad
from rocks.reason.tasks import prompt_text
from rocks.reason.tasks.base import Task
from rocks.reason.tokenizer import CharTokenizer


@dataclass(frozen=True)
class PRMExample:
    """One labelled prefix: the prompt, the partial completion after it, the share of its
    ``rollouts`` completions the verifier accepted."""

    prompt: str
    prefix: str
    label: float
    rollouts: int


def step_prefixes(completion: str, delimiters: Sequence[str] = ("\n", " "),
                  root: str = "<think>", step_chars: int = 0) -> list[str]:
    """The prefixes of ``completion`` that end a step (departure 2): the root, then each cut at
    a delimiter before ``</think>`` (or every ``step_chars`` characters, when > 0).
    ``completion`` starts with ``root``."""
    if not completion.startswith(root):
        return []
    close = completion.find("</think>")
    limit = close if close >= 0 else len(completion)
    if step_chars > 0:
        return [root] + [completion[:c] for c in range(len(root) + step_chars, limit + 1,
                                                        step_chars)]
    cuts = sorted({i + len(d) for d in delimiters for i in _find_all(completion, d)
                   if len(root) <= i < limit})
    return [root] + [completion[:c] for c in cuts]


def _find_all(text: str, sub: str) -> list[int]:
    out, i = [], text.find(sub)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1)
    return out


@torch.no_grad()
def monte_carlo_labels(
    policy,
    task: Task,
    prefixes: Sequence[str],
    k: int,
    verify: Callable[[str], bool],
    max_new_tokens: int = 160,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[list[PRMExample], int]:
    """Math-Shepherd labels: complete every prefix ``k`` times, label = share verified.

    Returns the examples and the sampled tokens spent.  A prefix that already holds an answer
    is labelled by the verifier alone (no rollouts); one that fills the context is skipped.
    """
    prompt = prompt_text(task)
    out, tokens = [], 0
    for prefix in prefixes:
        if "</answer>" in prefix:
            out.append(PRMExample(prompt, prefix, float(verify(prefix)), 0))
            continue
        try:
            samples = policy.sample([prompt + prefix] * k, max_new_tokens, temperature, generator)
        except ValueError:
            continue
        tokens += int(samples.completion_mask.sum())
        good = sum(verify(prefix + c) for c in policy.completions(samples))
        out.append(PRMExample(prompt, prefix, good / k, k))
    return out, tokens


class ProcessRewardModel(nn.Module):
    """V(prompt + prefix) in (0, 1): a TinyLM body and a linear head on the last position."""

    def __init__(self, body: TinyLM, tokenizer: CharTokenizer) -> None:
        super().__init__()
        self.body, self.tokenizer = body, tokenizer
        self.head = nn.Linear(body.cfg.d_model, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)  # starts at V = 0.5 everywhere
        self._hidden: Tensor | None = None
        body.norm.register_forward_hook(self._keep)

    @classmethod
    def from_policy(cls, policy) -> ProcessRewardModel:
        """A PRM initialised from the policy's weights (a copy: the policy is not touched)."""
        if not isinstance(policy.tokenizer, CharTokenizer):
            raise TypeError("the PRM needs a TinyLM policy (departure 3)")
        return cls(copy.deepcopy(policy.model), policy.tokenizer)

    def _keep(self, module: nn.Module, inputs: object, output: Tensor) -> None:
        self._hidden = output

    def encode(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        limit = self.body.cfg.max_len
        rows = [self.tokenizer.encode(t, bos=True)[-limit:] for t in texts]  # departure 4
        ids, mask = left_pad(rows, self.tokenizer.pad_id)
        device = self.head.weight.device
        return ids.to(device), mask.to(device)

    def forward(self, texts: Sequence[str]) -> Tensor:
        """Logits [B] of V for full texts (prompt + prefix)."""
        ids, mask = self.encode(texts)
        self.body(ids, attention_mask=mask, last_only=True)  # left padding: last = last real
        assert self._hidden is not None
        return self.head(self._hidden[:, -1].float()).squeeze(-1)

    @torch.no_grad()
    def values(self, texts: Sequence[str], batch_size: int = 64) -> list[float]:
        was = self.training
        self.eval()
        out: list[float] = []
        for i in range(0, len(texts), batch_size):
            out += torch.sigmoid(self(texts[i:i + batch_size])).tolist()
        self.train(was)
        return out

    def value_fn(self, prompt: str) -> Callable[[list[str]], list[float]]:
        """States after ``prompt`` -> values: what ``thought_mcts`` takes as ``value_fn``."""
        return lambda states: self.values([prompt + s for s in states])


def train_prm(
    prm: ProcessRewardModel,
    examples: Sequence[PRMExample],
    epochs: int = 2,
    batch_size: int = 32,
    lr: float = 3e-4,
    seed: int = 0,
    max_grad_norm: float = 1.0,
) -> list[float]:
    """Binary cross-entropy against the soft labels (departure 1); returns the step losses."""
    if not examples:
        return []
    opt = torch.optim.AdamW(prm.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.0)
    rng = random.Random(f"prm:{seed}")
    order = list(range(len(examples)))
    losses: list[float] = []
    prm.train()
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[start:start + batch_size]]
            logits = prm([e.prompt + e.prefix for e in batch])
            target = torch.tensor([e.label for e in batch], device=logits.device)
            loss = F.binary_cross_entropy_with_logits(logits, target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(prm.parameters(), max_grad_norm)
            opt.step()
            losses.append(loss.item())
    return losses


# ------------------------------------------------------------------------------------------
# Calibration.


@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a reliability table: predictions in [lo, hi)."""

    lo: float
    hi: float
    count: int
    mean_prediction: float
    mean_label: float


def calibration(predictions: Sequence[float], labels: Sequence[float],
                bins: int = 10) -> list[CalibrationBin]:
    """Reliability table over ``bins`` equal-width bins of the prediction (empty bins left out);
    a calibrated PRM has mean_label ≈ mean_prediction in every bin."""
    if len(predictions) != len(labels):
        raise ValueError("one label per prediction")
    groups: dict[int, list[tuple[float, float]]] = {}
    for p, y in zip(predictions, labels, strict=True):
        groups.setdefault(min(int(p * bins), bins - 1), []).append((p, y))
    return [CalibrationBin(b / bins, (b + 1) / bins, len(g), sum(p for p, _ in g) / len(g),
                           sum(y for _, y in g) / len(g)) for b, g in sorted(groups.items())]


def expected_calibration_error(table: Sequence[CalibrationBin]) -> float:
    """ECE = Σ_bins (n_b / n) |mean_label_b - mean_prediction_b|."""
    n = sum(b.count for b in table)
    return sum(b.count * abs(b.mean_label - b.mean_prediction) for b in table) / n if n else 0.0


def brier(predictions: Sequence[float], labels: Sequence[float]) -> float:
    """Mean squared error of the predictions against the (soft) labels."""
    return sum((p - y) ** 2 for p, y in zip(predictions, labels, strict=True)) / max(
        len(labels), 1)


def reliability_plot(ax, table: Sequence[CalibrationBin], label: str = "PRM") -> None:
    """Draw the reliability diagram on a matplotlib axis: mean label against mean prediction
    per bin (marker area ~ count), and the diagonal of perfect calibration."""
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="calibrated")
    n = max(sum(b.count for b in table), 1)
    ax.plot([b.mean_prediction for b in table], [b.mean_label for b in table], "-", alpha=0.6)
    ax.scatter([b.mean_prediction for b in table], [b.mean_label for b in table],
               s=[20 + 400 * b.count / n for b in table],
               label=f"{label} (ECE {expected_calibration_error(table):.3f})")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted value of the prefix",
           ylabel="share of rollouts verified")
    ax.legend(fontsize=7)

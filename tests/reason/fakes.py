"""Small models the reasoning tests share: a randomly initialised TinyLM behind the Policy API."""

from __future__ import annotations

import torch

from rocks.reason.grpo import TinyLMPolicy
from rocks.reason.lm import LMConfig, TinyLM
from rocks.reason.tokenizer import CharTokenizer

TOK = CharTokenizer()


def tiny_policy(seed: int = 0, max_len: int = 64) -> TinyLMPolicy:
    """A 2-layer, 32-wide TinyLM over the task tokenizer, seeded."""
    torch.manual_seed(seed)
    cfg = LMConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=2, d_ff=64,
                   max_len=max_len)
    return TinyLMPolicy(TinyLM(cfg), TOK)

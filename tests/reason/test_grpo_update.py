"""The GRPO update's exact-math speedups: micro-batches cut to the columns their rows use
(grpo departure 5) and a group's shared prompt run once with a KV cache (hf departure 4) give
the one-pass loss, statistics and gradients up to float rounding; and the KL-to-base
diagnostic is zero at the base and positive once the adapter moves."""

from __future__ import annotations

import copy

import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("peft")

from rocks.reason.grpo import (  # noqa: E402
    OBJECTIVES,
    GRPOConfig,
    kl_to_base,
    micro_batches,
    policy_gradient,
)
from rocks.reason.hf import HFPolicy, hf_tokenizer, to_hf  # noqa: E402
from rocks.reason.lm import LMConfig, Samples, TinyLM  # noqa: E402
from rocks.reason.lora import LoraSettings, attach  # noqa: E402
from rocks.reason.tokenizer import CharTokenizer  # noqa: E402

TOK = CharTokenizer()
PROMPTS = ["What is 1 + 2?\n", "What is 31 + 42?\n", "What is 5 * 6?\n"]
G = 4


def lora_policy(seed: int = 0) -> HFPolicy:
    """A 2-layer Llama (TinyLM's layout) with a rank-4 adapter already moved off zero."""
    torch.manual_seed(seed)
    model = TinyLM(LMConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=2, d_ff=64,
                            max_len=96))
    policy = attach(HFPolicy(to_hf(model, TOK), hf_tokenizer(TOK), prompt_prefix="<bos>"),
                    LoraSettings(rank=4))
    for name, p in policy.model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.1)
    return policy


def ragged_batch(policy: HFPolicy) -> Samples:
    """G samples of each prompt (prompts of different lengths, so left padding), cut at
    different lengths as EOS would (so right padding)."""
    s = policy.sample([p for p in PROMPTS for _ in range(G)], 12, 1.0,
                      torch.Generator().manual_seed(0))
    lengths = torch.tensor([12, 3, 7, 1, 5, 5, 2, 9, 4, 4, 4, 4])
    comp = (torch.arange(s.completion_mask.shape[1])[None] < lengths[:, None]).long()
    att = torch.cat([s.attention_mask[:, : s.prompt_len], comp], 1)
    return Samples(ids=s.ids, attention_mask=att, completion_mask=comp, prompt_len=s.prompt_len)


def test_micro_batches_drop_only_columns_no_row_uses():
    policy = lora_policy()
    s = ragged_batch(policy)
    batches = micro_batches(s, G)
    assert [r.tolist() for r, _ in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    # the last group (the longest prompt, completions of 4) keeps no padding at all
    last = batches[-1][1]
    assert last.attention_mask.all() and last.completion_mask.shape[1] == 4
    for rows, sub in batches:
        width = sub.completion_mask.shape[1]
        assert width == int(s.completion_mask[rows].sum(-1).max())
        kept = s.ids[rows, s.prompt_len:][:, :width]
        torch.testing.assert_close(sub.ids[:, sub.prompt_len:], kept)
        # only all-padding prompt columns went
        assert sub.attention_mask[:, : sub.prompt_len].any(0).all()
        assert s.attention_mask[rows, : s.prompt_len - sub.prompt_len].sum() == 0
    assert micro_batches(s, 0)[0][0].tolist() == list(range(12))


def test_a_groups_rows_go_longest_first_so_halves_have_like_lengths():
    s = ragged_batch(lora_policy())
    batches = micro_batches(s, 2, group_size=G)
    # lengths 12 3 7 1 | 5 5 2 9 | 4 4 4 4
    assert [r.tolist() for r, _ in batches] == [[0, 2], [1, 3], [7, 4], [5, 6], [8, 9],
                                                [10, 11]]
    assert [sub.completion_mask.shape[1] for _, sub in batches] == [12, 3, 9, 5, 4, 4]
    assert sorted(torch.cat([r for r, _ in batches]).tolist()) == list(range(12))


def test_a_shared_prompt_gives_the_one_pass_log_probs_and_gradients():
    policy = lora_policy()
    s = ragged_batch(policy)
    results = []
    for share in (False, True):
        policy.share_prompts = share
        policy.model.zero_grad()
        logp = policy.logprobs(policy.model, s, 0.7)
        (logp * torch.linspace(-1, 1, logp.numel()).view_as(logp)).sum().backward()
        grads = {n: p.grad.clone() for n, p in policy.model.named_parameters() if p.requires_grad}
        results.append((logp.detach(), grads))
    (a, ga), (b, gb) = results
    assert (a != 0).sum() == s.completion_mask.sum()
    torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)
    for name in ga:
        torch.testing.assert_close(gb[name], ga[name], atol=1e-5, rtol=1e-4)


def _gradient(policy, samples, advantages, cfg, ref_model):
    opt = torch.optim.SGD([p for p in policy.model.parameters() if p.requires_grad], lr=0.0)
    loss, stats, _, _ = policy_gradient(policy, ref_model, opt, samples, advantages, cfg)
    grads = {n: p.grad.clone() for n, p in policy.model.named_parameters() if p.requires_grad}
    return loss, stats, grads


@pytest.mark.parametrize("objective,beta", [("grpo", 0.0), ("dr_grpo", 0.0), ("grpo", 0.1)])
def test_micro_batched_update_is_the_one_pass_update(objective, beta):
    policy = lora_policy()
    s = ragged_batch(policy)
    rewards = torch.tensor([1.0, 0, 0, 1, 0.5, 0, 1, 0.2, 0, 0, 1, 1])
    advantages = OBJECTIVES[objective][0](rewards, G)
    ref_model = None
    if beta:  # a reference that differs from the policy, so the KL term has a gradient
        ref_model = copy.deepcopy(policy.model).eval()
        with torch.no_grad():
            for name, p in ref_model.named_parameters():
                if "lora_A" in name:
                    p.mul_(0.5)
    base = dict(objective=objective, group_size=G, prompts_per_step=3, beta=beta, mu=1,
                max_new_tokens=12, temperature=0.7, max_grad_norm=1e9)
    policy.share_prompts = False
    one_loss, one_stats, one = _gradient(policy, s, advantages, GRPOConfig(**base, micro_batch=0),
                                         ref_model)
    policy.share_prompts = True
    for micro in (G, 2, 3):  # a group, half groups, micro-batches across groups
        loss, stats, grads = _gradient(policy, s, advantages,
                                       GRPOConfig(**base, micro_batch=micro), ref_model)
        assert loss == pytest.approx(one_loss, rel=1e-4, abs=1e-6)
        assert stats["kl"] == pytest.approx(one_stats["kl"], rel=1e-4, abs=1e-7)
        for name in one:
            torch.testing.assert_close(grads[name], one[name], atol=1e-5, rtol=1e-4)
    assert any(g.abs().max() > 1e-3 for g in one.values())  # a real gradient was compared
    if beta:
        assert one_stats["kl"] > 0


def test_kl_to_base_is_zero_at_the_base_and_grows_as_the_adapter_moves():
    policy = lora_policy()
    s = ragged_batch(policy)
    batches = micro_batches(s, G)
    with torch.no_grad():
        for name, p in policy.model.named_parameters():
            if "lora_B" in name:
                p.zero_()
        at_base = [policy.logprobs(policy.model, sub, 0.7) for _, sub in batches]
        assert kl_to_base(policy, batches, at_base, 0.7) == pytest.approx(0.0, abs=1e-6)
        for name, p in policy.model.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(p, std=0.3)
        moved = [policy.logprobs(policy.model, sub, 0.7) for _, sub in batches]
    assert kl_to_base(policy, batches, moved, 0.7) > 1e-3


def test_micro_batch_and_kl_every_are_validated():
    with pytest.raises(ValueError):
        GRPOConfig(micro_batch=-1)
    with pytest.raises(ValueError):
        GRPOConfig(kl_every=-1)

"""The transformers bridge: our TinyLM converts to a LlamaForCausalLM computing the same logits,
the fast tokenizer has our ids, and the GRPO trainer runs on any HF causal LM (a randomly
initialised 2-layer GPT-2 here)."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("transformers")

from rocks.reason.grpo import GRPOConfig, TinyLMPolicy, grpo_step, training_tasks  # noqa: E402
from rocks.reason.hf import HFPolicy, hf_tokenizer, to_hf  # noqa: E402
from rocks.reason.lm import LMConfig, TinyLM  # noqa: E402
from rocks.reason.tokenizer import CharTokenizer  # noqa: E402

TOK = CharTokenizer()
TEXT = "What is 12 + 7?\n<think>2+7=9 1+0=1:19</think><answer>19</answer>"


def tiny() -> TinyLM:
    torch.manual_seed(0)
    return TinyLM(
        LMConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64)
    )


def test_fast_tokenizer_has_our_ids_and_keeps_tags_when_decoding():
    fast = hf_tokenizer(TOK)
    assert fast(TEXT, add_special_tokens=False)["input_ids"] == TOK.encode(TEXT)
    ids = TOK.encode(TEXT, bos=True, eos=True)
    assert fast.decode(ids, skip_special_tokens=True) == TEXT
    assert fast.pad_token_id == TOK.pad_id and fast.eos_token_id == TOK.eos_id


def test_llama_conversion_computes_the_same_logits():
    model = tiny()
    hf = to_hf(model, TOK)
    ids = torch.tensor([TOK.encode(TEXT, bos=True)])
    with torch.no_grad():
        torch.testing.assert_close(hf(input_ids=ids).logits, model(ids), atol=1e-5, rtol=1e-4)


def test_hf_policy_scores_left_padded_samples_like_ours():
    model = tiny()
    ours = TinyLMPolicy(model, TOK)
    theirs = HFPolicy(to_hf(model, TOK), hf_tokenizer(TOK), prompt_prefix="<bos>")
    prompts = ["What is 1 + 2?\n", "What is 31 + 42?\n"]
    s_ours = ours.sample(prompts, 8, 0.0)
    s_theirs = theirs.sample(prompts, 8, 0.0)
    assert ours.completions(s_ours) == theirs.completions(s_theirs)
    with torch.no_grad():
        torch.testing.assert_close(
            theirs.logprobs(theirs.model, s_ours),
            ours.logprobs(model, s_ours),
            atol=1e-4,
            rtol=1e-4,
        )


def test_forced_prefix_is_part_of_the_hf_completion():
    theirs = HFPolicy(to_hf(tiny(), TOK), hf_tokenizer(TOK), prompt_prefix="<bos>")
    s = theirs.sample(
        ["What is 1 + 2?\n"],
        4,
        1.0,
        torch.Generator().manual_seed(0),
        prefix="<think></think><answer>",
    )
    assert theirs.completions(s)[0].startswith("<think></think><answer>")


def test_grpo_step_trains_a_random_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    gpt2 = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(TOK),
            n_embd=32,
            n_layer=2,
            n_head=2,
            n_positions=64,
            bos_token_id=TOK.bos_id,
            eos_token_id=TOK.eos_id,
            pad_token_id=TOK.pad_id,
        )
    )
    policy = HFPolicy(gpt2, hf_tokenizer(TOK), prompt_prefix="<bos>")
    cfg = GRPOConfig(prompts_per_step=2, group_size=4, max_new_tokens=8, mu=2, beta=0.0)
    # Stand-in dense reward: DAPO length shaping, so a random model still gets a gradient.
    cfg = GRPOConfig(
        **{**cfg.__dict__, "reward": cfg.reward.__class__(max_length=20, cache_length=19)}
    )
    before = [p.detach().clone() for p in gpt2.parameters()]
    opt = torch.optim.AdamW(gpt2.parameters(), lr=1e-3)
    stats = grpo_step(
        policy, None, opt, training_tasks(cfg, 0), cfg, 1, torch.Generator().manual_seed(0)
    )
    assert 0 < stats.response_tokens <= 8
    assert any((a != b).any() for a, b in zip(before, gpt2.parameters(), strict=True))

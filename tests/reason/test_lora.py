"""LoRA for GRPO on a transformers policy (a tiny random Llama): only the adapter trains, the
run resumes from a checkpoint holding only the adapter, and the saved adapter -- small -- puts
the trained model back onto a fresh base."""

from __future__ import annotations

import dataclasses

import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("peft", reason="LoRA needs the [llm] extra: pip install -e '.[llm]'")

from rocks.reason.grpo import GRPOConfig, train  # noqa: E402
from rocks.reason.hf import HFPolicy, hf_tokenizer, to_hf  # noqa: E402
from rocks.reason.lm import LMConfig, TinyLM  # noqa: E402
from rocks.reason.lora import (  # noqa: E402
    LoraSettings,
    attach,
    is_lora,
    load_adapter,
    save_adapter,
    trainable_state,
)
from rocks.reason.rewards import RewardWeights  # noqa: E402
from rocks.reason.tokenizer import CharTokenizer  # noqa: E402

TOK = CharTokenizer()
IDS = torch.tensor([TOK.encode("What is 12 + 7?", bos=True)])


def base_policy() -> HFPolicy:
    torch.manual_seed(0)
    lm = TinyLM(LMConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=2, d_ff=64,
                         max_len=96))
    return HFPolicy(to_hf(lm, TOK), hf_tokenizer(TOK), prompt_prefix="<bos>")


def logits(policy: HFPolicy) -> torch.Tensor:
    with torch.no_grad():
        return policy.model(input_ids=IDS).logits


def test_a_fresh_adapter_starts_at_the_base_and_only_it_trains():
    policy = base_policy()
    before = logits(policy)
    attach(policy, LoraSettings(rank=4, alpha=8))
    assert is_lora(policy.model)
    torch.testing.assert_close(logits(policy), before)  # B = 0 at initialisation
    trainable = [n for n, p in policy.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert set(trainable_state(policy.model)) == set(trainable)


def test_rank_zero_means_full_fine_tuning():
    policy = base_policy()
    model = policy.model
    assert attach(policy, LoraSettings(rank=0)).model is model and not is_lora(model)
    assert trainable_state(model).keys() == model.state_dict().keys()


def test_grpo_with_lora_trains_the_adapter_resumes_and_ships_it(tmp_path):
    cfg = GRPOConfig(family="arithmetic", difficulty=1, steps=2, prompts_per_step=2,
                     group_size=2, max_new_tokens=6, mu=1, lr=1e-2, eval_every=0,
                     checkpoint_every=1, out=str(tmp_path / "run"),
                     # a dense stand-in reward, so a random model gets a gradient
                     reward=RewardWeights(max_length=4, cache_length=3),
                     lora=LoraSettings(rank=4, alpha=8))
    policy = base_policy()
    base_weights = {n: p.detach().clone() for n, p in policy.model.named_parameters()}
    base_logits = logits(policy)
    train(policy, dataclasses.replace(cfg, steps=1))
    state = torch.load(tmp_path / "run" / "state.pt", weights_only=False)
    assert state["step"] == 1 and all("lora_" in k for k in state["model"])
    train(policy, cfg)  # resumes at step 1 on the same (already adapted) policy
    assert torch.load(tmp_path / "run" / "state.pt", weights_only=False)["step"] == 2
    for name, p in policy.model.named_parameters():  # the base weights never moved
        plain = name.replace("base_model.model.", "").replace(".base_layer", "")
        if "lora_" not in name:
            torch.testing.assert_close(p, base_weights[plain])
    trained = logits(policy)
    assert not torch.allclose(trained, base_logits)

    adapter = tmp_path / "run" / "adapter"
    files = {p.name: p.stat().st_size for p in adapter.iterdir()}
    assert set(files) == {"adapter_model.safetensors", "adapter_config.json"}
    n_adapter = sum(v.numel() for v in trainable_state(policy.model).values())
    assert files["adapter_model.safetensors"] < 2 * n_adapter + 4096  # bfloat16, no base
    fresh = load_adapter(base_policy(), adapter)
    torch.testing.assert_close(logits(fresh), trained, atol=2e-2, rtol=0)


def test_saving_needs_an_adapter_and_loading_needs_one(tmp_path):
    with pytest.raises(ValueError, match="no LoRA adapter"):
        save_adapter(base_policy(), tmp_path / "a")
    with pytest.raises(FileNotFoundError, match="not a LoRA adapter"):
        load_adapter(base_policy(), tmp_path)


def test_grpo_continues_from_a_saved_adapter_as_r1_stage_3_does(tmp_path):
    """R1's third stage trains the SFT model's adapter further: ``train`` keeps an adapter the
    policy already has (no fresh one on top) and trains exactly its weights."""
    first = base_policy()
    attach(first, LoraSettings(rank=4, alpha=8))
    with torch.no_grad():  # a non-trivial adapter, as an SFT stage leaves it
        for name, p in first.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.01)
    sft = save_adapter(first, tmp_path / "sft")
    started = load_adapter(base_policy(), sft)
    at_start = logits(started)
    torch.testing.assert_close(at_start, logits(first), atol=2e-2, rtol=0)
    loaded = {n: p.detach().clone() for n, p in started.model.named_parameters()
              if p.requires_grad}
    assert loaded and all("lora_" in n for n in loaded)
    cfg = GRPOConfig(family="arithmetic", difficulty=1, steps=2, prompts_per_step=2,
                     group_size=2, max_new_tokens=6, mu=1, lr=1e-2, eval_every=0,
                     checkpoint_every=1, out=str(tmp_path / "rl"),
                     reward=RewardWeights(tags=1.0),  # partial format credit varies here
                     lora=LoraSettings(rank=8, alpha=16))  # ignored: the adapter is there
    train(started, cfg)
    trained = {n: p for n, p in started.model.named_parameters() if p.requires_grad}
    assert trained.keys() == loaded.keys()  # the same adapter, no second one
    assert any(not torch.allclose(trained[n], loaded[n]) for n in loaded)
    saved = load_adapter(base_policy(), tmp_path / "rl" / "adapter")
    assert saved.model.peft_config["default"].r == 4

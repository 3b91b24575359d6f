"""A small decoder-only transformer with a KV cache, trained here from scratch.

Architecture follows LLaMA (Touvron et al. 2023): pre-norm RMSNorm, rotary position embeddings
(RoFormer, Su et al. 2021), SwiGLU feed-forward (Shazeer 2020), no biases, tied input/output
embeddings.  The layout matches ``transformers.LlamaForCausalLM`` weight for weight, so a
checkpoint converts losslessly (``rocks.reason.hf.to_hf``) and the same network can be trained
by our GRPO and by TRL's ``GRPOTrainer`` side by side.

Shapes: B batch rows, T positions, H heads, Dh = d_model / H, V vocabulary.

Departures from LLaMA:
1. Full multi-head attention by default; grouped-query attention (``n_kv_heads`` < ``n_heads``,
   Ainslie et al. 2023) exists so that LLaMA-layout checkpoints such as SmolLM2 load
   (``rocks.reason.hf.from_hf``); at d_model=128 GQA saves nothing.
2. Batched sampling keeps one pre-allocated KV cache per layer, ``[B, H, T_max, Dh]``, and
   left-pads prompts of different lengths; position ids count real tokens only, so a padded
   row computes exactly what it would compute alone (tested).
3. The model runs on whatever device its weights are on (``model.to(rocks.devices.
   resolve_device("auto"))``); sampling draws on the CPU when given a CPU generator, so a seed
   gives the same tokens on every device's logits; checkpoints are written from the CPU.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load as load_safetensors
from safetensors.torch import save_file
from torch import Tensor, nn

from rocks.atomic import replace_with, write_json
from rocks.reason.tokenizer import CharTokenizer
from rocks.userfiles import read_user_file

# A checkpoint directory is a user's path (``--model``): its files are read through
# ``rocks.userfiles`` (regular files only, bounded), so a FIFO or a device cannot hang a load.
CONFIG_MAX_BYTES = 2**20
WEIGHTS_MAX_BYTES = 2**30


@dataclass(frozen=True)
class LMConfig:
    """Network shape.

    Attributes:
        vocab_size: number of token ids (the tokenizer's length).
        d_model: residual width.
        n_layers: transformer blocks.
        n_heads: attention heads; must divide d_model.
        n_kv_heads: key/value heads (grouped-query attention); 0 = n_heads; must divide
            n_heads.
        d_ff: SwiGLU hidden width.
        max_len: the longest sequence (prompt + completion) the model is trained and sampled on.
        rope_theta: RoPE base.
        norm_eps: RMSNorm epsilon.
    """

    vocab_size: int = 100
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 0
    d_ff: int = 384
    max_len: int = 192
    rope_theta: float = 10000.0
    norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads or (self.d_model // self.n_heads) % 2:
            raise ValueError("d_model / n_heads must be an even integer (RoPE rotates pairs)")
        if self.n_kv_heads < 0 or (self.n_kv_heads and self.n_heads % self.n_kv_heads):
            raise ValueError(f"n_kv_heads must divide n_heads, got {self.n_kv_heads}")

    @property
    def kv_heads(self) -> int:
        """Key/value heads (``n_kv_heads``, or ``n_heads`` when 0)."""
        return self.n_kv_heads or self.n_heads
        if min(self.vocab_size, self.d_model, self.n_layers, self.d_ff, self.max_len) < 1:
            raise ValueError(f"every LMConfig size must be positive: {self}")


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


def rope_tables(pos: Tensor, head_dim: int, theta: float) -> tuple[Tensor, Tensor]:
    """cos, sin of shape [B, 1, T, Dh] for position ids ``pos`` [B, T] (LLaMA's half-split form)."""
    steps = torch.arange(0, head_dim, 2, dtype=torch.float32, device=pos.device)
    inv_freq = 1.0 / theta ** (steps / head_dim)
    freqs = pos.float()[..., None] * inv_freq
    emb = torch.cat([freqs, freqs], dim=-1)[:, None]
    return emb.cos(), emb.sin()


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class KVCache:
    """Keys and values for every layer, written in place as sampling advances."""

    def __init__(self, cfg: LMConfig, batch: int, length: int, dtype: torch.dtype,
                 device: torch.device | None = None) -> None:
        head_dim = cfg.d_model // cfg.n_heads
        shape = (batch, cfg.kv_heads, length, head_dim)
        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.n_layers)]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.n_layers)]
        self.filled = 0


class Attention(nn.Module):
    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.n_kv_heads = cfg.kv_heads
        self.head_dim = cfg.d_model // cfg.n_heads
        kv_width = self.n_kv_heads * self.head_dim
        self.q_proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.k_proj = nn.Linear(cfg.d_model, kv_width, bias=False)
        self.v_proj = nn.Linear(cfg.d_model, kv_width, bias=False)
        self.o_proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)

    def forward(
        self,
        x: Tensor,
        cos: Tensor,
        sin: Tensor,
        mask: Tensor,
        cache: KVCache | None,
        layer: int,
    ) -> Tensor:
        b, t, d = x.shape
        q = self.q_proj(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k, v = (
            proj(x).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
            for proj in (self.k_proj, self.v_proj)
        )
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            start = cache.filled
            cache.k[layer][:, :, start : start + t] = k
            cache.v[layer][:, :, start : start + t] = v
            k = cache.k[layer][:, :, : start + t]
            v = cache.v[layer][:, :, : start + t]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           enable_gqa=self.n_kv_heads != self.n_heads)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.gate_proj = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.up_proj = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.down_proj = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor, cache, layer) -> Tensor:
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache, layer)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class TinyLM(nn.Module):
    """The policy network: token ids -> next-token logits."""

    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        ids: Tensor,
        attention_mask: Tensor | None = None,
        cache: KVCache | None = None,
        key_mask: Tensor | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """Logits [B, T, V] for ids [B, T] ([B, 1, V] with ``last_only``: a sampler's prefill
        needs only the last position, and the vocabulary projection dominates it).

        ``attention_mask`` [B, T] (1 = real token, 0 = left padding) without a cache; with a
        cache, ``key_mask`` [B, filled + T] covers everything cached so far plus ``ids``.
        """
        b, t = ids.shape
        if cache is None:
            key_mask = torch.ones_like(ids, dtype=torch.bool) if attention_mask is None else (
                attention_mask.bool()
            )
            past = 0
        else:
            if key_mask is None:
                raise ValueError("sampling with a KV cache needs key_mask")
            key_mask = key_mask.bool()
            past = cache.filled
        if past + t > self.cfg.max_len:
            raise ValueError(f"sequence of {past + t} tokens exceeds max_len {self.cfg.max_len}")
        pos = (key_mask.long().cumsum(-1) - 1).clamp(min=0)[:, past : past + t]
        cos, sin = rope_tables(pos, self.cfg.d_model // self.cfg.n_heads, self.cfg.rope_theta)
        q_idx = torch.arange(past, past + t, device=ids.device)[:, None]
        k_idx = torch.arange(past + t, device=ids.device)[None, :]
        causal = k_idx <= q_idx
        # A padding query would see no key at all (NaN softmax); letting it see itself keeps
        # the arithmetic finite, and nothing downstream reads padding positions.
        mask = (causal[None] & key_mask[:, None, :]) | (k_idx == q_idx)[None]
        mask = mask[:, None]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, cache, i)
        if cache is not None:
            cache.filled += t
        if last_only:
            x = x[:, -1:]
        return F.linear(self.norm(x), self.embed_tokens.weight)


@dataclass(frozen=True)
class Samples:
    """A batch of sampled continuations.

    Attributes:
        ids: [B, P + T] prompt (left-padded to P) followed by completion tokens.
        attention_mask: [B, P + T] 1 on real tokens (prompt and completion up to and incl. EOS).
        completion_mask: [B, T] 1 on completion tokens that count (up to and including EOS).
        prompt_len: P.
    """

    ids: Tensor
    attention_mask: Tensor
    completion_mask: Tensor
    prompt_len: int


def left_pad(rows: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Left-pad token lists to one tensor; returns (ids [B, P], mask [B, P])."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        if r:
            ids[i, width - len(r) :] = torch.tensor(r, dtype=torch.long)
            mask[i, width - len(r) :] = 1
    return ids, mask


@torch.no_grad()
def sample(
    model: TinyLM,
    prompts: list[list[int]],
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    prefix: list[int] | None = None,
) -> Samples:
    """Sample continuations of every prompt at once with a KV cache.

    ``temperature`` 0 decodes greedily.  ``prefix`` tokens are forced at the start of every
    completion (and count as completion tokens): the forced-short-answer ablation passes
    ``<think></think><answer>``.  Rows stop at ``eos_id``; afterwards they are padded.
    """
    was_training = model.training
    model.eval()
    device = model.embed_tokens.weight.device
    ids, mask = (t.to(device) for t in left_pad(prompts, pad_id))
    b, p = ids.shape
    max_new_tokens = min(max_new_tokens, model.cfg.max_len - p)
    if max_new_tokens < 1:
        raise ValueError(f"prompt of {p} tokens leaves no room under max_len {model.cfg.max_len}")
    dtype = model.embed_tokens.weight.dtype
    cache = KVCache(model.cfg, b, p + max_new_tokens, dtype, device)
    out = torch.full((b, max_new_tokens), pad_id, dtype=torch.long, device=device)
    done = torch.zeros(b, dtype=torch.bool, device=device)
    key_mask = mask.bool()
    logits = model(ids, cache=cache, key_mask=key_mask, last_only=True)[:, -1]
    forced = list(prefix or [])
    steps = 0
    for t in range(max_new_tokens):
        if t < len(forced):
            nxt = torch.full((b,), forced[t], dtype=torch.long, device=device)
        elif temperature <= 0:
            nxt = logits.argmax(-1)
        else:
            probs = torch.softmax(logits.float() / temperature, dim=-1)
            if generator is not None:  # departure 3: draw where the generator lives
                probs = probs.to(generator.device)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(-1).to(device)
        nxt = torch.where(done, torch.full_like(nxt, pad_id), nxt)
        out[:, t] = nxt
        steps = t + 1
        done = done | (nxt == eos_id)
        if bool(done.all()) or t == max_new_tokens - 1:
            break
        key_mask = torch.cat([key_mask, (~done | (nxt == eos_id))[:, None]], dim=1)
        logits = model(nxt[:, None], cache=cache, key_mask=key_mask)[:, -1]
    out = out[:, :steps]
    comp_mask = torch.zeros_like(out)
    for i in range(b):
        row = out[i].tolist()
        end = row.index(eos_id) + 1 if eos_id in row else len(row)
        comp_mask[i, :end] = 1
    model.train(was_training)
    return Samples(
        ids=torch.cat([ids, out], dim=1),
        attention_mask=torch.cat([mask, comp_mask], dim=1),
        completion_mask=comp_mask,
        prompt_len=p,
    )


def token_logprobs(logits: Tensor, targets: Tensor) -> Tensor:
    """log p(target) per position: logits [B, T, V], targets [B, T] -> [B, T]."""
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, targets[..., None]).squeeze(-1)


def completion_logprobs(model: nn.Module, samples: Samples, temperature: float = 1.0) -> Tensor:
    """log π(o_t | q, o_<t) for every completion position, [B, T] (zero where masked out).

    ``temperature`` must be the one the samples were drawn at: the policy that sampled is
    softmax(logits / T), and a ratio or KL against softmax(logits) would score other tokens.
    """
    logits = model(samples.ids[:, :-1], attention_mask=samples.attention_mask[:, :-1])
    if temperature > 0 and temperature != 1.0:
        logits = logits.float() / temperature
    p = samples.prompt_len
    lp = token_logprobs(logits[:, p - 1 :], samples.ids[:, p:])
    return lp * samples.completion_mask


def save_checkpoint(path: str | Path, model: TinyLM, tokenizer: CharTokenizer, meta: dict) -> None:
    """Write ``path/model.safetensors`` and ``path/config.json`` atomically."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    config = {"lm": asdict(model.cfg), "tokenizer": tokenizer.to_dict(), "meta": meta}
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    replace_with(path / "model.safetensors", lambda tmp: save_file(weights, tmp))
    write_json(path / "config.json", config)


def load_checkpoint(path: str | Path) -> tuple[TinyLM, CharTokenizer, dict]:
    """A checkpoint written by ``save_checkpoint``; FileNotFoundError when ``path`` is not one,
    ``rocks.userfiles.UserFileError`` (a ValueError) when a file in it is not a regular file or
    is too large."""
    path = Path(path)
    if not (path / "config.json").exists() or not (path / "model.safetensors").exists():
        raise FileNotFoundError(f"{path} is not a rocks LM checkpoint (config.json + weights)")
    config = json.loads(read_user_file(path / "config.json", CONFIG_MAX_BYTES, "LM config"))
    model = TinyLM(LMConfig(**config["lm"]))
    weights = read_user_file(path / "model.safetensors", WEIGHTS_MAX_BYTES, "LM weights")
    model.load_state_dict(load_safetensors(weights))  # tensors land on the CPU
    return model, CharTokenizer.from_dict(config["tokenizer"]), config.get("meta", {})


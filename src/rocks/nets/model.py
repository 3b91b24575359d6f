"""The policy/value network: a residual tower with KataGo-style global pooling.

Follows AlphaGo Zero (Silver et al., Nature 2017: a residual tower of 3x3 convolutions with
batch norm, a policy head over every point plus pass, a tanh value head) with the changes KataGo
measured as worth having (Wu, "Accelerating Self-Play Learning in Go", arXiv 1902.10565):
global pooling bias structures in some blocks and in the heads, an ownership head and a score
head as auxiliary targets, and masking so that one network plays every board size.

Shapes: input float32 [B, NUM_PLANES, P, P] from :mod:`rocks.go.features` (the last plane is
the on-board mask; boards smaller than P sit in the top-left corner).  Output
:class:`NetOutput`: ``policy`` logits [B, P*P + 1] (pass last; off-board points are -1e9),
``value`` [B] in [-1, 1] for the player to move, ``ownership`` [B, P*P] in [-1, 1] from the
mover's side (+1 = the mover's), ``score`` [B] (the mover's predicted lead in points, unscaled).

Global pooling (KataGo section 3.3): of the channels a convolution produces, ``c_g`` are pooled
over the board into (mean, mean * (sqrt(area) - 14) / 10, max), passed through a linear layer,
and added as a per-channel bias to the others; the network thus sees "the whole board" (ko
threats, who leads) at every layer.  The pooling counts only on-board points.

Departures from the papers:
  1. Batch norm statistics include off-board padding (KataGo masks them); activations are
     re-masked after every block so padding never leaks into the board.  Train on one size
     per batch and this is exact.
  2. The pass logit comes from the pooled policy features by a linear layer (as KataGo), not from
     a fully-connected layer over the whole board (AlphaGo Zero), so the weights do not depend
     on the board size.
  3. The value and score heads share one pooled hidden layer, and pool as the trunk does
     (mean, scaled mean, max); KataGo's value head uses a quadratic size term instead of max.
  4. Residual blocks are AlphaGo Zero's post-activation blocks, not KataGo's pre-activation.
  5. :func:`widen_inputs` gives a trained net new input planes with zero weights, so a net can
     gain the ladder planes and keep what it learned (neither paper changes inputs mid-way).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from rocks.go.features import MASK_PLANE, NUM_PLANES

OFF_BOARD_LOGIT = -1e9


@dataclass(frozen=True)
class NetConfig:
    """Shape of a :class:`PolicyValueNet`; saved next to its weights in every checkpoint.

    Attributes:
        blocks: residual blocks in the tower.
        channels: channels of the tower (C).
        in_planes: input planes (``rocks.go.features.NUM_PLANES``).
        pool_channels: channels of a global-pooling block that are pooled (c_g in KataGo).
        pool_every: every ``pool_every``-th block (counting from 1) has global pooling; 0 = none.
        head_channels: channels of the policy and value heads.
        value_hidden: width of the value/score head's hidden layer.
        ownership: whether the net has an ownership head.
        score: whether the net has a score head.
    """

    blocks: int = 6
    channels: int = 64
    in_planes: int = NUM_PLANES
    pool_channels: int = 16
    pool_every: int = 3
    head_channels: int = 32
    value_hidden: int = 64
    ownership: bool = True
    score: bool = True

    def __post_init__(self) -> None:
        for f in ("blocks", "channels", "in_planes", "head_channels", "value_hidden"):
            if getattr(self, f) < 1:
                raise ValueError(f"NetConfig.{f} must be positive, got {getattr(self, f)}")
        if self.pool_every < 0:
            raise ValueError(f"NetConfig.pool_every must be >= 0, got {self.pool_every}")
        if self.pool_every and not 0 < self.pool_channels < self.channels:
            raise ValueError(f"NetConfig.pool_channels must be in 1..channels-1, got "
                             f"{self.pool_channels} with {self.channels} channels")

    @property
    def name(self) -> str:
        return f"b{self.blocks}c{self.channels}"

    @classmethod
    def from_name(cls, name: str, **overrides: object) -> NetConfig:
        """``"b6c64"``, ``"b10c128"`` or any ``b<blocks>c<channels>``; presets fill the rest."""
        m = re.fullmatch(r"b(\d+)c(\d+)", name)
        if not m:
            raise ValueError(f"network name must look like 'b6c64', got {name!r}")
        blocks, channels = int(m.group(1)), int(m.group(2))
        preset: dict[str, object] = dict(PRESETS.get(name, {}))
        preset.setdefault("pool_channels", max(1, channels // 4))
        preset.setdefault("head_channels", max(16, channels // 2))
        preset.setdefault("value_hidden", max(64, channels))
        preset.update(overrides)
        return cls(blocks=blocks, channels=channels, **preset)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> NetConfig:
        """Build from a dict, rejecting keys this version does not know."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown NetConfig keys {unknown}")
        return cls(**data)  # type: ignore[arg-type]


PRESETS: dict[str, dict[str, object]] = {
    "b6c64": dict(pool_channels=16, pool_every=3, head_channels=32, value_hidden=64),
    "b10c128": dict(pool_channels=32, pool_every=3, head_channels=32, value_hidden=128),
}


class NetOutput(NamedTuple):
    """What the network says about a batch (see the module docstring for shapes)."""

    policy: torch.Tensor
    value: torch.Tensor
    ownership: torch.Tensor | None
    score: torch.Tensor | None


def global_pool(x: torch.Tensor, mask: torch.Tensor, area: torch.Tensor) -> torch.Tensor:
    """[B, C, H, W] -> [B, 3C]: masked mean, mean scaled by board size, masked max.

    ``x`` must be zero off the board and >= 0 (it follows a ReLU), so a plain max is the masked
    max.  ``area`` is [B, 1] on-board points.
    """
    total = (x * mask).sum(dim=(2, 3))
    mean = total / area
    scale = (area.sqrt() - 14.0) / 10.0
    peak = (x * mask).amax(dim=(2, 3))
    return torch.cat([mean, mean * scale, peak], dim=1)


class PoolBias(nn.Module):
    """KataGo's global pooling bias: pool ``g`` and add a learned bias to each channel of ``x``."""

    def __init__(self, pooled: int, biased: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(pooled)
        self.linear = nn.Linear(3 * pooled, biased)

    def forward(self, x: torch.Tensor, g: torch.Tensor, mask: torch.Tensor,
                area: torch.Tensor) -> torch.Tensor:
        g = F.relu(self.norm(g)) * mask
        bias = self.linear(global_pool(g, mask, area))
        return x + bias[:, :, None, None]


class ResBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the skip, ReLU; optionally with a global pooling bias after the
    first convolution (its last ``c_g`` channels are pooled to bias the rest)."""

    def __init__(self, channels: int, pool_channels: int = 0) -> None:
        super().__init__()
        self.pool_channels = pool_channels
        mid = channels - pool_channels
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(mid)
        self.pool = PoolBias(pool_channels, mid) if pool_channels else None
        self.conv2 = nn.Conv2d(mid, channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, area: torch.Tensor) -> torch.Tensor:
        y = self.conv1(x)
        if self.pool is not None:
            mid = y.shape[1] - self.pool_channels
            y = self.pool(y[:, :mid], y[:, mid:], mask, area)
        y = F.relu(self.norm1(y)) * mask
        y = self.norm2(self.conv2(y))
        return F.relu(x + y) * mask


class PolicyValueNet(nn.Module):
    """Residual policy/value network for boards up to any size (see the module docstring)."""

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        c, h = config.channels, config.head_channels
        self.stem = nn.Conv2d(config.in_planes, c, 3, padding=1, bias=False)
        self.stem_norm = nn.BatchNorm2d(c)
        self.blocks = nn.ModuleList(
            ResBlock(c, config.pool_channels
                     if config.pool_every and (i + 1) % config.pool_every == 0 else 0)
            for i in range(config.blocks))
        # Policy head: h spatial channels biased by h pooled ones (KataGo's policy head).
        self.policy_conv = nn.Conv2d(c, h, 1, bias=False)
        self.policy_gconv = nn.Conv2d(c, h, 1, bias=False)
        self.policy_gnorm = nn.BatchNorm2d(h)
        self.policy_glinear = nn.Linear(3 * h, h)
        self.policy_norm = nn.BatchNorm2d(h)
        self.policy_out = nn.Conv2d(h, 1, 1)
        self.pass_out = nn.Linear(3 * h, 1)
        # Value head: pooled features -> hidden -> value (and score); ownership per point.
        self.value_conv = nn.Conv2d(c, h, 1, bias=False)
        self.value_norm = nn.BatchNorm2d(h)
        self.value_hidden = nn.Linear(3 * h, config.value_hidden)
        self.value_out = nn.Linear(config.value_hidden, 1)
        self.score_out = nn.Linear(config.value_hidden, 1) if config.score else None
        self.ownership_out = nn.Conv2d(h, 1, 1) if config.ownership else None

    def forward(self, planes: torch.Tensor) -> NetOutput:
        mask = planes[:, MASK_PLANE:MASK_PLANE + 1]
        area = mask.sum(dim=(2, 3)).clamp_min(1.0)
        x = F.relu(self.stem_norm(self.stem(planes))) * mask
        for block in self.blocks:
            x = block(x, mask, area)

        # The pooled policy features both bias the spatial ones and give the pass logit.
        g = F.relu(self.policy_gnorm(self.policy_gconv(x))) * mask
        g_pooled = global_pool(g, mask, area)
        p = self.policy_conv(x) + self.policy_glinear(g_pooled)[:, :, None, None]
        p = F.relu(self.policy_norm(p)) * mask
        point_logits = self.policy_out(p).flatten(1)
        point_logits = point_logits.masked_fill(mask.flatten(1) == 0, OFF_BOARD_LOGIT)
        policy = torch.cat([point_logits, self.pass_out(g_pooled)], dim=1)

        v = F.relu(self.value_norm(self.value_conv(x))) * mask
        hidden = F.relu(self.value_hidden(global_pool(v, mask, area)))
        value = torch.tanh(self.value_out(hidden)).squeeze(1)
        score = self.score_out(hidden).squeeze(1) if self.score_out is not None else None
        ownership = None
        if self.ownership_out is not None:
            ownership = (torch.tanh(self.ownership_out(v)) * mask).flatten(1)
        return NetOutput(policy, value, ownership, score)


def widen_inputs(net: PolicyValueNet, in_planes: int) -> PolicyValueNet:
    """A copy of ``net`` that reads ``in_planes`` >= its own input planes: the extra planes
    (appended after the old ones, e.g. the ladder planes of ``rocks.go.features``) get zero
    stem weights, so the copy's outputs equal ``net``'s until training moves them (departure
    5: Net2Net's function-preserving widening, Chen et al. 2016, applied to the inputs)."""
    old = net.config.in_planes
    if in_planes < old:
        raise ValueError(f"cannot narrow a network's inputs from {old} to {in_planes} planes")
    wide = PolicyValueNet(replace(net.config, in_planes=in_planes))
    state = {k: v.clone() for k, v in net.state_dict().items()}
    stem = torch.zeros_like(wide.stem.weight)
    stem[:, :old] = state["stem.weight"]
    state["stem.weight"] = stem
    wide.load_state_dict(state)
    return wide.train(net.training)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())

"""Checkpoints: a network's weights together with the NetConfig that shapes them.

Format (one file, ``*.safetensors``; Hugging Face safetensors, which cannot execute code when
read): the tensors are ``PolicyValueNet.state_dict()``; the string header metadata holds

    format       "rocks-net/1"
    net_config   JSON of :class:`~rocks.nets.model.NetConfig`
    step         training step, an integer as text
    metadata     JSON object, free-form (data, commit, date, ...)

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a reader never
sees half a checkpoint.  Checkpoints are device-independent: tensors are written from the CPU and
read to the CPU, whatever device trained them (move the net with ``.to(device)`` after).
:func:`load_checkpoint` checks the header, the config keys and every
tensor's name and shape, and raises :class:`CheckpointError` with a message that says what is
wrong; it never returns a half-loaded network.  Only a regular file of at most
:data:`CHECKPOINT_MAX_BYTES` is read (:mod:`rocks.userfiles`): a device or a FIFO named as a
model is refused, not read until memory runs out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save_file

from rocks.atomic import replace_with
from rocks.nets.model import NetConfig, PolicyValueNet
from rocks.userfiles import UserFileError, read_user_file

FORMAT = "rocks-net/1"
#: The largest checkpoint read (b6c64 is 1.8 MB; a 40-block net of 256 channels ~190 MB).
CHECKPOINT_MAX_BYTES = 2**30


class CheckpointError(ValueError):
    """A checkpoint file that cannot be loaded: missing, corrupt, truncated or mismatched."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the network (in eval mode), its config, step and metadata."""

    net: PolicyValueNet
    config: NetConfig
    step: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(path: str | Path, net: PolicyValueNet, step: int = 0,
                    metadata: dict[str, Any] | None = None) -> Path:
    """Write ``net`` (weights + config) to ``path`` atomically; returns the path."""
    path = Path(path)
    header = {
        "format": FORMAT,
        "net_config": json.dumps(net.config.to_dict(), sort_keys=True),
        "step": str(int(step)),
        "metadata": json.dumps(metadata or {}, sort_keys=True),
    }
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()}
    return replace_with(path, lambda tmp: save_file(tensors, tmp, metadata=header))


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Load and check a checkpoint (see the module docstring); CheckpointError if it is bad."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:  # a regular file under the cap only: a device or a FIFO would never end
        data = read_user_file(path, CHECKPOINT_MAX_BYTES, what="checkpoint")
    except UserFileError as exc:
        raise CheckpointError(str(exc)) from exc
    try:
        header = _header_metadata(data)
        tensors = load_safetensors(data)
    except (SafetensorError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file "
                              f"(corrupt or truncated?): {exc}") from exc
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: format is {header.get('format')!r}, expected {FORMAT!r}")
    try:
        config_data = json.loads(header["net_config"])
        step = int(header.get("step", "0"))
        metadata = json.loads(header.get("metadata", "{}"))
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{path}: bad header ({exc!r})") from exc
    if not isinstance(config_data, dict):
        raise CheckpointError(f"{path}: net_config is not a JSON object")
    try:
        config = NetConfig.from_dict(config_data)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: bad net_config: {exc}") from exc

    net = PolicyValueNet(config)
    expected = net.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = [f"{k}: file {tuple(tensors[k].shape)} vs net {tuple(v.shape)}"
             for k, v in expected.items() if k in tensors and tensors[k].shape != v.shape]
    problems = []
    if missing:
        problems.append(f"missing tensors {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    if unexpected:
        problems.append(f"unexpected tensors {unexpected[:5]}"
                        f"{' ...' if len(unexpected) > 5 else ''}")
    if wrong:
        problems.append(f"wrong shapes {wrong[:5]}{' ...' if len(wrong) > 5 else ''}")
    if problems:
        raise CheckpointError(f"{path}: weights do not match {config.name} config: "
                              + "; ".join(problems))
    for k, t in tensors.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise CheckpointError(f"{path}: tensor {k} holds NaN or infinity")
    net.load_state_dict(tensors, strict=True)
    net.eval()
    return Checkpoint(net, config, step, metadata)


def _header_metadata(data: bytes) -> dict[str, str]:
    """The string metadata of a safetensors file's header (8-byte little-endian length, then
    JSON whose ``__metadata__`` holds it)."""
    if len(data) < 8:
        raise ValueError("shorter than a safetensors header")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise ValueError(f"header of {n} bytes in a file of {len(data)}")
    header = json.loads(data[8:8 + n])
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    return meta if isinstance(meta, dict) else {}


def load_checkpoint(path: str | Path) -> tuple[PolicyValueNet, NetConfig]:
    """``(net, config)`` from a checkpoint; the net is in eval mode on the CPU."""
    ckpt = read_checkpoint(path)
    return ckpt.net, ckpt.config


def init_checkpoint(path: str | Path, config: NetConfig | str = "b6c64", seed: int = 0,
                    metadata: dict[str, Any] | None = None) -> Path:
    """Create a randomly initialised network (seeded) and save it as step 0."""
    if isinstance(config, str):
        config = NetConfig.from_name(config)
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        net = PolicyValueNet(config)
    finally:
        torch.random.set_rng_state(gen_state)
    meta = {"init": "random", "seed": seed}
    meta.update(metadata or {})
    return save_checkpoint(path, net.eval(), step=0, metadata=meta)

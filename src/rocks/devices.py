"""Where a network runs: ``auto | cpu | cuda | mps``, its low-precision dtype, and host batches.

Follows PyTorch's device semantics (``torch.device``, ``torch.autocast(device_type, dtype)``,
``Tensor.pin_memory`` + ``non_blocking`` copies, as in the CUDA semantics notes) and KataGo's
practice of running the network on the accelerator when there is one.  Every place that runs
or trains a network (the Evaluator, supervised training, the self-play loop's trainer, the R1
side's TinyLM and Hugging Face models) names its device with :data:`DeviceName` and resolves it
here, so ``auto`` means the same thing everywhere; it is a utility (it imports only torch) so
that the Go side and the R1 side, which import nothing of each other, both can.

Departures, numbered:
  1. ``auto`` prefers CUDA, then Apple's MPS, then the CPU; naming an accelerator that is
     absent raises instead of silently falling back (a run asked for a GPU must not crawl).
  2. Low precision is bfloat16 where the device does it natively (CPUs with AVX512-bf16 run it
     ~1.5-2x faster than fp32, docs/benchmarks.md "Networks"; CUDA from Ampere on) and float16
     elsewhere on an accelerator (older CUDA GPUs, MPS); the caller still checks it against
     fp32 (:func:`rocks.nets.evaluator.precision_check`) before using it.
  3. Checkpoints are always written from and read to the CPU (``map_location="cpu"``
     semantics): a model trained on a GPU loads on a laptop without one.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch

DeviceName = Literal["auto", "cpu", "cuda", "mps"]
DEVICE_NAMES: tuple[str, ...] = get_args(DeviceName)


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """The ``torch.device`` that ``name`` means here (departure 1).

    ``"cuda:1"`` style indices are accepted; ValueError for an unknown name or an accelerator
    this machine does not have.
    """
    if isinstance(name, torch.device):
        name = str(name)
    kind = name.split(":", 1)[0]
    if kind not in DEVICE_NAMES:
        raise ValueError(f"device must be one of {DEVICE_NAMES} (optionally cuda:N), "
                         f"got {name!r}")
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_available() else torch.device("cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but torch sees no CUDA GPU "
                         f"(torch {torch.__version__}); use --device cpu or auto")
    if kind == "mps" and not mps_available():
        raise ValueError("device 'mps' asked for, but torch sees no Apple MPS backend; "
                         "use --device cpu or auto")
    return torch.device(name)


def low_precision_dtype(device: torch.device) -> torch.dtype:
    """The autocast dtype for ``device`` (departure 2)."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.bfloat16


def autocast(device: torch.device, enabled: bool) -> torch.autocast:
    """``torch.autocast`` in ``device``'s low-precision dtype (a no-op when not ``enabled``)."""
    return torch.autocast(device.type, dtype=low_precision_dtype(device), enabled=enabled)


def training_autocast(device: torch.device, enabled: bool) -> torch.autocast:
    """Autocast for a training step: bfloat16 only.  Where the device's low precision is
    float16 (MPS, pre-Ampere CUDA) training stays fp32, since float16 gradients need a loss
    scaler this project does not use."""
    dtype = low_precision_dtype(device)
    return torch.autocast(device.type, dtype=dtype, enabled=enabled and dtype == torch.bfloat16)


def to_device(batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A host tensor on ``device``: through pinned memory with an asynchronous copy on CUDA
    (the copy overlaps the previous kernels; a later ``.cpu()`` synchronises), as is."""
    if device.type == "cpu":
        return batch
    if device.type == "cuda":
        return batch.pin_memory().to(device, non_blocking=True)
    return batch.to(device)


def synchronize(device: torch.device) -> None:
    """Wait for ``device``'s queued work (timing on an accelerator needs it)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def describe(device: torch.device) -> str:
    """A short human name: ``cpu``, ``cuda (NVIDIA H100)``, ``mps``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type

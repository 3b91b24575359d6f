"""Running a PolicyValueNet under ONNX Runtime: the fast path for small batches on CPU.

Follows the ONNX Runtime documentation (export with ``torch.onnx.export``, run an
``InferenceSession`` on the CPU execution provider with all graph optimisations, which fold
batch norms into convolutions and fuse activations).  On this project's CPUs it evaluates a
b6c64 on 9x9 about 8 times faster than torch eager at batch 1 (docs/benchmarks.md, Networks),
because it skips torch's per-operator Python dispatch.

Departures:
  1. The exported graph has symbolic batch *and* board dimensions, so one session serves every
     board size (the network is fully convolutional with masked global pooling).
  2. fp32 only: bfloat16 autocast has no ONNX Runtime CPU counterpart here.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch
from torch import nn

from rocks.nets.model import PolicyValueNet

OUTPUTS = ("policy", "value", "ownership", "score")


def available() -> bool:
    """Whether ONNX Runtime and the exporter's ``onnx`` package can be imported."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class _Present(nn.Module):
    """The net with only the outputs it has (ONNX graphs cannot return None)."""

    def __init__(self, net: PolicyValueNet, names: tuple[str, ...]) -> None:
        super().__init__()
        self.net = net
        self.names = names

    def forward(self, planes: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.net(planes)._asdict()
        return tuple(out[n] for n in self.names)


def export_onnx(net: PolicyValueNet, board_size: int = 9) -> tuple[bytes, tuple[str, ...]]:
    """The net as an ONNX model (bytes) and the names of its outputs, in order.

    ``board_size`` is only the example input's size: batch and board dimensions are symbolic.
    """
    names = tuple(n for n in OUTPUTS
                  if n in ("policy", "value") or getattr(net.config, n))
    example = torch.zeros(1, net.config.in_planes, board_size, board_size)
    example[:, -1] = 1.0
    axes = {"planes": {0: "batch", 2: "height", 3: "width"}}
    axes.update({n: {0: "batch"} for n in names})
    axes["policy"][1] = "moves"
    if "ownership" in names:
        axes["ownership"][1] = "points"
    buffer = io.BytesIO()
    module = _Present(net, names).eval()
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter warns about its own deprecation
        torch.onnx.export(module, (example,), buffer, dynamo=False, input_names=["planes"],
                          output_names=list(names), dynamic_axes=axes, opset_version=17)
    return buffer.getvalue(), names


class OnnxRunner:
    """An ONNX Runtime session over a net: ``runner(planes) -> dict`` of float32 outputs."""

    def __init__(self, net: PolicyValueNet, threads: int | None = None) -> None:
        if not available():
            raise RuntimeError("ONNX Runtime is not installed: pip install onnxruntime onnx "
                               "(or use the torch backend)")
        import onnxruntime as ort

        model, self.names = export_onnx(net)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle worker threads sleep instead of spinning: self-play runs many processes on few
        # cores, where spinning threads take CPU from the others (measured no slower here).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def __call__(self, planes: np.ndarray) -> dict[str, np.ndarray]:
        outs = self.session.run(None, {"planes": np.ascontiguousarray(planes, np.float32)})
        return dict(zip(self.names, outs, strict=True))

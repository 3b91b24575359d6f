"""Running a PolicyValueNet under ONNX Runtime: the fast path for small batches on CPU.

Follows the ONNX Runtime documentation (export with ``torch.onnx.export``, run an
``InferenceSession`` on the CPU execution provider with all graph optimisations, which fold
batch norms into convolutions and fuse activations).  On this project's CPUs it evaluates a
b6c64 on 9x9 about 8 times faster than torch eager at batch 1 (docs/benchmarks.md, Networks),
because it skips torch's per-operator Python dispatch.

Departures:
  1. The exported graph has symbolic batch *and* board dimensions, so one session serves every
     board size (the network is fully convolutional with masked global pooling).
  2. fp32, or int8: bfloat16 autocast has no ONNX Runtime CPU counterpart here.
  3. int8 is ONNX Runtime's static quantization (QDQ, per-channel int8 weights, uint8
     activations calibrated by min-max on random-game positions) of the residual tower's
     convolutions only: the stem and the heads stay fp32.  Quantizing every convolution agreed
     with fp32 on 92-93% of top moves for the shipped b6c64, the tower alone on 96%, at 2x
     the speed of bf16 (measured 2026-12 on this project's CPU); whether that is good enough
     is decided by the evaluator's agreement check, not here.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

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


class PresentOutputs(nn.Module):
    """The net with only the outputs it has (ONNX graphs cannot return None)."""

    def __init__(self, net: PolicyValueNet, names: tuple[str, ...]) -> None:
        super().__init__()
        self.net = net
        self.names = names

    def forward(self, planes: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.net(planes)._asdict()
        return tuple(out[n] for n in self.names)


def present_outputs(net: PolicyValueNet) -> tuple[str, ...]:
    """The names of the outputs ``net`` has, in :data:`OUTPUTS` order."""
    return tuple(n for n in OUTPUTS if n in ("policy", "value") or getattr(net.config, n))


def export_onnx(net: PolicyValueNet, board_size: int = 9) -> tuple[bytes, tuple[str, ...]]:
    """The net as an ONNX model (bytes) and the names of its outputs, in order.

    ``board_size`` is only the example input's size: batch and board dimensions are symbolic.
    """
    names = present_outputs(net)
    example = torch.zeros(1, net.config.in_planes, board_size, board_size)
    example[:, -1] = 1.0
    axes = {"planes": {0: "batch", 2: "height", 3: "width"}}
    axes.update({n: {0: "batch"} for n in names})
    axes["policy"][1] = "moves"
    if "ownership" in names:
        axes["ownership"][1] = "points"
    buffer = io.BytesIO()
    module = PresentOutputs(net, names).eval()
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter warns about its own deprecation
        torch.onnx.export(module, (example,), buffer, dynamo=False, input_names=["planes"],
                          output_names=list(names), dynamic_axes=axes, opset_version=17)
    return buffer.getvalue(), names


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """The quantizer logs a warning per tensor it leaves alone through the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def quantize_int8(model: bytes, calibration: np.ndarray) -> bytes:
    """The int8 model of departure 3, calibrated on float32 planes ``calibration`` [B, C, S, S].

    Raises RuntimeError if the graph has no tower convolutions to quantize (the exporter's
    node names are ``/net/blocks.<i>/conv<j>/Conv``).
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.rest = iter([{"planes": np.ascontiguousarray(calibration[i:i + 32])}
                              for i in range(0, len(calibration), 32)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.rest, None)

    with tempfile.TemporaryDirectory(prefix="rocks-int8-") as tmp, _quiet_quantizer():
        raw, pre, out = (os.path.join(tmp, f) for f in ("raw.onnx", "pre.onnx", "int8.onnx"))
        with open(raw, "wb") as f:
            f.write(model)
        # Folds batch norms into the convolutions first, so that int8 sees the fused weights.
        quant_pre_process(raw, pre, skip_symbolic_shape=True)
        tower = [n.name for n in onnx.load(pre).graph.node
                 if n.op_type == "Conv" and "/blocks." in n.name]
        if not tower:
            raise RuntimeError("no residual-tower convolutions found in the exported graph")
        quantize_static(pre, out, Batches(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, nodes_to_quantize=tower)
        with open(out, "rb") as f:
            return f.read()


class OnnxRunner:
    """An ONNX Runtime session over a net: ``runner(planes) -> dict`` of float32 outputs.

    ``int8_calibration``: planes to calibrate an int8 model on (departure 3); None runs fp32.
    One session may be called from several threads at once (ONNX Runtime's ``run`` is
    thread-safe and releases the GIL for the whole graph).
    """

    def __init__(self, net: PolicyValueNet, threads: int | None = None,
                 int8_calibration: np.ndarray | None = None) -> None:
        if not available():
            raise RuntimeError("ONNX Runtime is not installed: pip install onnxruntime onnx "
                               "(or use the torch backend)")
        import onnxruntime as ort

        model, self.names = export_onnx(net)
        if int8_calibration is not None:
            model = quantize_int8(model, int8_calibration)
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

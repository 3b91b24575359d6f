"""A PolicyValueNet as a frozen TorchScript graph: torch's kernels without Python in between.

Follows PyTorch's inference recipe for TorchScript (``torch.jit.trace`` on an example input,
then ``torch.jit.freeze``, which inlines the weights, folds each batch norm into the convolution
before it and drops the module hierarchy).  Two things make it worth having here:

* eager torch spends ~20% of a b6c64 9x9 batch of 16 in Python dispatch between its ~120
  small operators; the frozen graph spends none (259 against 321 µs of CPU per evaluation in
  bf16 + channels-last, measured 2026-12 on this project's CPU);
* the graph runs with the GIL released from start to end, so several search threads
  (:mod:`rocks.search.parallel`) evaluate at once instead of queueing for the interpreter.

Departures, numbered:
  1. bfloat16 is traced under autocast, so the graph holds the casts; the convolutions then
     run in bf16 on weights folded in fp32, which agreed with fp32 on more top moves than eager
     autocast did (98.8% against 97.3% on 256 random-game positions, shipped b6c64).
  2. TorchScript is deprecated in favour of ``torch.compile``; compile measured 222 µs per
     evaluation here but took 33 s per batch shape to build (the search's batches vary), so
     the frozen graph is kept while torch ships it: :func:`available` says whether it does,
     and the evaluator offers this mode only then.
  3. The graph is traced on one example shape; the network has no shape-dependent Python
     control flow (masked pooling computes the board area from the input), so the graph
     serves every batch size and board size (the tests check 5x5 to 19x19 against eager).
"""

from __future__ import annotations

import warnings

import torch

from rocks.devices import autocast
from rocks.nets.model import PolicyValueNet
from rocks.nets.onnx_runtime import PresentOutputs, present_outputs


def available() -> bool:
    """Whether this torch can trace and freeze a module."""
    jit = getattr(torch, "jit", None)
    return jit is not None and hasattr(jit, "trace") and hasattr(jit, "freeze")


class ScriptRunner:
    """``runner(x) -> dict`` of output tensors, for x already on the net's device and layout.

    ``net`` must already be on its device (and in channels-last layout when wanted); ``bf16``
    traces under the device's low-precision autocast (departure 1).  Safe to call from several
    threads at once (the frozen graph has no state).
    """

    def __init__(self, net: PolicyValueNet, bf16: bool = False,
                 channels_last: bool = False) -> None:
        if not available():
            raise RuntimeError(f"torch {torch.__version__} has no TorchScript (torch.jit); "
                               "use the torch or onnx backend")
        self.names = present_outputs(net)
        device = next(net.parameters()).device
        example = torch.zeros(2, net.config.in_planes, 9, 9, device=device)
        example[:, -1] = 1.0  # the on-board mask plane
        if channels_last:
            example = example.contiguous(memory_format=torch.channels_last)
        module = PresentOutputs(net, self.names).eval()
        with warnings.catch_warnings(), torch.no_grad(), autocast(device, bf16):
            warnings.simplefilter("ignore")  # TorchScript's deprecation (departure 2)
            traced = torch.jit.trace(module, (example,), check_trace=False, strict=False)
            self.graph = torch.jit.freeze(traced.eval())

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return dict(zip(self.names, self.graph(x), strict=True))

"""Specification of the frozen TorchScript graph of a net (rocks.nets.torchscript)."""

import numpy as np
import pytest
import torch

from rocks.go import features as F
from rocks.nets.evaluator import Evaluator, sample_positions
from rocks.nets.model import NetConfig, PolicyValueNet
from rocks.nets.torchscript import ScriptRunner

SMALL = NetConfig(blocks=3, channels=16, pool_channels=4, pool_every=2, head_channels=8,
                  value_hidden=16)


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return PolicyValueNet(SMALL).eval()


@pytest.mark.parametrize("size", [5, 9, 19])
def test_the_graph_gives_eager_answers_at_every_batch_and_board_size(net, size):
    planes = torch.from_numpy(F.batch_planes(sample_positions(7, size, seed=size)))
    graph = ScriptRunner(net)  # traced on a 9x9 batch of 2
    with torch.inference_mode():
        want = net(planes)
        got = graph(planes)
    torch.testing.assert_close(got["policy"], want.policy, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(got["value"], want.value, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(got["ownership"], want.ownership, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(got["score"], want.score, atol=1e-4, rtol=1e-4)


def test_a_bf16_graph_holds_its_casts_and_stays_close(net):
    planes = torch.from_numpy(F.batch_planes(sample_positions(8, 9, seed=1)))
    graph = ScriptRunner(net, bf16=True, channels_last=True)
    assert "BFloat16" in str(graph.graph.graph) or "bfloat16" in str(graph.graph.graph)
    with torch.inference_mode():
        got = graph(planes.contiguous(memory_format=torch.channels_last))
        want = net(planes)
    assert (got["value"].float() - want.value).abs().max() < 0.05


def test_the_torchscript_backend_is_an_evaluator_mode(net):
    positions = sample_positions(10, 7, seed=2)
    ref = Evaluator(net)(positions)
    ev = Evaluator(net, backend="torchscript", batch_size=4)
    assert ev.mode == "torchscript-fp32"
    out = ev(positions)
    np.testing.assert_allclose(out.priors, ref.priors, atol=1e-5)
    np.testing.assert_allclose(out.values, ref.values, atol=1e-5)
    low = Evaluator(net, backend="torchscript", use_bf16=True, channels_last=True)
    assert low.mode == "torchscript-bf16+channels_last"
    assert np.abs(low(positions).values - ref.values).max() < 0.05

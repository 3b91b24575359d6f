"""Specification of device choice (rocks.nets.devices) and of the Evaluator on a device.

CUDA tests run only where torch sees a GPU; everywhere else they are skipped with a reason.
"""

import numpy as np
import pytest
import torch

from rocks.nets.devices import (
    autocast,
    low_precision_dtype,
    resolve_device,
    to_device,
)
from rocks.nets.evaluator import Evaluator, sample_positions
from rocks.nets.model import NetConfig, PolicyValueNet

SMALL = NetConfig(blocks=2, channels=16, pool_channels=4, pool_every=2, head_channels=8,
                  value_hidden=16)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return PolicyValueNet(SMALL).eval()


def test_auto_picks_cuda_then_mps_then_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("rocks.nets.devices.mps_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr("rocks.nets.devices.mps_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_an_absent_accelerator_or_an_unknown_name_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("rocks.nets.devices.mps_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="no Apple MPS"):
        resolve_device("mps")
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("tpu")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


def test_low_precision_is_bf16_on_the_cpu_and_fp16_on_mps():
    assert low_precision_dtype(torch.device("cpu")) == torch.bfloat16
    assert low_precision_dtype(torch.device("mps")) == torch.float16
    with autocast(torch.device("cpu"), True):
        y = torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 3))
    assert y.dtype == torch.bfloat16
    with autocast(torch.device("cpu"), False):
        assert torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 3)).dtype == \
            torch.float32


def test_a_host_batch_stays_as_it_is_for_the_cpu():
    x = torch.ones(3)
    assert to_device(x, torch.device("cpu")) is x


def test_the_evaluator_runs_on_the_device_it_is_given(net):
    positions = sample_positions(6, 7, seed=2)
    on_cpu = Evaluator(net, device="cpu")
    assert on_cpu.device.type == "cpu"
    assert next(on_cpu.net.parameters()).device.type == "cpu"
    auto = Evaluator(net)  # "auto" here: the CPU unless a GPU is present
    assert auto.device == resolve_device("auto")
    np.testing.assert_allclose(auto(positions).values, on_cpu(positions).values, atol=2e-3)


def test_onnx_runs_on_the_cpu_only(net, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert Evaluator(net, backend="onnx").device.type == "cpu"  # auto means the CPU for it
    with pytest.raises(ValueError, match="CPU only"):
        Evaluator(net, backend="onnx", device="cuda")


@needs_cuda
def test_on_cuda_the_evaluator_gives_the_cpu_answers(net):
    positions = sample_positions(16, 9, seed=3)
    ref = Evaluator(net, device="cpu")(positions)
    gpu = Evaluator(net, device="cuda", batch_size=8)
    assert gpu.device.type == "cuda"
    ev = gpu(positions)
    np.testing.assert_allclose(ev.priors, ref.priors, atol=2e-3)
    np.testing.assert_allclose(ev.values, ref.values, atol=2e-3)
    low = Evaluator(net, device="cuda", use_bf16=True, channels_last=True)(positions)
    assert np.abs(low.values - ref.values).max() < 0.05


@needs_cuda
def test_a_checkpoint_written_from_cuda_loads_on_the_cpu(net, tmp_path):
    from rocks.nets.checkpoint import load_checkpoint, save_checkpoint

    save_checkpoint(tmp_path / "n.safetensors", net.to("cuda"))
    loaded, _ = load_checkpoint(tmp_path / "n.safetensors")
    net.to("cpu")
    assert next(loaded.parameters()).device.type == "cpu"

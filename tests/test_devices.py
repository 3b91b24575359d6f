"""Specification of device choice (rocks.devices): auto, absent accelerators, autocast dtypes."""

import pytest
import torch

from rocks.devices import (
    autocast,
    low_precision_dtype,
    resolve_device,
    to_device,
    training_autocast,
)


def test_auto_picks_cuda_then_mps_then_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("rocks.devices.mps_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr("rocks.devices.mps_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_an_absent_accelerator_or_an_unknown_name_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("rocks.devices.mps_available", lambda: False)
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


def test_training_autocasts_only_to_bf16():
    with training_autocast(torch.device("cpu"), True):
        assert torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 3)).dtype == \
            torch.bfloat16
    with training_autocast(torch.device("mps"), True):  # fp16 there: training stays fp32
        assert not torch.is_autocast_enabled("mps")

"""Specification of checkpoint files (rocks.nets.checkpoint): round trips and clear failures."""

import json
import os

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from rocks.go import features as F
from rocks.go.board import Position
from rocks.nets.checkpoint import (
    FORMAT,
    CheckpointError,
    init_checkpoint,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from rocks.nets.model import NetConfig, PolicyValueNet

SMALL = NetConfig(blocks=2, channels=16, pool_channels=4, pool_every=2, head_channels=8,
                  value_hidden=16)


def outputs(net):
    x = torch.from_numpy(F.batch_planes([Position.empty(5).play_gtp("C3")]))
    with torch.no_grad():
        return net.eval()(x)


def rewrite(src, dst, tensors=None, **header_changes):
    """Copy checkpoint ``src`` to ``dst`` with some tensors or header fields changed."""
    with safe_open(str(src), framework="pt") as f:
        header = dict(f.metadata())
        original = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    original.update(tensors or {})
    header.update(header_changes)
    save_file({k: v for k, v in original.items() if v is not None}, str(dst),
              metadata={k: v for k, v in header.items() if v is not None})
    return dst


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(1)
    net = PolicyValueNet(SMALL)
    path = save_checkpoint(tmp_path / "net.safetensors", net, step=1234,
                           metadata={"data": "test games"})
    return net, path


def test_a_checkpoint_carries_its_config_step_and_metadata(saved):
    net, path = saved
    ckpt = read_checkpoint(path)
    assert ckpt.config == SMALL and ckpt.step == 1234 and ckpt.metadata == {"data": "test games"}
    assert not ckpt.net.training
    for a, b in zip(outputs(net), outputs(ckpt.net), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    loaded, config = load_checkpoint(path)
    assert config == SMALL and isinstance(loaded, PolicyValueNet)


def test_writing_is_atomic_and_leaves_no_temporary_files(saved, tmp_path):
    net, path = saved
    save_checkpoint(path, net, step=5)  # overwrite in place
    assert read_checkpoint(path).step == 5
    assert [p.name for p in tmp_path.iterdir()] == ["net.safetensors"]


def test_init_checkpoint_is_seeded_and_does_not_touch_the_global_rng(tmp_path):
    state = torch.random.get_rng_state()
    a = init_checkpoint(tmp_path / "a.safetensors", "b6c64", seed=7)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = init_checkpoint(tmp_path / "b.safetensors", NetConfig.from_name("b6c64"), seed=7)
    net_a, config = load_checkpoint(a)
    net_b, _ = load_checkpoint(b)
    assert config == NetConfig.from_name("b6c64")
    for x, y in zip(net_a.state_dict().values(), net_b.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    assert read_checkpoint(a).metadata == {"init": "random", "seed": 7}


def test_a_missing_file_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nothing.safetensors")


@pytest.mark.timeout(60)
def test_a_model_path_that_never_ends_is_refused(tmp_path):
    fifo = tmp_path / "net.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match="FIFO"):
        load_checkpoint(fifo)
    with pytest.raises(CheckpointError, match="character device"):
        load_checkpoint("/dev/zero")
    with pytest.raises(CheckpointError, match="directory"):
        load_checkpoint(tmp_path)


def test_a_corrupt_file_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"\x00\x01 this is not a checkpoint" * 10)
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(path)


def test_a_truncated_file_is_a_checkpoint_error(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    cut = tmp_path / "cut.safetensors"
    for length in (4, 100, len(data) // 2, len(data) - 1):
        cut.write_bytes(data[:length])
        with pytest.raises(CheckpointError, match="corrupt or truncated"):
            load_checkpoint(cut)


def test_weights_of_the_wrong_shape_are_a_checkpoint_error(saved, tmp_path):
    _, path = saved
    bigger = json.dumps(NetConfig(blocks=2, channels=24, pool_channels=4, pool_every=2,
                                  head_channels=8, value_hidden=16).to_dict())
    bad = rewrite(path, tmp_path / "bad.safetensors", net_config=bigger)
    with pytest.raises(CheckpointError, match="wrong shapes.*stem.weight"):
        load_checkpoint(bad)


def test_missing_and_unexpected_tensors_are_a_checkpoint_error(saved, tmp_path):
    _, path = saved
    bad = rewrite(path, tmp_path / "bad.safetensors",
                  tensors={"stem.weight": None, "extra.weight": torch.zeros(3)})
    with pytest.raises(CheckpointError, match=r"missing tensors \['stem.weight'\].*"
                                              r"unexpected tensors \['extra.weight'\]"):
        load_checkpoint(bad)


def test_unknown_config_keys_are_a_checkpoint_error(saved, tmp_path):
    _, path = saved
    config = SMALL.to_dict() | {"attention_heads": 4}
    bad = rewrite(path, tmp_path / "bad.safetensors", net_config=json.dumps(config))
    with pytest.raises(CheckpointError, match="unknown NetConfig keys.*attention_heads"):
        load_checkpoint(bad)


def test_a_file_of_another_format_is_a_checkpoint_error(saved, tmp_path):
    _, path = saved
    bad = rewrite(path, tmp_path / "bad.safetensors", format="someone-else/2")
    with pytest.raises(CheckpointError, match="format"):
        load_checkpoint(bad)
    bad = rewrite(path, tmp_path / "bad2.safetensors", net_config="{not json")
    with pytest.raises(CheckpointError, match="bad header"):
        load_checkpoint(bad)
    assert read_checkpoint(path).config == SMALL  # the original is untouched
    assert FORMAT == "rocks-net/1"


def test_nan_weights_are_a_checkpoint_error(saved, tmp_path):
    _, path = saved
    bad = rewrite(path, tmp_path / "bad.safetensors",
                  tensors={"value_out.bias": torch.tensor([float("nan")])})
    with pytest.raises(CheckpointError, match="NaN"):
        load_checkpoint(bad)

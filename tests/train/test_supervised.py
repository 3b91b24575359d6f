"""Supervised training: loss falls on teacher-like data, runs resume, a changed net is refused."""

from __future__ import annotations

import csv

import pytest

from rocks.go.sgf import write_sgf
from rocks.nets.checkpoint import read_checkpoint
from rocks.train.records import ImportConfig, import_records
from rocks.train.supervised import SupervisedConfig, TrainConfigError, run_supervised


@pytest.fixture(scope="module")
def shards(tmp_path_factory, make_game):
    game = make_game
    root = tmp_path_factory.mktemp("sup")
    src = root / "sgf"
    src.mkdir()
    openings = [["E5", "C3", "G7", "C7"], ["E5", "G3", "C7", "G7"], ["D4", "F6", "F4", "D6"],
                ["E5", "E3", "C5", "G5"], ["C3", "G7", "E5", "E3"], ["E5", "C5", "G5", "E3"]]
    for i, moves in enumerate(openings * 2):
        moves = moves + ["pass", "pass"] if i < 6 else moves[:3] + ["pass", "pass"]
        (src / f"g{i}.sgf").write_text(write_sgf(game(moves, result="B+R" if i % 2 else "W+R")))
    import_records(ImportConfig(sources=(str(src),), out_dir=str(root / "shards"),
                                val_fraction=0.2))
    return root / "shards"


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_trains_logs_each_epoch_and_resumes(shards, tmp_path):
    cfg = SupervisedConfig(data_dir=str(shards), out_dir=str(tmp_path / "run"), net="b1c16",
                           epochs=2, batch_size=8, lr=3e-3, bf16=False)
    run_supervised(cfg)
    log = rows(tmp_path / "run" / "train.csv")
    assert [r["epoch"] for r in log] == ["0", "1"]
    assert {"train_policy_ce", "val_accuracy", "val_value_mse"} <= set(log[0])
    more = SupervisedConfig(**{**cfg.__dict__, "epochs": 6})
    run_supervised(more)
    log = rows(tmp_path / "run" / "train.csv")
    assert [r["epoch"] for r in log] == [str(i) for i in range(6)]  # continued, not restarted
    assert float(log[-1]["train_loss"]) < float(log[0]["train_loss"])
    ckpt = read_checkpoint(tmp_path / "run" / "checkpoints" / "latest.safetensors")
    assert ckpt.config.name == "b1c16" and ckpt.metadata["epoch"] == 5


def test_a_different_network_is_refused_for_an_existing_run(shards, tmp_path):
    cfg = SupervisedConfig(data_dir=str(shards), out_dir=str(tmp_path / "run"), net="b1c16",
                           epochs=1, batch_size=8, bf16=False)
    run_supervised(cfg)
    with pytest.raises(TrainConfigError, match="b1c16.*b2c16"):
        run_supervised(SupervisedConfig(**{**cfg.__dict__, "net": "b2c16"}))


@pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(
        not __import__("torch").cuda.is_available(), reason="no CUDA GPU here"))])
def test_trains_on_the_device_it_is_given_and_writes_a_device_free_checkpoint(shards, tmp_path,
                                                                              device):
    cfg = SupervisedConfig(data_dir=str(shards), out_dir=str(tmp_path / "run"), net="b1c16",
                           epochs=2, batch_size=8, device=device)
    run_supervised(cfg)
    ckpt = read_checkpoint(tmp_path / "run" / "checkpoints" / "latest.safetensors")
    assert next(ckpt.net.parameters()).device.type == "cpu"
    run_supervised(SupervisedConfig(**{**cfg.__dict__, "epochs": 3}))  # resumes on the device
    assert [r["epoch"] for r in rows(tmp_path / "run" / "train.csv")] == ["0", "1", "2"]


def test_ladders_widen_an_init_net_and_append_the_planes_to_base_shards(shards, tmp_path):
    base = SupervisedConfig(data_dir=str(shards), out_dir=str(tmp_path / "base"), net="b1c16",
                            epochs=1, batch_size=8, bf16=False)
    run_supervised(base)
    init = tmp_path / "base" / "checkpoints" / "latest.safetensors"
    assert read_checkpoint(init).config.in_planes == 19
    wide = SupervisedConfig(**{**base.__dict__, "out_dir": str(tmp_path / "wide"),
                               "init": str(init), "ladders": True})
    run_supervised(wide)
    ckpt = read_checkpoint(tmp_path / "wide" / "checkpoints" / "latest.safetensors")
    assert ckpt.config.in_planes == 22  # and it trained: 19-plane batches would not fit it
    fresh = SupervisedConfig(**{**base.__dict__, "out_dir": str(tmp_path / "fresh"),
                                "ladders": True})
    run_supervised(fresh)
    ckpt = read_checkpoint(tmp_path / "fresh" / "checkpoints" / "latest.safetensors")
    assert ckpt.config.in_planes == 22

"""The supervised anchor of the self-play loop (rocks.train.loop departure 8): a share of each
training batch comes from fixed teacher examples, trains the policy and never the value."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rocks.configcli import config_from_args
from rocks.go.features import MASK_PLANE, NUM_PLANES
from rocks.nets.checkpoint import read_checkpoint
from rocks.train import loop as loop_module
from rocks.train.cli import train_parser
from rocks.train.loop import Loop, LoopConfig, anchored_batch
from rocks.train.selfplay import SelfPlayConfig
from rocks.train.shards import Examples, game_name, write_shard
from rocks.train.supervised import TrainConfigError

SIZE = 9
CENTRE = 4 * SIZE + 4  # the one point every symmetry fixes, as pass is
PASS = SIZE * SIZE
TINY = SelfPlayConfig(size=SIZE, parallel=2, full_visits=4, fast_visits=2, max_moves=20)


def fake(n: int, move: int, seed: int) -> Examples:
    """``n`` random positions whose policy target is ``move``, all weights 1."""
    rng = np.random.default_rng(seed)
    planes = (rng.random((n, NUM_PLANES, SIZE, SIZE)) < 0.3).astype(np.float32)
    planes[:, MASK_PLANE] = 1.0
    policy = np.zeros((n, PASS + 1))
    policy[:, move] = 1.0
    ones = np.ones(n)
    return Examples.build(planes=planes, policy=policy, policy_weight=ones,
                          value=rng.choice([-1.0, 1.0], n), value_weight=ones,
                          ownership=np.zeros((n, PASS)), score=np.zeros(n), aux_weight=ones)


@pytest.fixture
def anchor_dir(tmp_path: Path) -> Path:
    """A ``rocks data import`` layout: the anchor's examples all target the centre."""
    root = tmp_path / "anchor"
    write_shard(root / "train" / "shard_000000.npz", fake(64, CENTRE, seed=1))
    write_shard(root / "val" / "shard_000000.npz", fake(8, CENTRE, seed=2))
    return root


def anchored_loop(tmp_path: Path, name: str, anchor: Path | None, fraction: float,
                  **changes: object) -> Loop:
    """A loop whose generation-0 window holds 64 positions that all target pass."""
    cfg = LoopConfig(out_dir=str(tmp_path / name), net="b1c16", generations=1, selfplay=TINY,
                     train_steps=2, batch_size=16, bf16=False, device="cpu",
                     anchor_data=None if anchor is None else str(anchor),
                     anchor_fraction=fraction)
    loop = Loop(dataclasses.replace(cfg, **changes))  # type: ignore[arg-type]
    for i in range(4):
        write_shard(loop.out / "selfplay" / f"{game_name(0, i)}.npz", fake(16, PASS, seed=10 + i))
    return loop


def test_half_the_batch_is_anchor_rows_whose_value_weight_is_zero(tmp_path, anchor_dir,
                                                                  monkeypatch):
    seen: list[dict[str, torch.Tensor]] = []
    real_step = loop_module.train_step

    def spy(net, optimizer, batch, weights, bf16):  # type: ignore[no-untyped-def]
        seen.append({k: v.clone() for k, v in batch.items()})
        return real_step(net, optimizer, batch, weights, bf16)

    monkeypatch.setattr(loop_module, "train_step", spy)
    row = anchored_loop(tmp_path, "run", anchor_dir, 0.5).train(0)
    assert len(seen) == 2
    for batch in seen:
        anchor = batch["anchor"] > 0
        assert len(anchor) == 16 and int(anchor.sum()) == 8
        target = batch["policy"].argmax(1)
        assert (target[anchor] == CENTRE).all() and (target[~anchor] == PASS).all()
        assert (batch["value_weight"][anchor] == 0).all()  # stored as 1: the loop zeroes it
        assert (batch["value_weight"][~anchor] == 1).all()
        assert (batch["policy_weight"] == 1).all() and (batch["aux_weight"] == 1).all()
    assert row["anchor_share"] == 0.5
    assert {"anchor_policy_ce", "window_policy_ce"} <= set(row)


def test_without_an_anchor_the_batch_is_all_window(tmp_path, monkeypatch):
    seen: list[dict[str, torch.Tensor]] = []
    real_step = loop_module.train_step

    def spy(net, optimizer, batch, weights, bf16):  # type: ignore[no-untyped-def]
        seen.append(batch)
        return real_step(net, optimizer, batch, weights, bf16)

    monkeypatch.setattr(loop_module, "train_step", spy)
    row = anchored_loop(tmp_path, "run", None, 0.0).train(0)
    assert all("anchor" not in b and len(b["value"]) == 16 for b in seen)
    assert "anchor_share" not in row and "anchor_policy_ce" not in row


def test_anchored_batch_keeps_the_symmetry_and_the_window_rows(anchor_dir):
    from rocks.train.shards import load_examples

    window, anchor = fake(10, PASS, seed=3), load_examples([anchor_dir / "train" /
                                                            "shard_000000.npz"])
    assert anchor is not None
    b = anchored_batch(window, np.array([1, 2, 3]), anchor, np.array([0, 5]), k=3)
    assert b["anchor"].tolist() == [0, 0, 0, 1, 1]
    assert b["value_weight"].tolist() == [1, 1, 1, 0, 0]
    assert b["value"][:3].tolist() == window.value[[1, 2, 3]].astype(np.float32).tolist()
    from rocks.go.features import transform_planes
    want = transform_planes(anchor.planes[[5]].astype(np.float32), 3)[0]
    assert np.array_equal(b["planes"][4].numpy(), want)


def centre_prior(loop: Loop, checkpoint: str = "latest") -> float:
    """The mean prior of the centre on the anchor's positions."""
    net = read_checkpoint(loop.ckpts / f"{checkpoint}.safetensors").net.eval()
    planes = torch.from_numpy(fake(32, CENTRE, seed=1).planes.astype(np.float32))
    with torch.no_grad():
        return float(torch.softmax(net(planes).policy.float(), 1)[:, CENTRE].mean())


def test_the_anchor_pulls_the_policy_towards_its_targets(tmp_path, anchor_dir):
    plain = anchored_loop(tmp_path, "plain", None, 0.0, train_steps=30, lr=1e-2)
    start = centre_prior(plain, "init")
    plain.train(0)
    anchored = anchored_loop(tmp_path, "anchored", anchor_dir, 0.5, train_steps=30, lr=1e-2)
    anchored.train(0)
    # The window alone teaches pass; the anchor's half of each batch teaches the centre.
    assert centre_prior(anchored) > 5 * start
    assert centre_prior(anchored) > 100 * centre_prior(plain)


def test_the_loss_leaves_the_anchor_rows_out_of_the_value_and_reports_their_policy(
        anchor_dir):
    from rocks.nets.model import NetConfig, PolicyValueNet
    from rocks.train.shards import load_examples
    from rocks.train.supervised import LossWeights, losses

    torch.manual_seed(0)
    net = PolicyValueNet(NetConfig.from_name("b1c16")).eval()
    window, anchor = fake(6, PASS, seed=3), load_examples(sorted(anchor_dir.glob("*/*.npz")))
    assert anchor is not None
    b = anchored_batch(window, np.arange(6), anchor, np.arange(4), k=0)
    _, parts = losses(net, b, LossWeights(), bf16=False)
    with torch.no_grad():
        out = net(b["planes"])
    logp = torch.log_softmax(out.policy.float(), 1)
    assert parts["anchor_policy_ce"] == pytest.approx(float(-logp[6:, CENTRE].mean()), rel=1e-5)
    assert parts["window_policy_ce"] == pytest.approx(float(-logp[:6, PASS].mean()), rel=1e-5)
    window_mse = float(((out.value.float()[:6] - b["value"][:6]) ** 2).mean())
    assert parts["value_mse"] == pytest.approx(window_mse, rel=1e-5)


def test_a_fraction_without_data_or_out_of_range_is_refused():
    with pytest.raises(TrainConfigError, match="anchor_data"):
        LoopConfig(anchor_fraction=0.25)
    for bad in (1.0, -0.1):
        with pytest.raises(TrainConfigError, match=r"\[0, 1\)"):
            LoopConfig(anchor_data="x", anchor_fraction=bad)


def test_a_missing_or_empty_anchor_folder_fails_before_the_run_starts(tmp_path):
    (tmp_path / "empty" / "train").mkdir(parents=True)
    for folder in (tmp_path / "missing", tmp_path / "empty"):
        cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", selfplay=TINY,
                         anchor_data=str(folder), anchor_fraction=0.25)
        with pytest.raises(FileNotFoundError, match="anchor_data"):
            Loop(cfg)
        assert not (tmp_path / "run").exists()  # nothing written


def test_the_anchor_may_be_the_import_folder_or_its_train_split(tmp_path, anchor_dir):
    for folder in (anchor_dir, anchor_dir / "train"):
        loop = anchored_loop(tmp_path, folder.name, folder, 0.25)
        assert [p.parent.name for p in loop._anchor_paths] == ["train"]  # never val/
        assert len(loop.anchor()) == 64


def test_a_run_saved_before_the_anchor_existed_resumes_with_it(tmp_path, anchor_dir):
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=0, selfplay=TINY)
    Loop(cfg)
    saved = tmp_path / "run" / "config.json"
    old = json.loads(saved.read_text())
    del old["anchor_data"], old["anchor_fraction"]
    saved.write_text(json.dumps(old))  # a config.json written before the knobs existed
    Loop(cfg)  # resumes with the defaults
    Loop(dataclasses.replace(cfg, anchor_data=str(anchor_dir), anchor_fraction=0.25))
    assert json.loads(saved.read_text())["anchor_fraction"] == 0.25


def test_the_command_line_sets_the_anchor(tmp_path):
    from rocks.cli import main

    args = train_parser().parse_args(["loop", "--anchor-data", "shards/teacher",
                                      "--anchor-fraction", "0.25"])
    cfg = config_from_args(LoopConfig, args)
    assert (cfg.anchor_data, cfg.anchor_fraction) == ("shards/teacher", 0.25)
    code = main(["train", "loop", "--out", str(tmp_path / "run"), "--anchor-fraction", "0.25",
                 "--generations", "0"])
    assert code == 2 and not (tmp_path / "run").exists()


def test_a_ladder_loop_widens_its_init_and_gives_the_anchor_the_ladder_planes(tmp_path,
                                                                           anchor_dir):
    from rocks.go.features import NUM_PLANES_LADDERS
    from rocks.nets.checkpoint import init_checkpoint
    from rocks.train.shards import read_shard

    init = tmp_path / "init.safetensors"
    init_checkpoint(init, "b1c16")
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", init=str(init), generations=1,
                     games_per_generation=2, selfplay=TINY, train_steps=2, batch_size=16,
                     bf16=False, device="cpu", gating_games=0, anchor_data=str(anchor_dir),
                     anchor_fraction=0.5, ladders=True)
    loop = Loop(cfg)
    loop.run()
    best = read_checkpoint(loop.out / "checkpoints" / "best.safetensors")
    assert best.config.in_planes == NUM_PLANES_LADDERS
    shard = read_shard(next((loop.out / "selfplay").glob("*.npz")))
    assert shard.planes.shape[1] == NUM_PLANES_LADDERS  # self-play records what the net reads
    assert loop.anchor(NUM_PLANES_LADDERS).planes.shape[1] == NUM_PLANES_LADDERS
    assert [r for r in (loop.out / "train.csv").read_text().splitlines()][1:]

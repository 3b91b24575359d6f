"""The whole self-play loop on a tiny net: play, write shards, train, gate, check vs GNU Go;
killed with SIGKILL mid-run it resumes and loses at most the games in flight."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rocks.nets import torchscript
from rocks.nets.checkpoint import read_checkpoint
from rocks.nets.evaluator import inference_arguments, sample_positions
from rocks.train.loop import Loop, LoopConfig
from rocks.train.selfplay import SelfPlayConfig
from rocks.train.starts import save_start_positions
from rocks.train.supervised import TrainConfigError

TINY = SelfPlayConfig(size=9, parallel=4, full_visits=8, fast_visits=2, max_moves=40)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_whole_loop_runs_a_few_generations(tmp_path, gnugo):
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=2,
                     games_per_generation=4, selfplay=TINY, train_steps=4, batch_size=16,
                     bf16=False, gating_games=2, gating_visits=4, gnugo_every=2,
                     gnugo_games=1, gnugo_level=0, gnugo_visits=4)
    state = Loop(cfg).run()
    out = tmp_path / "run"
    assert state["generation"] == 2 and state["stage"] == "selfplay"
    assert -1.0 <= state["resign_threshold"] <= TINY.resign_threshold  # calibrated each gen
    assert len(list((out / "selfplay").glob("*.npz"))) == 8
    assert len(list((out / "sgf").glob("*.sgf"))) == 8
    assert [r["generation"] for r in rows(out / "train.csv")] == ["0", "1"]
    evals = rows(out / "eval.csv")
    assert [r["generation"] for r in evals] == ["0", "1"]
    assert evals[1]["gnugo_games"] == "1" and evals[0]["gnugo_games"] == ""
    assert [p.name for p in (out / "gnugo_sgf").glob("*/*.sgf")] == ["game_0.sgf"]
    assert int(evals[0]["gate_wins"]) + int(evals[0]["gate_losses"]) + \
        int(evals[0]["gate_draws"]) == 2
    best = read_checkpoint(out / "checkpoints" / "best.safetensors")
    assert best.config.name == "b1c16"
    assert json.loads((out / "state.json").read_text())["best"] == state["best"]


def test_a_different_network_or_board_is_refused(tmp_path):
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=0, selfplay=TINY)
    Loop(cfg)
    with pytest.raises(TrainConfigError, match="b1c16.*b2c16"):
        Loop(LoopConfig(out_dir=str(tmp_path / "run"), net="b2c16", selfplay=TINY))
    with pytest.raises(TrainConfigError, match="9x9.*7x7"):
        Loop(LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16",
                        selfplay=SelfPlayConfig(size=7)))


def test_a_run_saved_before_forced_playouts_resumes_with_them(tmp_path):
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=0, selfplay=TINY)
    Loop(cfg)
    saved = tmp_path / "run" / "config.json"
    old = json.loads(saved.read_text())
    del old["selfplay"]["forced_playouts_k"], old["selfplay"]["puct"]["forced_playouts_k"]
    saved.write_text(json.dumps(old))  # a config.json written before the knob existed
    forced = dataclasses.replace(TINY, forced_playouts_k=2.0)
    Loop(dataclasses.replace(cfg, selfplay=forced))
    assert json.loads(saved.read_text())["selfplay"]["forced_playouts_k"] == 2.0


def _loop_argv(out: Path, games: int, search: str = "puct") -> list[str]:
    return [sys.executable, "-m", "rocks.cli", "train", "loop", "--out", str(out),
            "--net", "b1c16", "--generations", "1", "--games", str(games),
            "--selfplay.parallel", "2", "--selfplay.full-visits", "8",
            "--selfplay.fast-visits", "2", "--selfplay.search", search, "--train-steps", "2",
            "--batch-size", "8", "--gating-games", "0", "--no-bf16"]


@pytest.mark.parametrize("search", ["puct", "gumbel"])
def test_kill_9_during_self_play_then_resume_loses_only_games_in_flight(tmp_path, search):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_loop_argv(out, 40, search), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if len(list((out / "selfplay").glob("*.npz"))) >= 3:
                break
            time.sleep(0.05)
        else:
            pytest.fail("no self-play game finished within 60 s")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = {p.name: p.read_bytes() for p in (out / "selfplay").glob("*.npz")}
    assert 3 <= len(before) < 40
    state = json.loads((out / "state.json").read_text())
    assert state["stage"] == "selfplay"  # killed mid-stage; the state says where to go on

    done = subprocess.run(_loop_argv(out, 40, search), env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    after = {p.name: p.read_bytes() for p in (out / "selfplay").glob("*.npz")}
    assert len(after) == 40
    assert all(after[name] == data for name, data in before.items())  # nothing replayed
    assert json.loads((out / "state.json").read_text())["generation"] == 1
    assert rows(out / "train.csv")[-1]["generation"] == "0"
    assert json.loads((out / "config.json").read_text())["selfplay"]["search"] == search


def test_cli_refuses_an_incompatible_run_clearly(tmp_path):
    from rocks.cli import main

    out = tmp_path / "run"
    Loop(LoopConfig(out_dir=str(out), net="b1c16", generations=0, selfplay=TINY))
    code = main(["train", "loop", "--out", str(out), "--net", "b2c16", "--generations", "0"])
    assert code == 2


def test_the_loop_plays_and_trains_on_the_device_it_is_given(tmp_path):
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=1,
                     games_per_generation=2, selfplay=TINY, train_steps=2, batch_size=8,
                     gating_games=0, device="cpu")
    loop = Loop(cfg)
    assert loop._evaluator(loop.ckpts / "best.safetensors").device.type == "cpu"
    assert loop.run()["generation"] == 1
    latest = read_checkpoint(tmp_path / "run" / "checkpoints" / "latest.safetensors")
    assert next(latest.net.parameters()).device.type == "cpu"


@pytest.mark.skipif(not torchscript.available(), reason="this torch has no TorchScript")
def test_self_play_evaluates_with_the_frozen_bf16_graph_on_the_cpu_by_default(tmp_path):
    """Departure 10: ``auto`` is the engine's fast mode on the CPU, eager bf16 elsewhere."""
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=0,
                     selfplay=TINY, device="cpu")
    loop = Loop(cfg)
    assert loop._evaluator(loop.ckpts / "best.safetensors").mode == \
        "torchscript-bf16+channels_last"
    assert inference_arguments("auto", False, "cpu") == {"use_bf16": False}
    assert inference_arguments("bf16", True, "cpu") == {"use_bf16": True}
    # The graph gives the eager network's answers (bf16 rounding apart).
    eager = Loop(dataclasses.replace(cfg, inference="fp32"))._evaluator(
        loop.ckpts / "best.safetensors")
    fast = loop._evaluator(loop.ckpts / "best.safetensors")
    positions = sample_positions(16, 9, seed=2)
    a, b = eager(positions), fast(positions)
    assert np.abs(a.values - b.values).max() < 0.05
    assert np.abs(a.priors - b.priors).sum(1).max() < 0.1


def test_an_unknown_inference_mode_is_refused():
    with pytest.raises(TrainConfigError, match="inference must be auto or one of"):
        LoopConfig(inference="int4")
    with pytest.raises(ValueError, match="inference must be auto or one of"):
        inference_arguments("int4", True, "cpu")


def test_a_run_resumed_without_its_shards_replays_the_generation_then_trains(tmp_path):
    """A fresh clone keeps state.json and the checkpoints but not the (uncommitted) shards."""
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=1,
                     games_per_generation=2, selfplay=TINY, train_steps=2, batch_size=8,
                     bf16=False, gating_games=0)
    out = tmp_path / "run"
    loop = Loop(cfg)
    loop.selfplay(0)
    loop._advance(stage="train")  # killed between self-play and training
    for shard in (out / "selfplay").glob("*.npz"):
        shard.unlink()
    state = Loop(cfg).run()
    assert state["generation"] == 1
    assert len(list((out / "selfplay").glob("g0000_*.npz"))) == 2  # played again
    assert [r["generation"] for r in rows(out / "train.csv")] == ["0"]


def test_a_cpu_budget_stops_the_run_between_generations(tmp_path):
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=50,
                     games_per_generation=2, selfplay=TINY, train_steps=2, batch_size=8,
                     bf16=False, gating_games=0)
    state = Loop(cfg).run(cpu_budget_s=1e-9)  # spent by the first generation
    assert state["generation"] == 1 and state["stage"] == "selfplay"
    assert float(state["cpu_s"]) > 0
    again = Loop(cfg).run(cpu_budget_s=1e-9)  # resumed past its budget: plays nothing more
    assert again["generation"] == 1
    assert len(list((tmp_path / "run" / "selfplay").glob("*.npz"))) == 2
    assert Loop(cfg).run(generations=2, cpu_budget_s=1e9)["generation"] == 2


def test_the_loop_plays_from_start_positions_and_logs_which(tmp_path):
    starts = tmp_path / "starts"
    save_start_positions([(40, 41, 30), (40, 41)], starts, size=9)
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=1,
                     games_per_generation=4,
                     selfplay=dataclasses.replace(TINY, start_fraction=1.0),
                     start_positions=str(starts), train_steps=2, batch_size=8, bf16=False,
                     gating_games=0)
    Loop(cfg).run()
    games = rows(tmp_path / "run" / "selfplay.csv")
    assert len(games) == 4 and {r["start"] for r in games} <= {"0", "1"}
    assert all(r["loser_max_value"] for r in games if r["winner"] != "0")  # logged per game
    for r in games:
        sgf = (tmp_path / "run" / "sgf" / f"g0000_{int(r['game']):06d}.sgf").read_text()
        assert ";B[ee];W[fe]" in sgf.replace("\n", "")  # E5 F5: every game began at a start


def test_the_loop_refuses_unusable_start_positions_before_any_work(tmp_path):
    with pytest.raises(TrainConfigError, match="--start-positions"):
        LoopConfig(selfplay=dataclasses.replace(TINY, start_fraction=0.5))
    with pytest.raises(TrainConfigError, match="Ray"):
        LoopConfig(selfplay=dataclasses.replace(TINY, start_fraction=0.5),
                   start_positions=str(tmp_path), ray="local")
    save_start_positions([(40, 40)], tmp_path / "illegal", size=9)  # E5 twice
    save_start_positions([(40,), (81, 81)], tmp_path / "over", size=9)  # two passes
    for folder, reason in (("illegal", "start_000000.sgf: move 2 .* occupied"),
                           ("over", "start position 1: .*already over")):
        cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16",
                         selfplay=dataclasses.replace(TINY, start_fraction=0.5),
                         start_positions=str(tmp_path / folder))
        with pytest.raises(TrainConfigError, match=reason):
            Loop(cfg)
        assert not (tmp_path / "run" / "state.json").exists()

"""Distributed self-play without Ray running: how games are split and placed, what a worker
writes, the inference server's contract, the ``--ray`` flag, and that the loop without
``--ray`` never imports Ray.  (The actors themselves: test_distributed_ray.py.)"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from rocks.go.board import Position
from rocks.nets import torchscript
from rocks.nets.checkpoint import save_checkpoint
from rocks.nets.evaluator import Evaluator, sample_positions
from rocks.nets.model import NetConfig, PolicyValueNet
from rocks.train.distributed import (
    GameSummary,
    InferenceServer,
    Node,
    SelfPlayJob,
    SelfPlayWorker,
    WorkerSettings,
    plan,
    planes_evaluate,
    read_summary,
    shard_path,
    split,
)
from rocks.train.selfplay import SelfPlayConfig
from rocks.train.shards import read_shard

TINY = SelfPlayConfig(size=7, parallel=2, full_visits=6, fast_visits=2, max_moves=20)


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "run" / "checkpoints" / "init.safetensors"
    save_checkpoint(path, PolicyValueNet(NetConfig.from_name("b1c16")).eval())
    return path


def test_games_are_split_into_contiguous_slices_of_near_equal_size():
    assert split(list(range(7)), 3) == [[0, 1, 2], [3, 4], [5, 6]]
    assert split([4, 9], 3) == [[4], [9], []]
    assert split([], 2) == [[], []]
    parts = split(list(range(100)), 8)
    assert sum(parts, []) == list(range(100))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_workers_spread_by_cpus_and_gpu_nodes_get_one_server_per_gpu():
    nodes = [Node("gpu", cpus=4, gpus=2), Node("cpu", cpus=2)]
    p = plan(nodes, 6)
    assert [n for n, _ in p.workers].count("gpu") == 4
    assert [n for n, _ in p.workers].count("cpu") == 2
    assert p.servers == (("gpu", True), ("gpu", True))
    # The GPU node's workers share its two servers; the CPU node's evaluate on their own.
    assert sorted(s for n, s in p.workers if n == "gpu") == [0, 0, 1, 1]
    assert all(s is None for n, s in p.workers if n == "cpu")


def test_placement_oversubscribes_evenly_and_never_makes_idle_servers():
    nodes = [Node("a", cpus=2, gpus=4), Node("b", cpus=2)]
    p = plan(nodes, 6)
    assert sorted(n for n, _ in p.workers) == ["a", "a", "a", "b", "b", "b"]
    assert len(p.servers) == 3  # four GPUs but three workers there: one server each
    one = plan([Node("a", cpus=8, gpus=1)], 1)
    assert one.servers == (("a", True),) and one.workers == (("a", 0),)


def test_inference_can_be_forced_onto_workers_or_onto_cpu_servers():
    nodes = [Node("a", cpus=2, gpus=1), Node("b", cpus=2)]
    assert plan(nodes, 4, "worker").servers == ()
    forced = plan(nodes, 4, "server")
    assert forced.servers == (("a", True), ("b", False))
    assert all(s is not None for _, s in forced.workers)
    with pytest.raises(ValueError, match="no Ray node"):
        plan([], 2)
    with pytest.raises(ValueError, match="positive"):
        plan(nodes, 0)


def test_a_game_summary_survives_the_shard_metadata():
    s = GameSummary(3, 41, 9, -1, True, False, (1, -1), float("nan"))
    back = GameSummary.from_meta(s.as_meta())
    assert back.would_resign == (1, -1) and math.isnan(back.winner_min_value)
    assert back.index == 3 and back.resigned and not back.no_resign


def test_a_worker_plays_only_the_games_without_a_shard(checkpoint):
    out = checkpoint.parents[1]
    kept = shard_path(out, 2, 1)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"a finished game")
    worker = SelfPlayWorker(WorkerSettings(str(out), eval_batch=64, bf16=False), slot=0)
    job = SelfPlayJob(generation=2, checkpoint=str(checkpoint), best="init.safetensors",
                      selfplay=TINY, seed=5)
    summaries, cpu_s = worker.play(job, [0, 1, 2])
    assert sorted(s.index for s in summaries) == [0, 2]
    assert cpu_s > 0
    assert kept.read_bytes() == b"a finished game"
    for s in summaries:
        path = shard_path(out, 2, s.index)
        assert read_summary(path) == s  # the driver can recover the row from the shard
        assert len(read_shard(path)) == s.full_searches
        assert (out / "sgf" / f"g0002_{s.index:06d}.sgf").exists()
    assert worker.play(job, [0, 1, 2])[0] == []  # replaying a finished slice plays nothing


def test_the_inference_server_evaluates_planes_as_the_evaluator_does(checkpoint):
    server = InferenceServer("cpu", eval_batch=16, bf16=False, seed=3)
    with pytest.raises(RuntimeError, match="before load"):
        server.evaluate(np.zeros((1, 1, 7, 7), np.float32))
    assert server.load(str(checkpoint), generation=4) == str(checkpoint)
    first = server._evaluator
    server.load(str(checkpoint), generation=4)
    assert server._evaluator is first  # the same version is not reloaded
    positions = sample_positions(20, 7, seed=1)
    got = planes_evaluate(server.evaluate)(positions)
    from rocks.nets.checkpoint import read_checkpoint

    want = Evaluator(read_checkpoint(checkpoint).net, batch_size=16, symmetries="random",
                     seed=3 * 1_000 + 4, device="cpu")(positions)
    np.testing.assert_allclose(got.priors, want.priors, atol=1e-6)
    np.testing.assert_allclose(got.values, want.values, atol=1e-6)


def test_workers_and_servers_evaluate_in_the_loops_inference_mode(checkpoint):
    """LoopConfig.inference reaches the actors, each resolving it on its own device."""
    job = SelfPlayJob(0, str(checkpoint), "init.safetensors", TINY)
    out = str(checkpoint.parents[1])
    assert SelfPlayWorker(WorkerSettings(out, inference="fp32+channels_last"),
                          slot=0)._local(job).mode == "fp32+channels_last"
    server = InferenceServer("cpu", eval_batch=16, bf16=True, inference="bf16")
    server.load(str(checkpoint))
    assert server._evaluator.mode == "bf16"
    if torchscript.available():
        assert SelfPlayWorker(WorkerSettings(out), slot=0)._local(job).mode == \
            "torchscript-bf16+channels_last"


def test_a_worker_can_play_through_an_inference_server(checkpoint):
    out = checkpoint.parents[1]
    server = InferenceServer("cpu", eval_batch=64, bf16=False)
    server.load(str(checkpoint))
    calls: list[int] = []

    def call(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(len(planes))
        return server.evaluate(planes)

    worker = SelfPlayWorker(WorkerSettings(str(out), bf16=False), slot=1, server=call)
    job = SelfPlayJob(0, str(checkpoint), "init.safetensors", TINY)
    summaries, _ = worker.play(job, range(3))
    assert sorted(s.index for s in summaries) == [0, 1, 2]
    assert calls and max(calls) > 1  # leaves of the games in flight go in one call
    assert worker._net is None  # the worker itself never loaded the network


def test_ray_flag_alone_means_a_local_ray():
    from rocks.configcli import config_from_args
    from rocks.train.cli import train_parser
    from rocks.train.loop import LoopConfig

    def parse(*argv: str) -> LoopConfig:
        return config_from_args(LoopConfig, train_parser().parse_args(["loop", *argv]))

    assert parse().ray is None and parse().workers == 0
    assert parse("--ray", "--workers", "2").ray == "local"
    assert parse("--ray", "auto").ray == "auto"
    assert parse("--workers", "4", "--ray").workers == 4


def test_without_ray_the_loop_never_imports_ray(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        import rocks.train.distributed
        from rocks.train.loop import Loop, LoopConfig
        from rocks.train.selfplay import SelfPlayConfig
        sp = SelfPlayConfig(size=7, parallel=2, full_visits=4, fast_visits=2, max_moves=12)
        Loop(LoopConfig(out_dir={str(tmp_path / "run")!r}, net="b1c16", generations=1,
                        games_per_generation=2, selfplay=sp, train_steps=1, batch_size=4,
                        gating_games=0, bf16=False)).run()
        print("ray" in sys.modules, any(m.startswith("ray.") for m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["False", "False"]
    assert (tmp_path / "run" / "selfplay" / "g0000_000001.npz").exists()


def test_positions_of_one_board_size_are_what_a_server_sees():
    seen: list[tuple[int, ...]] = []

    def call(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        seen.append(planes.shape)
        return np.full((len(planes), 50), 1 / 50, np.float32), np.zeros(len(planes), np.float32)

    ev = planes_evaluate(call)([Position.empty(7), Position.empty(7)])
    assert seen[0][0] == 2 and seen[0][2:] == (7, 7)
    assert ev.priors.shape == (2, 50) and ev.values.shape == (2,)

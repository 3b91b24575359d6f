"""Self-play on Ray actors, on a local Ray of 2 CPUs and a tiny net: a generation played by two
workers; a worker killed with SIGKILL mid-generation is replaced and no finished game is lost;
an inference server serves a worker.  Skipped where ray is not installed (``pip install -e
".[ray]"``; ./dev test installs it)."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from rocks.train.distributed import (  # noqa: E402
    PoolConfig,
    RayPool,
    SelfPlayJob,
    WorkerSettings,
    read_summary,
)
from rocks.train.loop import Loop, LoopConfig  # noqa: E402
from rocks.train.selfplay import SelfPlayConfig  # noqa: E402

TINY = SelfPlayConfig(size=7, parallel=2, full_visits=8, fast_visits=2, max_moves=30)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the module (each Loop reuses it instead of starting its own)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _config(out: Path, games: int) -> LoopConfig:
    return LoopConfig(out_dir=str(out), net="b1c16", generations=1, games_per_generation=games,
                      selfplay=TINY, train_steps=2, batch_size=8, gating_games=0, bf16=False,
                      ray="local", workers=2)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_one_generation_on_two_worker_actors(tmp_path):
    out = tmp_path / "run"
    loop = Loop(_config(out, 8))
    loop.selfplay(0)
    pids = loop._pool.pids
    assert len(set(pids)) == 2 and os.getpid() not in pids  # two actors, not this process
    state = loop.run()
    assert state["generation"] == 1 and loop._pool is None  # run() released the actors
    shards = sorted(p.name for p in (out / "selfplay").glob("*.npz"))
    assert shards == [f"g0000_{i:06d}.npz" for i in range(8)]
    assert sorted(int(r["game"]) for r in _rows(out / "selfplay.csv")) == list(range(8))
    assert [r["generation"] for r in _rows(out / "train.csv")] == ["0"]
    assert all(read_summary(out / "selfplay" / name) is not None for name in shards)
    assert float(json.loads((out / "state.json").read_text())["cpu_s"]) > 0


def test_a_worker_killed_mid_generation_is_replaced_and_no_finished_game_is_lost(tmp_path):
    out = tmp_path / "run"
    loop = Loop(_config(out, 12))  # worker 0 plays games 0-5, worker 1 games 6-11
    at_kill: dict[str, bytes] = {}
    errors: list[str] = []

    def kill_worker_0() -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            pool = loop._pool
            first = [p for p in (out / "selfplay").glob("g0000_*.npz")
                     if int(p.stem[-6:]) < 6]
            if pool is not None and first:
                if len(first) >= 6:
                    errors.append("worker 0 finished its slice before it could be killed")
                    return
                at_kill.update({p.name: p.read_bytes() for p in (out / "selfplay").glob("*.npz")})
                os.kill(pool.pids[0], signal.SIGKILL)
                return
            time.sleep(0.01)
        errors.append("no game of worker 0 finished within 90 s")

    killer = threading.Thread(target=kill_worker_0)
    killer.start()
    try:
        loop.selfplay(0)
        killer.join()
        assert not errors, errors
        assert loop._pool.replaced == 1
        after = {p.name: p.read_bytes() for p in (out / "selfplay").glob("*.npz")}
        assert sorted(after) == [f"g0000_{i:06d}.npz" for i in range(12)]
        assert all(after[name] == data for name, data in at_kill.items())  # none replayed
        games = [int(r["game"]) for r in _rows(out / "selfplay.csv")]
        assert sorted(games) == list(range(12))  # one row each, the lost rows from the shards
    finally:
        killer.join()
        loop.close()


def test_a_worker_evaluates_through_an_inference_server_actor(tmp_path):
    loop = Loop(_config(tmp_path / "run", 0))  # writes the initial checkpoint
    settings = WorkerSettings(str((tmp_path / "run").resolve()), eval_batch=64, bf16=False)
    pool = RayPool(PoolConfig(workers=1, inference="server"), settings)
    try:
        assert len(pool.servers) == 1 and pool.plan.workers[0][1] == 0
        job = SelfPlayJob(0, str((loop.ckpts / "init.safetensors").resolve()),
                          "init.safetensors", TINY)
        rows: list[int] = []
        pool.selfplay(job, range(3), lambda s: rows.append(s.index))
        assert sorted(rows) == [0, 1, 2]
        assert ray.get(pool.servers[0].ping.remote()) == job.checkpoint
    finally:
        pool.close()

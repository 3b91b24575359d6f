"""Learning benchmark: SGF import, supervised training steps, self-play moves, on this machine.

Measures (medians of repeated timings after a warm-up, alternatives timed round-robin so that
shared load hits them alike):
  * import: teacher SGF games -> examples (positions/s), ``record_examples``;
  * training: b6c64 9x9 samples/s at batch 256, fp32 vs bf16 autocast, one torch thread;
  * self-play: moves/s and network evaluations/s of ``play_games`` with b6c64 (random
    weights; speed does not depend on them) at 1 vs 16 games in parallel (leaves of all games
    in one network call), full/fast visits 64/16, p_full 0.25.

    .venv/bin/python bench/train.py [--sgf DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from rocks.go.sgf import load_sgf
from rocks.nets.evaluator import Evaluator
from rocks.nets.model import NetConfig, PolicyValueNet
from rocks.train.records import record_examples
from rocks.train.selfplay import SelfPlayConfig, net_evaluate, play_games
from rocks.train.supervised import LossWeights, batch_tensors, make_optimizer, train_step
from rocks.train.teacher import opening_length

SGF = "experiments/2026-11-25_21-49_teacher-games-gnugo-9x9/data/games_fast"


def bench_import(folder: str, games: int, repeats: int) -> dict[str, float]:
    records = [load_sgf(p) for p in sorted(Path(folder).glob("*.sgf"))[:games]]
    times, n = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = sum(len(record_examples(r, opening_length(r))) for r in records)
        times.append(time.perf_counter() - t0)
    return {"positions": n, "positions_per_s": n / statistics.median(times)}


def bench_training(repeats: int, steps: int = 5, batch: int = 256) -> dict[str, float]:
    from rocks.train.shards import Examples

    rng = np.random.default_rng(0)
    n = 2048
    policy = np.zeros((n, 82))
    policy[np.arange(n), rng.integers(0, 82, n)] = 1
    ex = Examples.build(planes=rng.integers(0, 2, (n, 19, 9, 9)), policy=policy,
                        policy_weight=np.ones(n), value=rng.choice([-1, 1], n),
                        value_weight=np.ones(n), ownership=rng.choice([-1, 1], (n, 81)),
                        score=rng.normal(0, 10, n), aux_weight=np.ones(n))
    torch.manual_seed(0)
    nets = {"fp32": PolicyValueNet(NetConfig.from_name("b6c64")),
            "bf16": PolicyValueNet(NetConfig.from_name("b6c64"))}
    opts = {k: make_optimizer(v, 1e-3, 1e-4) for k, v in nets.items()}
    times: dict[str, list[float]] = {k: [] for k in nets}
    for r in range(repeats + 1):
        for k in nets:
            t0 = time.perf_counter()
            for s in range(steps):
                idx = rng.integers(0, n, batch)
                train_step(nets[k], opts[k], batch_tensors(ex, idx, s % 8), LossWeights(),
                           bf16=k == "bf16")
            if r:  # the first round warms up
                times[k].append(time.perf_counter() - t0)
    return {f"{k}_samples_per_s": steps * batch / statistics.median(v) for k, v in times.items()}


def bench_selfplay(repeats: int, games: int = 16) -> dict[str, float]:
    torch.manual_seed(0)
    net = PolicyValueNet(NetConfig.from_name("b6c64"))
    out: dict[str, float] = {}
    times: dict[int, list[tuple[float, int, int]]] = {1: [], 16: []}
    for r in range(repeats):
        for parallel in (1, 16):
            cfg = SelfPlayConfig(parallel=parallel, full_visits=64, fast_visits=16,
                                 max_moves=40 if parallel == 1 else 0)
            ev = Evaluator(net, batch_size=256, use_bf16=True)
            t0 = time.perf_counter()
            done = play_games(net_evaluate(ev), cfg, range(1 if parallel == 1 else games),
                              seed=(r,))
            times[parallel].append((time.perf_counter() - t0, sum(g.moves for g in done),
                                    ev.stats.evaluations))
    for parallel, rows in times.items():
        rates = [m / t for t, m, _ in rows]
        out[f"parallel{parallel}_moves_per_s"] = statistics.median(rates)
        out[f"parallel{parallel}_evals_per_s"] = statistics.median([e / t for t, _, e in rows])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sgf", default=SGF)
    ap.add_argument("--games", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="bench/results/train.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = {"date": datetime.now(UTC).isoformat(timespec="minutes"),
               "machine": platform.processor() or platform.machine(), "config": vars(args),
               "import": bench_import(args.sgf, args.games, args.repeats),
               "training": bench_training(args.repeats),
               "selfplay": bench_selfplay(args.repeats)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

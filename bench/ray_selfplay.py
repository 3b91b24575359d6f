"""Self-play on Ray: games per hour of the loop's self-play stage, 1 worker vs 2 workers.

The trainer is paused: each measurement is one call of ``Loop.selfplay(gen)`` (just the
self-play stage: play ``games`` games, write their shards and rows), timed on the wall clock,
for three arms side by side:

  * ``loop``: the single-process loop (no Ray), one torch thread, in this process;
  * ``ray-1``: ``--ray`` with 1 worker actor;
  * ``ray-2``: ``--ray`` with 2 worker actors.

Repetition r plays generation r in every arm (the same game seeds), the arms' order rotating
from one repetition to the next; a first, untimed stage of two games per worker warms each arm
up (actor start-up, JIT compilation, checkpoint loading).  Medians over repetitions, and the
ratio ray-2 / ray-1 (the target on a 2-core machine: >= 1.6) and ray-1 / loop (Ray's overhead
on one core).  Each arm also reports the CPU seconds per game (the workers' own, as the loop
adds them to ``cpu_s``): the per-core cost that docs/cluster.md's capacity model extrapolates from.

Resignation is off (``--resign-threshold -1``) so that every arm plays its games to the end:
equal work, not a race between calibrations.  Ray runs locally with 3 logical CPUs (the three
actors of the two pools stay up between repetitions; only one pool plays at a time).

    .venv/bin/python bench/ray_selfplay.py                 # ~4-5 minutes on a quiet 2-core VM
    .venv/bin/python bench/ray_selfplay.py --write-docs    # also replace its section of
                                                           # docs/benchmarks.md
    .venv/bin/python bench/ray_selfplay.py --repeats 1 --games 4 --full-visits 16  # a smoke run
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from benchdoc import run_bench

from rocks.train.loop import Loop, LoopConfig
from rocks.train.selfplay import SelfPlayConfig

SECTION = "## Self-play on Ray (bench/ray_selfplay.py)"
ARMS = ("loop", "ray-1", "ray-2")


@dataclass(frozen=True)
class BenchConfig:
    """What to measure.

    Attributes:
        init: the network every arm plays with (the shipped 9x9 b6c64: realistic game lengths).
        net: its network name.
        games: games per self-play stage (one measurement).
        parallel: games in flight per worker (and in the single process); with the defaults
            each of 2 workers plays two waves of 6 games, so batches are as full as with one.
        full_visits, fast_visits, full_prob: playout cap randomization, as in the loop.
        resign_threshold: -1: nobody resigns (equal work in every arm).
        bf16: bfloat16 autocast in the evaluators (the loop's default).
        repeats: timed stages per arm (medians are reported).
        out: where the raw results go (JSON).
        write_docs: replace this benchmark's section of docs/benchmarks.md.
    """

    init: str = "models/rocks-9x9-b6c64.safetensors"
    net: str = "b6c64"
    games: int = 24
    parallel: int = 6
    full_visits: int = 64
    fast_visits: int = 16
    full_prob: float = 0.25
    resign_threshold: float = -1.0
    bf16: bool = True
    repeats: int = 3
    out: str = "bench/results/ray_selfplay.json"
    write_docs: bool = False


def loop_config(cfg: BenchConfig, out: Path, arm: str) -> LoopConfig:
    sp = SelfPlayConfig(parallel=cfg.parallel, full_visits=cfg.full_visits,
                        fast_visits=cfg.fast_visits, full_prob=cfg.full_prob,
                        resign_threshold=cfg.resign_threshold)
    workers = 0 if arm == "loop" else int(arm.split("-")[1])
    return LoopConfig(out_dir=str(out / arm), net=cfg.net, init=cfg.init,
                      games_per_generation=cfg.games, selfplay=sp, bf16=cfg.bf16,
                      ray=None if arm == "loop" else "local", workers=workers)


def stage(loop: Loop, gen: int) -> dict[str, float]:
    """One self-play stage: wall seconds, and CPU seconds (this process + the workers')."""
    cpu0 = float(loop.state["cpu_s"])  # the Ray branch adds the workers' CPU seconds here
    p0, t0 = time.process_time(), time.perf_counter()
    loop.selfplay(gen)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - p0 + float(loop.state["cpu_s"]) - cpu0
    games = len(list((loop.out / "selfplay").glob(f"g{gen:04d}_*.npz")))
    return {"wall_s": wall, "cpu_s": cpu, "games": games,
            "games_per_hour": games * 3600 / wall}


def run(cfg: BenchConfig) -> dict[str, object]:
    import ray

    torch.set_num_threads(1)
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)
    tmp = Path(tempfile.mkdtemp(prefix="ray_selfplay_"))
    loops = {arm: Loop(loop_config(cfg, tmp, arm)) for arm in ARMS}
    results: dict[str, list[dict[str, float]]] = {arm: [] for arm in ARMS}
    try:
        for arm, loop in loops.items():  # warm-up, untimed: two games per worker of gen 0
            timed = loop.cfg
            loop.cfg = dataclasses.replace(timed, games_per_generation=2 * max(1, timed.workers))
            stage(loop, 0)
            loop.cfg = timed
            print(f"warm-up {arm} done", flush=True)
        for r in range(cfg.repeats):
            order = ARMS[r % 3:] + ARMS[:r % 3]
            for arm in order:
                res = stage(loops[arm], r + 1)
                results[arm].append(res)
                print(f"rep {r} {arm}: {res['games']} games in {res['wall_s']:.1f} s "
                      f"({res['games_per_hour']:.0f} games/h, {res['cpu_s']:.1f} CPU s)",
                      flush=True)
    finally:
        for loop in loops.values():
            loop.close()
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {arm: {k: statistics.median(x[k] for x in rows) for k in rows[0]}
           for arm, rows in results.items()}
    per_rep = [b["games_per_hour"] / a["games_per_hour"]
               for a, b in zip(results["ray-1"], results["ray-2"], strict=True)]
    return {"runs": results, "medians": med,
            "ratio_2_vs_1": med["ray-2"]["games_per_hour"] / med["ray-1"]["games_per_hour"],
            "ratio_2_vs_1_per_rep": per_rep,
            "ratio_1_vs_loop": med["ray-1"]["games_per_hour"] / med["loop"]["games_per_hour"]}


def render(cfg: BenchConfig, res: dict, meta: dict[str, str]) -> str:
    med = res["medians"]
    lines = [SECTION, "",
             f"{meta['date']}, {meta['machine']}, load {meta['load']}; `{meta['command']}`.",
             "",
             f"The loop's self-play stage alone (trainer paused): {cfg.games} games of "
             f"{cfg.net} ({cfg.init}) per stage, {cfg.parallel} in flight per worker, "
             f"{cfg.full_visits}/{cfg.fast_visits} visits (full share {cfg.full_prob}), no "
             f"resignation; {cfg.repeats} repetitions, arms alternating, medians.", "",
             "| arm | games/hour | wall s/stage | CPU s/game | stages (games/hour) |",
             "|---|---:|---:|---:|---|"]
    for arm in ARMS:
        m = med[arm]
        runs = " ".join(f"{x['games_per_hour']:.0f}" for x in res["runs"][arm])
        lines.append(f"| {arm} | {m['games_per_hour']:.0f} | {m['wall_s']:.1f} | "
                     f"{m['cpu_s'] / max(m['games'], 1):.2f} | {runs} |")
    reps = ", ".join(f"{x:.2f}" for x in res["ratio_2_vs_1_per_rep"])
    lines += ["", f"ray-2 / ray-1: **{res['ratio_2_vs_1']:.2f}x** (per repetition: {reps}; "
              "target >= 1.6 on 2 cores); ray-1 / loop: "
              f"{res['ratio_1_vs_loop']:.2f}x (Ray's overhead on one core).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run_bench(BenchConfig, "bench/ray_selfplay.py", run, render, SECTION, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())

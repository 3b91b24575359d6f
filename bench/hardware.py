"""Hardware benchmark: inference modes with their agreement, and the search on 1 and 2 threads.

Measures, on this machine, with the shipped 9x9 b6c64 (trained weights: agreement depends on
them), all side by side in one run:
  * every inference mode of :data:`rocks.nets.evaluator.MODES` this machine can run: its
    top-move agreement and value error against fp32 on the 256 random-game positions that
    ``fastest_settings`` checks, and its evaluations/s at the search's batch (16) with one
    caller and with two threads calling at once (one torch thread each), round-robin medians;
    which modes pass the 97% bar, and the default (the fastest that passes);
  * one game at ``move_time_s`` per move (tree reuse, as ``rocks gtp`` plays) for the previous
    default (bf16 + channels-last eager, one thread) and the default mode on 1 and 2 search
    threads (:func:`rocks.search.parallel.run_parallel`), move by move in turn: new visits per
    move, visits/s, the slowest move;
  * the same on a CUDA GPU when torch sees one (otherwise the section says none was lent).

    .venv/bin/python bench/hardware.py                # print the tables (~1.5 minutes)
    .venv/bin/python bench/hardware.py --write-docs   # also replace "## Cores and accelerators"

Raw results and the config go to ``--out`` (default bench/results/hardware.json).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from benchdoc import machine_meta, publish

from rocks.devices import describe, resolve_device
from rocks.go import features
from rocks.go.board import Position
from rocks.nets.checkpoint import load_checkpoint
from rocks.nets.evaluator import (
    MODES,
    Evaluator,
    available_modes,
    compare,
    concurrent_rate,
    sample_positions,
)
from rocks.search.mcts import MCTS, MCTSConfig
from rocks.search.parallel import run_parallel

SECTION = "## Cores and accelerators"
BEFORE = "bf16+channels_last"  # what rocks gtp ran before issue 17 (one thread)


@dataclass(frozen=True)
class BenchConfig:
    """What to measure.

    Attributes:
        model: the checkpoint (its weights decide the agreement).
        size: board size.
        batch: positions per network call (the search's leaves per batch).
        check_positions: random-game positions of the agreement check (seed 0, as
            ``fastest_settings``).
        min_agreement: the bar a mode must pass to be kept.
        min_seconds: time each mode at least this long per caller count.
        move_time_s: seconds per move in the search runs.
        moves: moves per search configuration (after one warm-up move).
        out: where the raw results go (JSON).
        write_docs: replace the section of docs/benchmarks.md.
    """

    model: str = "models/rocks-9x9-b6c64.safetensors"
    size: int = 9
    batch: int = 16
    check_positions: int = 256
    min_agreement: float = 0.97
    min_seconds: float = 0.6
    move_time_s: float = 1.0
    moves: int = 8
    out: str = "bench/results/hardware.json"
    write_docs: bool = False


def cpu_seconds() -> tuple[float, float]:
    """(busy seconds of the whole machine, CPU seconds of this process) so far: their deltas
    over a run show how much of the machine other jobs took meanwhile."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK"), time.process_time()


def others_cores(start: tuple[float, float], wall_s: float) -> float:
    """Cores that other jobs kept busy on average since ``start`` (over ``wall_s`` seconds)."""
    busy, mine = cpu_seconds()
    return max(0.0, (busy - start[0]) - (mine - start[1])) / wall_s


def bench_modes(cfg: BenchConfig, net: torch.nn.Module,
                device: str) -> tuple[dict[str, dict], float]:
    """Agreement and evaluations/s (1 and 2 callers) of every mode this device can run, and
    the cores other jobs took meanwhile."""
    positions = sample_positions(cfg.check_positions, cfg.size, seed=0)
    planes = features.batch_planes(positions[:cfg.batch])
    usage, t0 = cpu_seconds(), time.perf_counter()
    ref = Evaluator(net, batch_size=64, device="cpu")(positions)
    evaluators, out = {}, {}
    for name in available_modes(device):
        start = time.perf_counter()
        ev = Evaluator(net, batch_size=cfg.batch, device=device, **MODES[name])
        build_s = time.perf_counter() - start
        check = compare(ref, ev(positions))
        evaluators[name] = ev
        out[name] = {"build_s": build_s, **asdict(check),
                     "kept": name == "fp32" or check.acceptable(cfg.min_agreement)}
        print(f"{device} {name}: built in {build_s:.1f}s, agreement "
              f"{check.argmax_agreement:.3f}", flush=True)
    for callers in (1, 2):
        rates: dict[str, list[float]] = {n: [] for n in evaluators}
        for ev in evaluators.values():
            concurrent_rate(ev, planes, callers)  # warm-up
        start = time.perf_counter()
        while time.perf_counter() - start < cfg.min_seconds * len(evaluators) or \
                min(len(r) for r in rates.values()) < 5:
            for name, ev in evaluators.items():
                rates[name].append(concurrent_rate(ev, planes, callers))
        for name, r in rates.items():
            out[name][f"evals_per_s_{callers}"] = statistics.median(r)
        print(f"{device} {callers} caller(s): "
              + ", ".join(f"{n} {statistics.median(r):.0f}/s" for n, r in rates.items()),
              flush=True)
    return out, others_cores(usage, time.perf_counter() - t0)


def opening(size: int, moves: int = 10, seed: int = 0) -> Position:
    rng = np.random.default_rng(seed)
    pos = Position.empty(size)
    for _ in range(moves):
        pos = pos.play(int(rng.choice(np.flatnonzero(pos.legal_moves()[:-1]))))
    return pos


def bench_search(cfg: BenchConfig, net: torch.nn.Module,
                 configs: dict[str, tuple[str, int, str]]) -> tuple[dict[str, dict], float]:
    """One game per ``configs`` entry (name -> (mode, threads, device)) at ``move_time_s``,
    move by move in turn, as ``rocks gtp`` searches (tree reuse, random symmetries); and the
    cores other jobs took meanwhile."""
    search_cfg = MCTSConfig(fpu_reduction_root=0.25, leaves_per_batch=cfg.batch)
    games = {}
    for name, (mode, threads, device) in configs.items():
        ev = Evaluator(net, batch_size=cfg.batch, symmetries="random", seed=0, device=device,
                       **MODES[mode])
        search = MCTS(opening(cfg.size), search_cfg, np.random.default_rng(0))
        run_parallel(search, ev, threads, 10**9, 0.3)  # warm-up: numba, the graph, the tree
        games[name] = (search, ev, threads)
    moves: dict[str, list[tuple[int, float]]] = {n: [] for n in games}
    usage, t0 = cpu_seconds(), time.perf_counter()
    for _ in range(cfg.moves):
        for name, (search, ev, threads) in games.items():
            start = time.perf_counter()
            res = run_parallel(search, ev, threads, 10**9, cfg.move_time_s)
            moves[name].append((res.simulations, time.perf_counter() - start))
            search.advance(res.move)
    others = others_cores(usage, time.perf_counter() - t0)
    out = {}
    for name, got in moves.items():
        out[name] = {"visits_per_move": statistics.median(v for v, _ in got),
                     "visits_per_s": statistics.median(v / s for v, s in got),
                     "seconds_per_move": statistics.median(s for _, s in got),
                     "max_seconds_per_move": max(s for _, s in got)}
        print(f"search {name}: {out[name]}", flush=True)
    return out, others


def run(cfg: BenchConfig) -> dict:
    torch.set_num_threads(1)  # one core per search thread
    net, _ = load_checkpoint(cfg.model)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out: dict = {"modes": {}, "search": {}, "others_cores": {},
                 "devices": {d: describe(resolve_device(d)) for d in devices}}
    for device in devices:
        out["modes"][device], out["others_cores"][f"modes {device}"] = \
            bench_modes(cfg, net, device)
    cpu = out["modes"]["cpu"]
    kept = [n for n, m in cpu.items() if m["kept"]]
    default = {c: max(kept, key=lambda n, c=c: cpu[n][f"evals_per_s_{c}"]) for c in (1, 2)}
    out["default"] = default
    configs = {f"before: {BEFORE}, 1 thread": (BEFORE, 1, "cpu")}
    for mode in dict.fromkeys([BEFORE, default[2]]):
        for threads in (1, 2):
            configs[f"{mode}, {threads} thread{'s' if threads > 1 else ''}"] = \
                (mode, threads, "cpu")
    configs.pop(f"{BEFORE}, 1 thread")  # the "before" row is this configuration
    if "cuda" in devices:
        for threads in (1, 2):
            configs[f"cuda bf16, {threads} thread{'s' if threads > 1 else ''}"] = \
                ("bf16+channels_last", threads, "cuda")
    out["search"], out["others_cores"]["search"] = bench_search(cfg, net, configs)
    return out


def render(cfg: BenchConfig, res: dict, meta: dict) -> str:
    cpu = res["modes"]["cpu"]
    d1, d2 = res["default"][1], res["default"][2]
    lines = [SECTION, "",
             f"Measured {meta['date']} on a 2-core CI-class VM ({meta['machine']}), torch "
             f"{torch.__version__}, one torch thread per search thread.  Command: "
             f"`{meta['command']}`.  {meta['quiet']}  Load average at start {meta['load']}.  "
             "Network: the shipped "
             f"{Path(cfg.model).name} ({cfg.size}x{cfg.size}).  Everything below comes from "
             "this one run, side by side; figures are medians.", "",
             f"**Inference modes** (batch {cfg.batch}, the search's; agreement on the "
             f"{cfg.check_positions} random-game positions that `fastest_settings` checks; "
             f"a mode is kept at >= {cfg.min_agreement:.0%} top-move agreement with fp32 and "
             "value error <= 0.02):", "",
             "| mode | evaluations/s, 1 caller | evaluations/s, 2 threads calling | "
             "top move as fp32 | mean abs value error | kept |",
             "|---|---:|---:|---:|---:|---|"]
    for name, m in sorted(cpu.items(), key=lambda kv: -kv[1]["evals_per_s_1"]):
        lines.append(f"| {name} | {m['evals_per_s_1']:,.0f} | {m['evals_per_s_2']:,.0f} | "
                     f"{m['argmax_agreement']:.1%} | {m['value_mae']:.4f} | "
                     f"{'yes' if m['kept'] else 'no (< 97%)'} |")
    busy = res["others_cores"]
    lines += ["", f"Other jobs kept {busy['modes cpu']:.2f} of the 2 cores busy on average "
              f"while the modes were timed, {busy['search']:.2f} during the searches below "
              "(from /proc/stat less this process).", "",
              f"The default mode (the fastest kept one) is **{d1}** for one search thread "
              f"and **{d2}** for two (what `fastest_settings` picks at start-up, timed with as "
              "many callers as search threads).", "",
              f"**One game at {cfg.move_time_s:g} s/move** (tree reuse, random symmetries, "
              f"{cfg.moves} moves, the configurations move by move in turn; new visits only):",
              "", "| search | new visits per move | visits/s | s per move | slowest move (s) |",
              "|---|---:|---:|---:|---:|"]
    search = res["search"]
    for name, s in search.items():
        lines.append(f"| {name} | {s['visits_per_move']:,.0f} | {s['visits_per_s']:,.0f} | "
                     f"{s['seconds_per_move']:.2f} | {s['max_seconds_per_move']:.2f} |")
    before = search[f"before: {BEFORE}, 1 thread"]["visits_per_s"]
    ratios = []
    for mode in dict.fromkeys([BEFORE, d2]):
        one = search[f"before: {BEFORE}, 1 thread"] if mode == BEFORE else \
            search[f"{mode}, 1 thread"]
        two = search[f"{mode}, 2 threads"]
        ratios.append(f"{mode}: 2 threads make {two['visits_per_s'] / one['visits_per_s']:.2f}x "
                      "the visits of 1")
    new = search[f"{d2}, 2 threads"]["visits_per_s"]
    lines += ["", "- " + "; ".join(ratios) + ".",
              f"- The new default ({d2}, 2 threads) makes {new / before:.2f}x the visits of "
              f"the previous default ({BEFORE}, 1 thread).", ""]
    if "cuda" in res["modes"]:
        gpu = res["modes"]["cuda"]
        lines += [f"**On the GPU** ({res['devices']['cuda']}), evaluations/s at batch "
                  f"{cfg.batch}:", "", "| mode | 1 caller | 2 threads calling | top move as fp32 |",
                  "|---|---:|---:|---:|"]
        for name, m in gpu.items():
            lines.append(f"| {name} | {m['evals_per_s_1']:,.0f} | {m['evals_per_s_2']:,.0f} | "
                         f"{m['argmax_agreement']:.1%} |")
        lines.append("")
    else:
        lines += ["No GPU was lent to this run (torch sees no CUDA device), so the GPU rows "
                  "are missing; on a machine with one, the same command adds them.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=BenchConfig.model)
    ap.add_argument("--moves", type=int, default=BenchConfig.moves)
    ap.add_argument("--move-time", type=float, default=BenchConfig.move_time_s)
    ap.add_argument("--check-positions", type=int, default=BenchConfig.check_positions)
    ap.add_argument("--min-seconds", type=float, default=BenchConfig.min_seconds)
    ap.add_argument("--quiet-note", default="The machine's other jobs were running: medians "
                    "of a shared machine.", help="a sentence on the machine's load, for the docs")
    ap.add_argument("--out", default=BenchConfig.out)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    cfg = BenchConfig(model=args.model, moves=args.moves, move_time_s=args.move_time,
                      check_positions=args.check_positions, min_seconds=args.min_seconds,
                      out=args.out,
                      write_docs=args.write_docs)
    meta = machine_meta(".venv/bin/python bench/hardware.py"
                        + (" --write-docs" if cfg.write_docs else ""))
    meta["quiet"] = args.quiet_note
    res = run(cfg)
    publish(cfg.out, asdict(cfg), meta, res, render(cfg, res, meta), SECTION, cfg.write_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

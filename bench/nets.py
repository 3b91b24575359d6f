"""Network benchmark: evaluations/s of the policy/value nets, feature extraction, bf16 safety.

Measures, on this machine, for b6c64 and b10c128 on 9x9 and 19x19 boards:
  * network evaluations/s (``Evaluator.evaluate_planes``: forward pass, softmax, copies) at
    batch 1, 8, 32, 128, 256 in torch fp32 eager, channels-last, bfloat16 autocast, bfloat16 +
    channels-last, and ONNX Runtime fp32; medians over repeated calls after one warm-up call,
    the settings timed round-robin; at 1 thread, and at 2 threads too for the first net and size
    (on a shared 2-core machine, two spinning OpenMP threads per process can be far slower);
  * whether bfloat16 changes the move a net would choose (argmax agreement, value error, policy
    total variation against fp32 on random-game positions);
  * feature extraction: microseconds per position for the numba planes against a plain-Python
    reference (the same planes built with ``rocks.go.board.chain_and_liberties``).

    .venv/bin/python bench/nets.py                 # print the tables (about 3-5 minutes)
    .venv/bin/python bench/nets.py --write-docs    # also replace "## Networks" in
                                                   # docs/benchmarks.md

The networks are randomly initialised: speed does not depend on the weights.  The config is
saved as JSON next to the raw results (``--out``, default bench/results/nets.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from benchdoc import replace_section

from rocks.go import features
from rocks.go.board import Position, chain_and_liberties
from rocks.nets.evaluator import Evaluator, precision_check, sample_positions
from rocks.nets.model import NetConfig, PolicyValueNet

SETTINGS: dict[str, dict] = {  # name -> Evaluator keyword arguments
    "fp32": {},
    "channels_last": {"channels_last": True},
    "bf16": {"use_bf16": True},
    "bf16+channels_last": {"use_bf16": True, "channels_last": True},
    "onnx": {"backend": "onnx"},
}
SECTION = "## Networks"


@dataclass(frozen=True)
class BenchConfig:
    """What to measure.

    Attributes:
        nets: network names (``NetConfig.from_name``).
        sizes: board sizes.
        batches: batch sizes.
        settings: names from SETTINGS.
        min_seconds: keep repeating a measurement until this long per setting has passed...
        min_repeats: ...and at least this many timed calls of each setting were made.
        threads: torch (and ONNX Runtime) thread counts to measure each setting at.
        first_only_threads: more thread counts, measured for the first net and size only (to
            show what they do without making the run long).
        check_positions: positions in the bf16-vs-fp32 check.
        out: where the raw results go (JSON).
        write_docs: replace the Networks section of docs/benchmarks.md.
    """

    nets: tuple[str, ...] = ("b6c64", "b10c128")
    sizes: tuple[int, ...] = (9, 19)
    batches: tuple[int, ...] = (1, 8, 32, 128, 256)
    settings: tuple[str, ...] = tuple(SETTINGS)
    min_seconds: float = 0.4
    min_repeats: int = 3
    threads: tuple[int, ...] = (1,)
    first_only_threads: tuple[int, ...] = (2,)
    check_positions: int = 256
    out: str = "bench/results/nets.json"
    write_docs: bool = False


def rates(evaluators: dict[str, Evaluator], planes: np.ndarray,
          cfg: BenchConfig) -> dict[str, float]:
    """Median evaluations/s of each evaluator on ``planes``, after one warm-up call each.

    The timed calls go round-robin over the evaluators, so that the load of a shared machine
    falls on all of them alike and their ratios stay meaningful.
    """
    for ev in evaluators.values():
        ev.evaluate_planes(planes)
    timed: dict[str, list[float]] = {name: [] for name in evaluators}
    start = time.perf_counter()
    rounds = 0
    while rounds < cfg.min_repeats or \
            time.perf_counter() - start < cfg.min_seconds * len(evaluators):
        for name, ev in evaluators.items():
            t = time.perf_counter()
            ev.evaluate_planes(planes)
            timed[name].append(len(planes) / (time.perf_counter() - t))
        rounds += 1
    return {name: statistics.median(r) for name, r in timed.items()}


def python_planes(position: Position) -> np.ndarray:
    """The same planes as ``features.position_planes``, in plain Python (the reference)."""
    size, n = position.size, position.size * position.size
    out = np.zeros((features.NUM_PLANES, size, size), dtype=np.float32)
    flat = out.reshape(features.NUM_PLANES, n)
    me = position.to_play
    flat[features.OWN] = position.board == me
    flat[features.OPP] = position.board == -me
    flat[features.EMPTY_PLANE] = position.board == 0
    boards = features.history_boards(position)
    for t in range(1, len(boards)):
        flat[1 + 2 * t] = boards[t] == me
        flat[2 + 2 * t] = boards[t] == -me
    done: set[int] = set()
    for p in np.flatnonzero(position.board):
        if int(p) in done:
            continue
        chain, libs = chain_and_liberties(position.board, size, int(p))
        done.update(chain)
        base = features.LIBERTY_PLANE + (0 if position.board[p] == me else 3)
        flat[base + min(len(libs), 3) - 1, chain] = 1.0
    if position.ko is not None:
        flat[features.KO_PLANE, position.ko] = 1.0
    flat[features.COLOUR_PLANE] = 1.0 if me == 1 else 0.0
    flat[features.KOMI_PLANE] = (position.komi if me == -1 else -position.komi) / 15.0
    flat[features.MASK_PLANE] = 1.0
    return out


def bench_features(positions: list[Position]) -> dict[str, float]:
    """Microseconds per position, numba and Python; checks that both give the same planes."""
    for p in positions[:20]:
        np.testing.assert_array_equal(python_planes(p), features.position_planes(p))
    out = {}
    for name, fn in (("numba", features.position_planes), ("python", python_planes)):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            for p in positions:
                fn(p)
            times.append((time.perf_counter() - t) / len(positions) * 1e6)
        out[name] = statistics.median(times)
    return out


def run(cfg: BenchConfig) -> dict:
    torch.set_num_threads(max(cfg.threads))
    first = (cfg.nets[0], cfg.sizes[0])
    torch.manual_seed(0)
    results: dict = {"config": asdict(cfg), "throughput": [], "precision": [], "features": {}}
    max_batch = max(cfg.batches)
    for size in cfg.sizes:
        positions = sample_positions(32, size, seed=size, max_moves=size * size // 2)
        results["features"][size] = bench_features(positions)
        print(f"features {size}x{size}: {results['features'][size]}", flush=True)
        unique = features.batch_planes(positions)
        planes = np.ascontiguousarray(np.resize(unique, (max_batch,) + unique.shape[1:]))
        check_pos = sample_positions(cfg.check_positions, size, seed=100 + size,
                                     max_moves=size * size // 2)
        for name in cfg.nets:
            net = PolicyValueNet(NetConfig.from_name(name)).eval()
            check = precision_check(net, check_pos)
            results["precision"].append({"net": name, "size": size, **asdict(check)})
            print(f"{name} {size}x{size} bf16 vs fp32: {check}", flush=True)
            extra = cfg.first_only_threads if (name, size) == first else ()
            for threads in cfg.threads + tuple(t for t in extra if t not in cfg.threads):
                torch.set_num_threads(threads)
                evaluators = {setting: Evaluator(net, threads=threads, **SETTINGS[setting])
                              for setting in cfg.settings}
                for batch in cfg.batches:
                    for ev in evaluators.values():
                        ev.batch_size = batch
                    measured = rates(evaluators, planes[:batch], cfg)
                    for setting, r in measured.items():
                        results["throughput"].append({
                            "net": name, "size": size, "setting": setting, "threads": threads,
                            "batch": batch, "evals_per_s": r})
                    print(f"{name} {size}x{size} {threads}t batch {batch:>3}: "
                          + ", ".join(f"{k} {v:.0f}/s" for k, v in measured.items()), flush=True)
    return results


def markdown(results: dict, command: str) -> str:
    cfg = results["config"]
    date = results["date"]
    lines = [
        SECTION, "",
        f"Measured {date} on a 2-core shared CI-class VM (AMD EPYC, AVX512-bf16), "
        f"torch {torch.__version__}, load average at start "
        f"{results['load']}.  Command: `{command}`.  Randomly initialised nets (speed does not "
        "depend on the weights); evaluations/s of `Evaluator.evaluate_planes` (forward, softmax, "
        "copies; features excluded), median of repeated calls after a warm-up, settings timed "
        "round-robin so that the shared load falls on all alike.  The machine was shared with "
        "other jobs: absolute numbers sit well below an idle machine's (DESIGN.md: b6c64 9x9 "
        "263/s at batch 1 fp32, ~3,800/s bf16 at 32-128, 2 threads, idle); compare within a "
        "table.", "",
    ]
    rows = results["throughput"]
    for net in cfg["nets"]:
        for size in cfg["sizes"]:
            lines.append(f"**{net} on {size}x{size}**, evaluations/s")
            lines.append("")
            lines.append("| setting | " + " | ".join(f"batch {b}" for b in cfg["batches"]) + " |")
            lines.append("|---|" + "---:|" * len(cfg["batches"]))
            for threads in sorted(set(cfg["threads"]) | set(cfg["first_only_threads"])):
                for setting in cfg["settings"]:
                    vals = {r["batch"]: r["evals_per_s"] for r in rows
                            if r["net"] == net and r["size"] == size and r["setting"] == setting
                            and r["threads"] == threads}
                    if vals:
                        lines.append(f"| {setting}, {threads} thread{'s' if threads > 1 else ''} | "
                                     + " | ".join(f"{vals[b]:,.0f}" for b in cfg["batches"])
                                     + " |")
            lines.append("")
    lines += ["**Fastest setting** (and its speed over torch fp32 at the same thread count):", "",
              "| net | board | " + " | ".join(f"batch {b}" for b in cfg["batches"]) + " |",
              "|---|---|" + "---|" * len(cfg["batches"])]
    for net in cfg["nets"]:
        for size in cfg["sizes"]:
            cells = []
            for b in cfg["batches"]:
                here = [r for r in rows if r["net"] == net and r["size"] == size
                        and r["batch"] == b]
                best = max(here, key=lambda r: r["evals_per_s"])
                base = next(r for r in here if r["setting"] == "fp32"
                            and r["threads"] == best["threads"])
                cells.append(f"{best['setting']}@{best['threads']}t "
                             f"{best['evals_per_s'] / base['evals_per_s']:.1f}x")
            lines.append(f"| {net} | {size}x{size} | " + " | ".join(cells) + " |")
    lines += ["", "**bfloat16 against fp32** (same positions from random games, random nets):", "",
              "| net | board | positions | top-move agreement | fp32 prior lost | "
              "mean abs value error | mean policy TV |", "|---|---|---:|---:|---:|---:|---:|"]
    for p in results["precision"]:
        lines.append(f"| {p['net']} | {p['size']}x{p['size']} | {p['positions']} | "
                     f"{p['argmax_agreement']:.3f} | {p['prior_regret']:.1e} | "
                     f"{p['value_mae']:.4f} | {p['policy_tv']:.4f} |")
    lines += ["", "**Feature extraction** (`position_planes`, 19 planes, per position, "
              "positions from random games):", "",
              "| board | numba µs | plain Python µs | ratio |", "|---|---:|---:|---:|"]
    for size, f in results["features"].items():
        lines.append(f"| {size}x{size} | {f['numba']:.1f} | {f['python']:.1f} | "
                     f"{f['python'] / f['numba']:.0f}x |")
    lines.append("")
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    replace_section(path, SECTION, section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", default="b6c64,b10c128")
    ap.add_argument("--sizes", default="9,19")
    ap.add_argument("--batches", default="1,8,32,128,256")
    ap.add_argument("--settings", default=",".join(SETTINGS))
    ap.add_argument("--min-seconds", type=float, default=0.4)
    ap.add_argument("--threads", default="1", help="thread counts, e.g. 1,2")
    ap.add_argument("--first-only-threads", default="2",
                    help="thread counts measured for the first net and size only ('' for none)")
    ap.add_argument("--out", default="bench/results/nets.json")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--from-json", default=None,
                    help="re-render the tables of an earlier run's JSON instead of measuring")
    args = ap.parse_args(argv)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        section = markdown(results, results.get("command", "?"))
        print(section)
        if args.write_docs:
            write_section(Path("docs/benchmarks.md"), section)
        return 0
    cfg = BenchConfig(tuple(args.nets.split(",")), tuple(int(s) for s in args.sizes.split(",")),
                      tuple(int(b) for b in args.batches.split(",")),
                      tuple(args.settings.split(",")), args.min_seconds,
                      threads=tuple(int(t) for t in args.threads.split(",")),
                      first_only_threads=tuple(int(t) for t in args.first_only_threads.split(",")
                                               if t),
                      out=args.out, write_docs=args.write_docs)
    unknown = set(cfg.settings) - set(SETTINGS)
    if unknown:
        ap.error(f"unknown settings {sorted(unknown)}; choose from {list(SETTINGS)}")
    load = f"{os.getloadavg()[0]:.1f}"
    results = run(cfg)
    results["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["load"] = load
    results["machine"] = f"{platform.machine()} {os.cpu_count()} cpus"
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    command = ".venv/bin/python bench/nets.py" + (f" {' '.join(argv)}" if argv else "")
    results["command"] = command
    out.write_text(json.dumps(results, indent=1))
    section = markdown(results, command)
    print(section)
    if cfg.write_docs:
        write_section(Path("docs/benchmarks.md"), section)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))

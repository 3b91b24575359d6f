"""Self-play inference: the loop's self-play stage with eager bfloat16 against the frozen graph.

``LoopConfig.inference`` (``rocks.train.loop``, departure 10) picks the self-play evaluator's
mode.  Two arms, side by side in one process, one torch thread each:

  * ``bf16``: eager torch under bfloat16 autocast (the loop before departure 10);
  * ``torchscript-bf16+channels_last``: the frozen TorchScript graph (``auto`` on the CPU).

Each measurement is one call of ``Loop.selfplay(gen)`` (the trainer paused), timed in CPU
seconds of this process, so other jobs on a shared machine slow both arms alike without
changing the CPU either spends.  Repetition r plays generation r in both arms (the same game
seeds), the arms' order alternating; an untimed two-game stage warms each arm up.  The speed
is moves per CPU-second (games differ in length between arms, moves do not differ in
work), medians over repetitions, and the ratio of the two arms per repetition.

Before the games, the networks alone: evaluations per CPU-second at batches of 32 and 128
(the self-play stage's calls are between the two), medians of 7 interleaved rounds.

    .venv/bin/python bench/selfplay_inference.py                # ~6 minutes on a 2-core VM
    .venv/bin/python bench/selfplay_inference.py --write-docs   # also replace its section
                                                                # of docs/benchmarks.md
    .venv/bin/python bench/selfplay_inference.py --repeats 1 --games 4 --full-visits 16
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

from rocks.metrics import read_rows
from rocks.nets.checkpoint import read_checkpoint
from rocks.nets.evaluator import MODES, Evaluator, sample_positions
from rocks.train.loop import Loop, LoopConfig
from rocks.train.selfplay import SelfPlayConfig

SECTION = "## Self-play inference (bench/selfplay_inference.py)"
ARMS = ("bf16", "torchscript-bf16+channels_last")


@dataclass(frozen=True)
class BenchConfig:
    """What to measure.

    Attributes:
        init: the network both arms play with (the shipped 9x9 b6c64).
        net: its network name.
        games: games per self-play stage (one measurement).
        parallel: games in flight (the self-play experiment plays 32).
        full_visits, fast_visits, full_prob: playout cap randomization, as in the loop.
        resign_threshold: -1: nobody resigns (games to the end in both arms).
        repeats: timed stages per arm (medians are reported).
        out: where the raw results go (JSON).
        write_docs: replace this benchmark's section of docs/benchmarks.md.
    """

    init: str = "models/rocks-9x9-b6c64.safetensors"
    net: str = "b6c64"
    games: int = 16
    parallel: int = 16
    full_visits: int = 128
    fast_visits: int = 24
    full_prob: float = 0.25
    resign_threshold: float = -1.0
    repeats: int = 3
    out: str = "bench/results/selfplay_inference.json"
    write_docs: bool = False


def network_speed(cfg: BenchConfig, rounds: int = 7) -> dict[str, dict[str, float]]:
    """Evaluations per CPU-second of each arm's evaluator, batches of 32 and 128."""
    net = read_checkpoint(cfg.init).net
    evs = {arm: Evaluator(net, batch_size=256, symmetries="random", device="cpu",
                          **MODES[arm]) for arm in ARMS}
    positions = sample_positions(128, 9, seed=3)
    for ev in evs.values():  # warm-up
        for _ in range(3):
            ev(positions)
    out: dict[str, dict[str, float]] = {arm: {} for arm in ARMS}
    for batch in (32, 128):
        chunk = positions[:batch]
        rates: dict[str, list[float]] = {arm: [] for arm in ARMS}
        for _ in range(rounds):
            for arm, ev in evs.items():
                t0 = time.process_time()
                for _ in range(5):
                    ev(chunk)
                rates[arm].append(5 * batch / (time.process_time() - t0))
        for arm in ARMS:
            out[arm][f"batch_{batch}"] = statistics.median(rates[arm])
    return out


def loop_config(cfg: BenchConfig, out: Path, arm: str) -> LoopConfig:
    sp = SelfPlayConfig(parallel=cfg.parallel, full_visits=cfg.full_visits,
                        fast_visits=cfg.fast_visits, full_prob=cfg.full_prob,
                        resign_threshold=cfg.resign_threshold)
    return LoopConfig(out_dir=str(out / arm), net=cfg.net, init=cfg.init,
                      games_per_generation=cfg.games, selfplay=sp, inference=arm, device="cpu")


def stage(loop: Loop, gen: int) -> dict[str, float]:
    """One self-play stage: CPU seconds of this process, games and moves played."""
    t0 = time.process_time()
    loop.selfplay(gen)
    cpu = time.process_time() - t0
    rows = [r for r in read_rows(loop.out / "selfplay.csv") if int(r["generation"]) == gen]
    moves = sum(int(r["moves"]) for r in rows)
    return {"cpu_s": cpu, "games": len(rows), "moves": moves, "moves_per_cpu_s": moves / cpu}


def run(cfg: BenchConfig) -> dict[str, object]:
    torch.set_num_threads(1)
    nets = network_speed(cfg)
    print("network evaluations per CPU-second:", nets, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="selfplay_inference_"))
    loops = {arm: Loop(loop_config(cfg, tmp, arm)) for arm in ARMS}
    results: dict[str, list[dict[str, float]]] = {arm: [] for arm in ARMS}
    try:
        for loop in loops.values():  # warm-up, untimed: two games of generation 0
            timed = loop.cfg
            loop.cfg = dataclasses.replace(timed, games_per_generation=2)
            stage(loop, 0)
            loop.cfg = timed
        for r in range(cfg.repeats):
            order = ARMS if r % 2 == 0 else ARMS[::-1]
            for arm in order:
                res = stage(loops[arm], r + 1)
                results[arm].append(res)
                print(f"rep {r} {arm}: {res['moves']} moves in {res['cpu_s']:.1f} CPU s "
                      f"({res['moves_per_cpu_s']:.2f} moves/CPU-s)", flush=True)
    finally:
        for loop in loops.values():
            loop.close()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {arm: {k: statistics.median(x[k] for x in rows) for k in rows[0]}
           for arm, rows in results.items()}
    fast, slow = ARMS[1], ARMS[0]
    per_rep = [b["moves_per_cpu_s"] / a["moves_per_cpu_s"]
               for a, b in zip(results[slow], results[fast], strict=True)]
    return {"networks": nets, "runs": results, "medians": med,
            "ratio": statistics.median(per_rep), "ratio_per_rep": per_rep}


def render(cfg: BenchConfig, res: dict, meta: dict[str, str]) -> str:
    nets, med = res["networks"], res["medians"]
    lines = [SECTION, "",
             f"{meta['date']}, {meta['machine']}, load {meta['load']}; `{meta['command']}`.",
             "One torch thread; CPU seconds of the process, so other jobs on the machine do not "
             "count against either arm.", "",
             f"The network alone ({cfg.net}, {cfg.init}), evaluations per CPU-second, medians of "
             "7 interleaved rounds:", "",
             "| mode | batch 32 | batch 128 |", "|---|---:|---:|"]
    for arm in ARMS:
        lines.append(f"| {arm} | {nets[arm]['batch_32']:,.0f} | {nets[arm]['batch_128']:,.0f} |")
    lines += ["", f"The loop's self-play stage (trainer paused): {cfg.games} games a stage, "
              f"{cfg.parallel} in flight, {cfg.full_visits}/{cfg.fast_visits} visits (full "
              f"share {cfg.full_prob}), no resignation; {cfg.repeats} repetitions, arms "
              "alternating, medians:", "",
              "| self-play evaluator (`inference`) | moves per CPU-second | CPU s per stage | "
              "moves per stage |", "|---|---:|---:|---:|"]
    for arm in ARMS:
        m = med[arm]
        lines.append(f"| {arm} | {m['moves_per_cpu_s']:.2f} | {m['cpu_s']:.1f} | "
                     f"{m['moves']:.0f} |")
    reps = ", ".join(f"{x:.2f}" for x in res["ratio_per_rep"])
    lines += ["", f"The frozen graph plays **{res['ratio']:.2f}x** the moves per CPU-second of "
              f"eager bf16 (per repetition: {reps}); `auto`, the loop's default on the CPU, "
              "is the frozen graph.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run_bench(BenchConfig, "bench/selfplay_inference.py", run, render, SECTION, __doc__,
                     argv)


if __name__ == "__main__":
    raise SystemExit(main())

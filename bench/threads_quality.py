"""Search-threads quality: does a 2-thread search choose as well as a 1-thread one at equal visits?

Several search threads share one tree under virtual loss (:mod:`rocks.search.parallel`), so at
the same number of visits their search is a little wider than one thread's (each thread's
leaves in flight push the others elsewhere).  This measures what that costs, against a much
deeper search as the judge (the usual stand-in for strength without games, e.g. KataGo's
"policy target vs deep search" checks):

  * positions from random games of the shipped 9x9 b6c64 (not game-over);
  * the judge: one thread, ``judge_visits`` simulations;
  * each contender (1 thread or 2 threads, at equal visits; 2 threads at the visits they make in
    the same time, from docs/benchmarks.md "Cores and accelerators") searches each position with
    two symmetry seeds; we count how often it picks the judge's move, and the judge's Q of the
    judge's move minus the judge's Q of the contender's move (the value the choice gives up).

Speed does not matter here (visits are fixed), so it needs no quiet machine.

    .venv/bin/python bench/threads_quality.py                # print the table (~3-5 minutes)
    .venv/bin/python bench/threads_quality.py --write-docs   # also replace its section
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass

import numpy as np
import torch
from benchdoc import machine_meta, publish

from rocks.nets.checkpoint import load_checkpoint
from rocks.nets.evaluator import MODES, Evaluator, sample_positions
from rocks.search.contracts import SearchResult
from rocks.search.mcts import MCTS, MCTSConfig
from rocks.search.parallel import run_parallel

SECTION = "## Search threads at equal visits"


@dataclass(frozen=True)
class BenchConfig:
    """What to measure.

    Attributes:
        model: the checkpoint.
        mode: the inference mode (``rocks gtp``'s default here).
        positions: positions from random games (seed 7, at most 40 moves).
        visits: the contenders' simulations per search (one comparison per entry: virtual loss
            matters less as the search grows, since the same leaves in flight are a smaller
            share of it).
        time_ratio: visits of 2 threads per visit of 1 thread in the same time (measured).
        judge_visits: the judge's simulations per search.
        seeds: symmetry seeds per contender.
        out: where the raw results go (JSON).
        write_docs: replace this section of docs/benchmarks.md.
    """

    model: str = "models/rocks-9x9-b6c64.safetensors"
    mode: str = "torchscript-bf16+channels_last"
    positions: int = 32
    visits: tuple[int, ...] = (400, 1200)
    time_ratio: float = 1.63
    judge_visits: int = 6400
    seeds: tuple[int, ...] = (1, 2)
    out: str = "bench/results/threads_quality.json"
    write_docs: bool = False


_EVALUATORS: dict[int, Evaluator] = {}


def search(net: torch.nn.Module, cfg: BenchConfig, position, threads: int, visits: int,
           seed: int) -> SearchResult:
    ev = _EVALUATORS.get(seed)
    if ev is None:  # one per seed: building a TorchScript graph per search would dominate
        ev = _EVALUATORS[seed] = Evaluator(net, batch_size=16, symmetries="random", seed=seed,
                                           **MODES[cfg.mode])
    search_cfg = MCTSConfig(num_simulations=visits, fpu_reduction_root=0.25, leaves_per_batch=16)
    return run_parallel(MCTS(position, search_cfg, np.random.default_rng(seed)), ev, threads)


def run(cfg: BenchConfig) -> dict:
    torch.set_num_threads(1)
    net, _ = load_checkpoint(cfg.model)
    positions = [p for p in sample_positions(cfg.positions, 9, seed=7, max_moves=40)
                 if not p.is_game_over()]
    judges = [search(net, cfg, p, 1, cfg.judge_visits, 100) for p in positions]
    print(f"judged {len(judges)} positions", flush=True)
    contenders = {}
    for v in cfg.visits:
        contenders.update({f"1 thread, {v}": (1, v), f"2 threads, {v}": (2, v),
                           f"2 threads, same time as {v}": (2, round(v * cfg.time_ratio))})
    out: dict = {"positions": len(positions), "contenders": {}}
    for name, (threads, visits) in contenders.items():
        same, regret, unseen = [], [], 0
        for seed in cfg.seeds:
            for p, judge in zip(positions, judges, strict=True):
                move = search(net, cfg, p, threads, visits, seed).move
                same.append(move == judge.move)
                if judge.visits[move] > 0:
                    regret.append(float(judge.q[judge.move] - judge.q[move]))
                else:
                    unseen += 1
        rate = float(np.mean(same))
        out["contenders"][name] = {
            "threads": threads, "visits": visits, "agreement": rate,
            "agreement_se": float(np.sqrt(rate * (1 - rate) / len(same))),
            "q_regret": float(np.mean(regret)), "unvisited_by_judge": unseen,
            "searches": len(same)}
        print(f"{name}: {out['contenders'][name]}", flush=True)
    return out


def render(cfg: BenchConfig, res: dict, meta: dict) -> str:
    lines = [SECTION, "",
             f"Measured {meta['date']} on a 2-core CI-class VM ({meta['machine']}), torch "
             f"{torch.__version__}; visits are fixed, so the machine's other jobs change nothing "
             f"but the time it took.  Command: `{meta['command']}`.  {res['positions']} positions "
             f"from random games (at most 40 moves), shipped b6c64, {cfg.mode}; the judge is a "
             f"1-thread search of {cfg.judge_visits} visits; each contender searched each "
             f"position with {len(cfg.seeds)} symmetry seeds.", "",
             "| contender | visits | picks the judge's move | judge's Q given up (mean) |",
             "|---|---:|---:|---:|"]
    for name, c in res["contenders"].items():
        lines.append(f"| {name} | {c['visits']} | {c['agreement']:.0%} "
                     f"± {c['agreement_se']:.0%} | {c['q_regret']:.3f} |")
    lines += ["", "\"2 threads, same time as N\" has the visits that two threads make in the "
              f"time one thread makes N ({cfg.time_ratio:g}x, section \"Cores and "
              "accelerators\").", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--positions", type=int, default=BenchConfig.positions)
    ap.add_argument("--judge-visits", type=int, default=BenchConfig.judge_visits)
    ap.add_argument("--visits", default=",".join(map(str, BenchConfig.visits)))
    ap.add_argument("--out", default=BenchConfig.out)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    cfg = BenchConfig(positions=args.positions, judge_visits=args.judge_visits,
                      visits=tuple(int(v) for v in args.visits.split(",")), out=args.out,
                      write_docs=args.write_docs)
    meta = machine_meta(".venv/bin/python bench/threads_quality.py"
                        + (" --write-docs" if cfg.write_docs else ""))
    res = run(cfg)
    publish(cfg.out, asdict(cfg), meta, res, render(cfg, res, meta), SECTION, cfg.write_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

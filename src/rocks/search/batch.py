"""Many searches at once: the leaves of many games' trees go to the network in one call.

Follows the leaf batching of AutoGo (2026: 8 games x 8 leaves per network call gave 19x over
single-leaf Python search) and KataGo's many-games-per-GPU self-play: a network evaluates a
batch of B positions for little more than the cost of one, so each round every unfinished search
selects up to ``cfg.leaves_per_batch`` leaves under virtual loss (see :mod:`rocks.search.mcts`),
all of them are evaluated together (one call per board size), and each search expands and
backs up its own.

Departures: none from the single search; results are those of :meth:`MCTS.run` with the same
config, except that a search's leaves wait for the slowest round of the batch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from rocks.go.board import Position
from rocks.search.contracts import EvaluateFn, SearchResult, as_evaluation
from rocks.search.mcts import MCTS, MCTSConfig


def run_many(searches: Sequence[MCTS], evaluate: EvaluateFn, num_simulations: int | None = None,
             time_budget_s: float | None = None) -> list[SearchResult]:
    """Search every tree in ``searches`` from its current root; one ``evaluate`` per round.

    Trees are kept (call ``advance`` on each afterwards for tree reuse, as in self-play).
    """
    for s in searches:
        s.begin(num_simulations)
    deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
    while True:
        active = [s for s in searches if not s.done()]
        if not active:
            break
        by_size: dict[int, list[tuple[MCTS, list]]] = {}
        for s in active:
            pending = s.gather(min(s.cfg.leaves_per_batch, s.target - s.simulations))
            if pending:
                by_size.setdefault(s.root.size, []).append((s, pending))
        groups = list(by_size.values())
        for i, spans in enumerate(groups):  # a network call takes one board size
            positions = [p.position for _, pending in spans for p in pending]
            try:
                ev = as_evaluation(evaluate(positions), len(positions))
            except BaseException:  # leave every tree as if the unsent leaves were never chosen
                for group in groups[i:]:
                    for s, pending in group:
                        s.abandon(pending)
                raise
            offset = 0
            for s, pending in spans:
                s.apply(pending, ev, offset)
                offset += len(pending)
        if deadline is not None and time.perf_counter() >= deadline and \
                all(s.tree.is_expanded(0) for s in searches):
            break
    return [s.result() for s in searches]


def run_mcts_many(roots: Sequence[Position], evaluate: EvaluateFn,
                  cfg: MCTSConfig | None = None, seed: int | None = None,
                  time_budget_s: float | None = None) -> list[SearchResult]:
    """One fresh search per root, batched together (game i uses the i-th child of ``seed``)."""
    cfg = MCTSConfig() if cfg is None else cfg
    seeds = np.random.SeedSequence(seed).spawn(len(roots))
    searches = [MCTS(r, cfg, np.random.default_rng(sd)) for r, sd in zip(roots, seeds, strict=True)]
    return run_many(searches, evaluate, time_budget_s=time_budget_s)

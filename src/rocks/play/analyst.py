"""Analysis of one position: a search with reports, stops and forbidden moves, plus score leads.

What KataGo's analysis engine (docs/Analysis_Engine.md in lightvector/KataGo) reports for one
position, computed with rocks' PUCT search (:mod:`rocks.search.mcts`, AlphaGo Zero's): for
each candidate its visits, win rate Q, prior P, principal variation and score lead; for the
root its visits, win rate and score lead, the network's raw policy and its ownership.  Both
``rocks analysis`` (:mod:`rocks.play.analysis_engine`) and ``rocks review``
(:mod:`rocks.play.review`) are built on :meth:`Analyst.analyse`.

Departures, numbered:
  1. The search does not average scores over its tree (its nodes keep values only): a move's
     score lead is the network's score head on the position after it (one batched evaluation
     of every reported candidate), and the root's is the visit-weighted mean of its candidates'
     (as KataGo's root average; the net's own root score before any visit), so that both are
     one ply deep and comparable (:meth:`Analyst.move_value` scores any other move the same
     way).  Candidates are ordered by visits, ties by prior (at a few visits per move many
     have one visit each).  A network without a score head falls back
     on its ownership (sum of owned points minus komi), then on the Tromp-Taylor count.
  2. Forbidden moves (``avoidMoves``/``allowMoves``) and a root policy temperature act at the
     root only: after the root's evaluation their priors are set to -1 (never selected) or
     flattened, and the search goes on.
  3. Each query is searched from a fresh tree (KataGo shares a cache between queries).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from rocks.go.board import Position
from rocks.play.players import Device, Precision, Symmetries
from rocks.search.contracts import EvaluateFn, SearchResult, as_evaluation
from rocks.search.mcts import MCTS, MCTSConfig
from rocks.search.parallel import run_parallel


@dataclass(frozen=True)
class MoveInfo:
    """One candidate, from the side to move's view.

    Attributes:
        move: flat index (pass = size*size).
        visits: N(root, move).
        winrate: (Q + 1) / 2 in [0, 1].
        score_lead: the mover's lead in points after the move (departure 1).
        prior: the network's prior.
        pv: the principal variation, starting with ``move``.
        ownership: float32 [size*size] after the move, +1 the mover's, when asked for.
    """

    move: int
    visits: int
    winrate: float
    score_lead: float
    prior: float
    pv: tuple[int, ...]
    ownership: np.ndarray | None = None


@dataclass(frozen=True)
class Analysis:
    """What a search found at one position, from its side to move's view.

    Attributes:
        position: the position analysed.
        moves: candidates, most visited first.
        visits: the root's visits.
        winrate: the root's win rate in [0, 1].
        score_lead: the root's score lead in points (departure 1).
        policy: float32 [N+1], the network's priors over legal moves (renormalised), -1 where
            illegal.
        ownership: float32 [N], +1 the mover's, or None.
        elapsed_s: seconds searched.
    """

    position: Position
    moves: tuple[MoveInfo, ...]
    visits: int
    winrate: float
    score_lead: float
    policy: np.ndarray
    ownership: np.ndarray | None
    elapsed_s: float

    @property
    def best(self) -> MoveInfo | None:
        return self.moves[0] if self.moves else None


Report = Callable[[Analysis], None]


class Analyst:
    """Analyses positions with a network's ``evaluate`` (thread-safe when ``evaluate`` is and
    each thread calls :meth:`analyse` with its own tree, which it always does).

    Args:
        evaluate: the network (or a fake); its ``score`` gives score leads when present.
        search: search settings (played-game defaults: root FPU reduction 0.25).
        threads: search threads per analysis (:func:`rocks.search.parallel.run_parallel`).
        max_candidates: moves reported, most visited first.
        step_s: longest search slice between checks of stop, time and reports.
        seed: seed of the search's random choices.
    """

    def __init__(self, evaluate: EvaluateFn, search: MCTSConfig | None = None,
                 threads: int = 1, max_candidates: int = 10, step_s: float = 0.05,
                 seed: int | None = None) -> None:
        self.evaluate = evaluate
        self.search = search or MCTSConfig(fpu_reduction_root=0.25)
        self.threads = threads
        self.max_candidates = max_candidates
        self.step_s = step_s
        self.rng = np.random.default_rng(seed)

    def analyse(self, position: Position, max_visits: int, max_time_s: float | None = None,
                avoid: Collection[int] = (), root_temperature: float = 1.0,
                report_every_s: float | None = None, report: Report | None = None,
                stop: Callable[[], bool] = lambda: False,
                moves_ownership: bool = False) -> Analysis | None:
        """Search ``position`` until ``max_visits`` root visits, ``max_time_s`` seconds or
        ``stop()``; ``report`` gets partial analyses every ``report_every_s`` seconds.  None if
        stopped before the root was evaluated."""
        start = time.perf_counter()
        deadline = None if max_time_s is None else start + max_time_s
        tree = MCTS(position, self.search, np.random.default_rng(self.rng.integers(2**63)))
        next_report = None if report_every_s is None else start + report_every_s
        shaped = False
        result: SearchResult | None = None
        while not stop():
            n = int(tree.tree.node_n[0])
            if n >= max_visits or position.is_game_over() and n > 0:
                break
            now = time.perf_counter()
            if deadline is not None and now >= deadline and n > 0:
                break
            until = [self.step_s]
            if deadline is not None:
                until.append(deadline - now)
            if next_report is not None:
                until.append(next_report - now)
            # The root alone first, so that its priors can be shaped before any child is tried.
            want = 1 if n == 0 else max_visits - n
            result = run_parallel(tree, self.evaluate, 1 if n == 0 else self.threads, want,
                                  max(1e-3, min(until)))
            if not shaped and tree.tree.is_expanded(0):
                _shape_root(tree, avoid, root_temperature)
                shaped = True
            if next_report is not None and report is not None and \
                    time.perf_counter() >= next_report and int(tree.tree.node_n[0]) < max_visits:
                report(self._summary(tree, tree.result(), start, False))
                next_report = time.perf_counter() + (report_every_s or 0.0)
        if result is None or int(tree.tree.node_n[0]) == 0:
            return None
        return self._summary(tree, tree.result(), start, moves_ownership)

    # ------------------------------------------------------------------ results
    def _summary(self, tree: MCTS, result: SearchResult, start: float,
                 moves_ownership: bool) -> Analysis:
        position = tree.root
        shown = sorted((c for c in result.candidates if c.visits > 0),
                       key=lambda c: (-c.visits, -c.prior))[: self.max_candidates]
        children = []
        for c in shown:
            try:
                children.append(position.play(c.move))
            except ValueError:  # cannot happen for a searched move; stay safe
                children.append(position)
        leads, owns = self._scores([position, *children])
        moves = tuple(
            MoveInfo(c.move, c.visits, _winrate(c.q), -leads[i + 1], c.prior,
                     c.pv if c.pv and c.pv[0] == c.move else (c.move,),
                     None if not moves_ownership or owns is None else -owns[i + 1])
            for i, c in enumerate(shown))
        visits = int(tree.tree.node_n[0])
        weights = np.array([m.visits for m in moves], np.float64)
        lead = float(np.dot(weights, [m.score_lead for m in moves]) / weights.sum()) \
            if weights.sum() > 0 else float(leads[0])
        size = position.size
        policy = np.full(size * size + 1, -1.0, np.float32)
        legal = position.legal_moves()
        prior = tree.root_prior if tree.root_prior is not None else \
            np.full(size * size + 1, 1.0 / legal.sum(), np.float32)
        policy[legal] = prior[legal]
        ownership = tree.root_ownership if tree.root_ownership is not None else \
            (owns[0] if owns is not None else None)
        return Analysis(position, moves, visits, _winrate(result.root_value), lead, policy,
                        None if ownership is None else np.asarray(ownership, np.float32),
                        time.perf_counter() - start)

    def move_value(self, position: Position, move: int) -> tuple[float, float]:
        """(win rate, score lead) of ``move`` for ``position``'s mover, from one evaluation of
        the position after it (a move the search did not report; departure 1)."""
        child = position.play(move)
        ev = as_evaluation(self.evaluate([child]), 1)
        leads, _ = self._scores([child])
        return _winrate(-float(np.asarray(ev.values).reshape(-1)[0])), -float(leads[0])

    def _scores(self, positions: list[Position]) -> tuple[np.ndarray, np.ndarray | None]:
        """Score leads (points, each position's mover's) and ownership of ``positions``."""
        ev = as_evaluation(self.evaluate(positions), len(positions))
        own = None if ev.ownership is None else np.asarray(ev.ownership, np.float32)
        if ev.score is not None:
            return np.asarray(ev.score, np.float64).reshape(-1), own
        leads = []
        for i, p in enumerate(positions):  # departure 1: no score head
            if own is not None:
                komi = p.komi * -p.to_play  # komi counts for White
                leads.append(float(own[i].sum()) + komi)
            else:
                leads.append(float(p.score()) * p.to_play)
        return np.asarray(leads), own


def make_analyst(model: str, threads: int = 1, candidates: int = 10,
                 precision: Precision = "auto", symmetries: Symmetries = "random",
                 device: Device = "auto", seed: int | None = None, callers: int = 1) -> Analyst:
    """The :class:`~rocks.play.analyst.Analyst` of a ``--model`` value (``none``: rollouts)."""
    from rocks.play.players import PlayerSpec, network_evaluator, resolve_model

    path = resolve_model(model)
    if path is None:
        from rocks.search.rollout import RolloutConfig, rollout_evaluator

        evaluate = rollout_evaluator(RolloutConfig(playouts=1, seed=seed or 0))
        threads = 1  # rollouts hold the GIL
    else:
        spec = PlayerSpec(model=path, precision=precision, symmetries=symmetries, seed=seed,
                          device=device, threads=threads)
        evaluate = network_evaluator(spec, threads * callers)
    return Analyst(evaluate, threads=threads, max_candidates=candidates, seed=seed)


def _winrate(q: float) -> float:
    return min(1.0, max(0.0, (float(q) + 1.0) / 2.0))


def _shape_root(tree: MCTS, avoid: Collection[int], temperature: float) -> None:
    """Forbid ``avoid`` and flatten the root priors by ``temperature`` (departure 2)."""
    t = tree.tree
    sl = t.edges(0)
    priors = t.edge_prior[sl].astype(np.float64)
    ok = priors >= 0
    if avoid:
        banned = np.isin(t.edge_move[sl], np.fromiter(avoid, np.int64))
        if (ok & ~banned).any():  # a query that forbids everything searches as asked not to
            ok &= ~banned
    if temperature != 1.0 and ok.any():
        p = np.maximum(priors[ok], 1e-12) ** (1.0 / temperature)
        priors[ok] = p / p.sum()
    priors[~ok] = -1.0
    t.edge_prior[sl] = priors.astype(t.edge_prior.dtype)

"""The MCTS player: PUCT search over a network (or over rollouts) behind the Player protocol.

Follows AlphaGo Zero's play (Silver et al., Nature 2017): a fixed number of simulations per
move (or a time budget), the most visited move played, resignation below a value threshold,
and the search tree kept from move to move.  The engine owns the game; the player keeps only
its search tree and recognises when the position it is asked about continues the tree's root.

Departures:
  1. Without a network (``PlayerSpec.model=None``) the player searches with uniform priors and
     random-rollout values (plain Monte-Carlo tree search, :mod:`rocks.search.rollout`).
  2. ``visits`` counts new simulations per move; visits kept by tree reuse come on top.
  3. The win rate reported is (Q + 1) / 2 of the chosen move, or of the root when it has none.
  4. In play (no root noise) the root's first-play urgency is reduced as much as inner nodes'
     (0.25, as Leela Zero does): with the search's self-play default (0.1) every unvisited
     root move is tried once and the value net's largest error among ~80 moves wins — the
     shipped model opened on the 2nd line (B7, prior 0.000) at 1,600 visits; with 0.25 it
     opens on the 4-4 point.
  5. ``threads`` > 1 searches one tree on several cores (:mod:`rocks.search.parallel`);
     the evaluator must then be thread-safe (:class:`rocks.nets.evaluator.Evaluator` is).
  6. The score lead reported is the network's score head on the position searched (one more
     evaluation per move; the tree keeps no scores), when the network has one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from rocks.go.board import Position
from rocks.play.decision import Decision
from rocks.search.contracts import EvaluateFn, SearchResult, as_evaluation
from rocks.search.mcts import MCTS, MCTSConfig
from rocks.search.parallel import run_parallel
from rocks.search.policies import wants_resign


@dataclass(frozen=True)
class MCTSPlayerConfig:
    """How the MCTS player spends its time.

    Attributes:
        visits: new simulations per move; None searches until the time budget is spent.
        time_per_move_s: a cap on seconds per move below the engine's budget (None: none).
        search: the search settings (its ``num_simulations`` is replaced by ``visits``).
        resign_threshold: v_resign (:func:`rocks.search.policies.wants_resign`); -1 never.
        min_visits_to_resign: searches smaller than this never resign (too noisy).
        seed: seed of the search's random choices (noise, temperature).
        threads: search threads sharing the tree (:func:`rocks.search.parallel.run_parallel`);
            1 is the plain search, reproducible with a seed.
    """

    visits: int | None = 200
    time_per_move_s: float | None = None
    search: MCTSConfig = field(default_factory=lambda: MCTSConfig(fpu_reduction_root=0.25))
    resign_threshold: float = -0.95
    min_visits_to_resign: int = 50
    seed: int | None = None
    threads: int = 1

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        if self.visits is not None and self.visits < 1:
            raise ValueError(f"visits must be at least 1, got {self.visits}")
        if self.time_per_move_s is not None and self.time_per_move_s <= 0:
            raise ValueError(f"time_per_move_s must be positive, got {self.time_per_move_s}")


class MCTSPlayer:
    """A :class:`~rocks.play.decision.Player` searching with :class:`~rocks.search.mcts.MCTS`."""

    def __init__(self, evaluate: EvaluateFn, cfg: MCTSPlayerConfig = MCTSPlayerConfig(),
                 name: str = "mcts") -> None:
        self.evaluate = evaluate
        self.cfg = cfg
        self.name = name
        self.rng = np.random.default_rng(cfg.seed)
        self._search: MCTS | None = None

    def _tree_for(self, position: Position) -> MCTS:
        s = self._search
        if s is None or s.root.size != position.size:
            self._search = MCTS(position, self.cfg.search, self.rng)
        else:
            s.set_root(position)
        assert self._search is not None
        return self._search

    def select_move(self, position: Position, time_budget_s: float = 0.0) -> Decision:
        if position.is_game_over():
            return Decision(move=position.pass_move)
        search = self._tree_for(position)
        budget = time_budget_s if time_budget_s and time_budget_s > 0 else None
        if self.cfg.time_per_move_s is not None:
            budget = min(budget or np.inf, self.cfg.time_per_move_s)
        visits = self.cfg.visits if self.cfg.visits is not None else 10**9
        if budget is None and self.cfg.visits is None:
            budget = 1.0
        result = run_parallel(search, self.evaluate, self.cfg.threads, visits, budget)
        return self._decision(position, result)

    @property
    def move_visits(self) -> int | None:
        """New simulations one move's search makes (None: it searches until its time is up)."""
        return self.cfg.visits

    def analyze(self, position: Position, time_budget_s: float) -> Decision:
        """Search ``position`` for ``time_budget_s`` more seconds, not capped by ``visits``, and
        report without resigning (GTP ``lz-analyze``, :mod:`rocks.play.gtp.analysis`): calls on the
        same position continue one tree."""
        if position.is_game_over():
            return Decision(move=position.pass_move)
        result = run_parallel(self._tree_for(position), self.evaluate, self.cfg.threads, 10**9,
                              max(time_budget_s, 1e-3))
        return dataclasses.replace(self._decision(position, result), resign=False)

    def _decision(self, position: Position, result: SearchResult) -> Decision:
        move = result.move
        q = float(result.q[move]) if result.visits[move] > 0 else result.root_value
        total = int(result.visits.sum())
        resign = wants_resign(result, self.cfg.resign_threshold) and \
            total >= self.cfg.min_visits_to_resign
        ownership = None
        if result.ownership is not None:  # the net's is the mover's; the Decision's is Black's
            ownership = (np.asarray(result.ownership, np.float32) * position.to_play)
        candidates = result.candidates
        pv = result.pv if result.pv and result.pv[0] == move else (move,)
        return Decision(move=move, resign=resign, winrate=(q + 1.0) / 2.0,
                        score_lead=self._score_lead(position), pv=pv,
                        candidates=candidates, ownership=ownership, visits=total)

    def _score_lead(self, position: Position) -> float | None:
        """The mover's expected lead by the network's score head (departure 6), if it has one."""
        ev = as_evaluation(self.evaluate([position]), 1)
        return None if ev.score is None else float(np.asarray(ev.score).reshape(-1)[0])


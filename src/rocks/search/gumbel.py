"""Gumbel AlphaZero: a search that improves the policy with few simulations.

Follows Danihelka, Guez, Schrittwieser and Silver, "Policy improvement by planning with Gumbel"
(ICLR 2022), as in DeepMind's mctx ``gumbel_muzero_policy``:

* Root: sample g(a) ~ Gumbel(0, 1) for every legal move and consider the m moves with the
  largest g(a) + logits(a) (Gumbel-top-k: m samples without replacement from the prior).
* Sequential halving over the considered moves: the budget of n simulations is split into
  ⌈log2 m⌉ phases; each phase visits every remaining move equally, and keeps the half with the
  largest g(a) + logits(a) + σ(q̂(a)).  The move played is the survivor with the largest score.
* σ(q̂) = (c_visit + max_b N(b)) · c_scale · q̂, with q̂ the completed Q rescaled to [0, 1].
* Completed Q: Q(a) for visited moves, v_mix for the others, where
  v_mix = (v̂ + ΣN / Σ_{b visited} π(b) · Σ_{b visited} π(b) Q(b)) / (1 + ΣN).
* Policy target: π' = softmax(logits + σ(completed Q)) over the legal moves.
* Below the root, deterministic selection: argmax_a π'(a) − N(a) / (1 + ΣN).

The tree, the batching of leaves across games and the child positions are those of the PUCT
search (:class:`rocks.search.mcts.MCTS`); only the root schedule, the selection rule below the
root (:func:`rocks.search.tree.gumbel_edge`), the final move and the policy target differ.

Departures, numbered:
  1. c_scale = 0.1 with min-max rescaling of Q (mctx's defaults; the paper's c_scale = 1.0 is
     for Q already in [0, 1]).
  2. Leaves are batched under virtual loss like the PUCT search: a move's count N includes its
     visits in flight, so sequential halving's schedule holds within a batch.
  3. No tree reuse (``reuse_tree`` is ignored): sequential halving assumes that the root's
     visits start at zero, as in the paper.
  4. ``gumbel_scale`` 0 gives a deterministic search (top-m by the prior), for play.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rocks.go.board import Position
from rocks.search import tree as T
from rocks.search.mcts import MCTS, Play, SearchConfig


@dataclass(frozen=True)
class GumbelConfig(SearchConfig):
    """Gumbel AlphaZero's settings, beside those of :class:`~rocks.search.mcts.SearchConfig`.

    Attributes:
        max_considered: m, the moves sampled at the root (16 in the paper's Go experiments).
        c_visit: σ's visit offset (paper: 50).
        c_scale: σ's scale (departure 1).
        gumbel_scale: multiplies the Gumbel noise (1 for self-play, 0 for deterministic play).
    """

    max_considered: int = 16
    c_visit: float = 50.0
    c_scale: float = 0.1
    gumbel_scale: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_considered < 1:
            raise ValueError("max_considered must be at least 1")
        if self.c_visit < 0 or self.c_scale < 0 or self.gumbel_scale < 0:
            raise ValueError("c_visit, c_scale and gumbel_scale must be >= 0")


def considered_visits(m: int, n: int) -> list[int]:
    """Sequential halving's schedule: entry k is the visit count N(a) that the move of the k-th
    simulation must have (the best-scoring such move among the considered ones is visited).

    Each phase gives every remaining move max(1, ⌊n / (⌈log2 m⌉ · remaining)⌋) visits, then
    halves the moves (never below 2).  With m = 4 and n = 8: [0, 0, 0, 0, 1, 1, 2, 2]: four moves
    are visited once, the best two twice more.
    """
    if m <= 1:
        return list(range(n))
    phases = math.ceil(math.log2(m))
    seq: list[int] = []
    visits = [0] * m
    k = m
    while len(seq) < n:
        extra = max(1, n // (phases * k))
        for _ in range(extra):
            seq.extend(visits[:k])
            for i in range(k):
                visits[i] += 1
        k = max(2, k // 2)
    return seq[:n]


class GumbelMCTS(MCTS):
    """One game's Gumbel search; the same gather/apply interface as :class:`MCTS`."""

    rule = T.RULE_GUMBEL

    def __init__(self, root: Position, cfg: GumbelConfig = GumbelConfig(),
                 rng: np.random.Generator | None = None, play: Play | None = None) -> None:
        super().__init__(root, cfg, rng, play)

    @property
    def gcfg(self) -> GumbelConfig:
        assert isinstance(self.cfg, GumbelConfig)
        return self.cfg

    def reset(self, root: Position) -> None:
        super().reset(root)
        self._gumbel: np.ndarray | None = None  # g(a) per root edge, -inf where illegal
        self._schedule: list[int] = []
        self._root_sims = 0

    def advance(self, move: int) -> None:
        self.reset(self.play(self.root, move))  # departure 3

    def begin(self, num_simulations: int | None = None) -> None:
        super().begin(num_simulations)
        if self.tree.is_expanded(0) and not self.tree.info[0, T.TERMINAL]:
            self._plan()

    def _prepare_root(self) -> None:
        self._exact_root_priors()  # no Dirichlet noise: the Gumbel noise explores
        self._plan()

    def _rule_params(self) -> tuple[float, float, float, float, float, float]:
        return 0.0, 0.0, 0.0, self.gcfg.c_visit, self.gcfg.c_scale, 0.0  # no forced playouts

    def _plan(self) -> None:
        """Sample the root's Gumbel noise and the halving schedule for this search."""
        sl = self.tree.edges(0)
        legal = self.tree.edge_prior[sl] >= 0
        g = np.full(len(legal), -np.inf)
        g[legal] = self.gcfg.gumbel_scale * self.rng.gumbel(size=int(legal.sum()))
        self._gumbel = g
        self._root_sims = self.simulations
        m = min(self.gcfg.max_considered, int(legal.sum()))
        self._schedule = considered_visits(m, max(1, self.target - self._root_sims))

    def _root_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """(g + logits + σ(q̂), N) per root edge, N counting visits in flight."""
        tree = self.tree
        sl = tree.edges(0)
        k = sl.stop - sl.start
        T.completed_q_logits(0, tree.info, tree.node_n, tree.node_w, tree.node_value,
                             tree.edge_child, tree.edge_prior, self.gcfg.c_visit,
                             self.gcfg.c_scale, self._scratch)
        children = tree.edge_child[sl]
        n = np.where(children >= 0, tree.node_n[np.maximum(children, 0)], 0)
        assert self._gumbel is not None
        return self._gumbel + self._scratch[:k], n

    def _root_edge(self, in_flight: int) -> int:
        if self._gumbel is None or not self.tree.is_expanded(0):
            return -1
        k = self.simulations - self._root_sims + in_flight
        want = self._schedule[min(k, len(self._schedule) - 1)]
        score, n = self._root_scores()
        ok = np.isfinite(score)
        eligible = ok & (n == want)
        if not eligible.any():  # a terminal or collided visit moved the counts: least visited
            eligible = ok & (n == n[ok].min())
        return self.tree.edges(0).start + int(np.argmax(np.where(eligible, score, -np.inf)))

    def _choose(self, visits: np.ndarray, q: np.ndarray, prior: np.ndarray) -> int:
        if self._gumbel is None or visits.sum() == 0:
            return super()._choose(visits, q, prior)
        score, n = self._root_scores()
        moves = self.tree.edge_move[self.tree.edges(0)]
        top = np.isfinite(score) & (n == n.max())
        return int(moves[int(np.argmax(np.where(top, score, -np.inf)))])

    def _policy_target(self, visits: np.ndarray, q: np.ndarray,
                       prior: np.ndarray) -> np.ndarray | None:
        if self._gumbel is None:
            return None
        score, _ = self._root_scores()
        ok = np.isfinite(score)
        logits = np.where(ok, score - np.where(ok, self._gumbel, 0.0), -np.inf)  # no noise
        moves = self.tree.edge_move[self.tree.edges(0)]
        z = np.exp(logits[ok] - logits[ok].max())
        out = np.zeros(len(visits), np.float32)
        out[moves[ok]] = z / z.sum()
        return out

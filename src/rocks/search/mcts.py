"""Monte Carlo tree search with PUCT, as in AlphaGo Zero, batched for a neural network.

Follows Silver et al., "Mastering the game of Go without human knowledge" (Nature 2017): each
simulation selects by a = argmax Q(s, a) + c_puct P(s, a) sqrt(Σ_b N(s, b)) / (1 + N(s, a)),
expands the leaf with the network's priors P and value v, and backs v up; the move is chosen
from the root visit counts N (temperature and resignation are :mod:`rocks.search.policies`);
Dirichlet noise Dir(α) with weight ε is mixed into the root priors in self-play.  The search is a
function of an ``evaluate(positions) -> (priors [B, N+1], values [B])`` passed in (values for the
player to move), as in DeepMind's mctx.

Departures:
  1. First-play urgency (Leela Zero, KataGo): an unvisited child is worth the parent's Q minus
     ``fpu_reduction`` times the square root of the prior mass already visited (not Q = 0).
  2. Batched leaves (AutoGo; KataGo): up to ``leaves_per_batch`` leaves per tree are selected
     under virtual loss and evaluated in one call; :mod:`rocks.search.batch` also pools the
     leaves of many games into one call.  A selection that hits a leaf still waiting for its
     evaluation ends the batch early (a collision) instead of evaluating it twice.
  3. Legality is checked lazily below the root: a node's children are the empty points except
     the ko point, plus pass; a move found illegal (suicide, superko) when first tried gets
     prior -1 and is never selected again.  The root uses the exact legal moves.
  4. Two consecutive passes end the game; such a node is terminal and worth the sign of the
     Tromp-Taylor score for its player to move, so the search sees exactly what passing
     into a won or lost count means instead of asking the network.
  5. Dirichlet α = ``dirichlet_alpha_scale`` / (number of legal moves), i.e. 0.03 on an
     empty 19x19 board with the default scale 10.83, as AlphaGo Zero's α = 0.03 scaled by KataGo.
  6. Tree reuse: after a move, the chosen child's subtree becomes the new tree (compacted).
  7. Child positions come from a numba kernel (:mod:`rocks.go.fast.child`, equal to
     ``Position.play`` and 3-5x cheaper), and the tree's select/expand/backup loops are numba
     too (:mod:`rocks.search.tree`): the search costs ~12-20 µs of CPU per visit on 9x9.
  8. Optional KataGo forced playouts with policy target pruning (Wu, arXiv 1902.10565,
     section 3.2; :mod:`rocks.search.forced`): with ``forced_playouts_k`` k > 0 a visited root
     child below sqrt(k P ΣN) visits (P after noise) is selected first, and the result's
     ``policy_target`` is the pruned visit distribution.  k = 0 (default): plain PUCT.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rocks.go.board import IllegalMove, Position
from rocks.go.fast import FastBoard, Stepper
from rocks.search import tree as T
from rocks.search.contracts import (
    Candidate,
    EvaluateFn,
    Evaluation,
    SearchResult,
    as_evaluation,
)
from rocks.search.forced import pruned_policy_target

__all__ = ["MCTS", "MCTSConfig", "SearchConfig", "run_mcts", "terminal_value"]


Play = Callable[[Position, int], Position]


@dataclass(frozen=True)
class SearchConfig:
    """What every search over the tree shares (PUCT's :class:`MCTSConfig` and Gumbel's
    :class:`rocks.search.gumbel.GumbelConfig` add their own fields).

    Attributes:
        num_simulations: new simulations per search (a leaf evaluation or a terminal visit).
        virtual_loss: losses added to a path while its leaf awaits evaluation.
        leaves_per_batch: leaves one tree hands to ``evaluate`` per call.
        reuse_tree: keep the subtree of the moves played between searches.
    """

    num_simulations: int = 800
    virtual_loss: int = 1
    leaves_per_batch: int = 16
    reuse_tree: bool = True

    def __post_init__(self) -> None:
        if self.num_simulations < 1:
            raise ValueError("num_simulations must be at least 1")
        if self.leaves_per_batch < 1 or self.virtual_loss < 0:
            raise ValueError("leaves_per_batch must be >= 1 and virtual_loss >= 0")


@dataclass(frozen=True)
class MCTSConfig(SearchConfig):
    """PUCT search settings (AlphaGo Zero notation), beside those of :class:`SearchConfig`.

    Attributes:
        c_puct: exploration constant in U(s, a).
        fpu_reduction: first-play-urgency reduction below the root (departure 1).
        fpu_reduction_root: the same at the root (smaller: noise already explores there).
        dirichlet_epsilon: weight ε of Dirichlet noise in the root priors; 0 disables noise.
        dirichlet_alpha_scale: α times the number of legal moves (departure 5).
        forced_playouts_k: k of KataGo's forced playouts and policy target pruning at the root
            (departure 8; the paper uses 2); 0 turns both off.
    """

    c_puct: float = 1.5
    fpu_reduction: float = 0.25
    fpu_reduction_root: float = 0.1
    dirichlet_epsilon: float = 0.0
    dirichlet_alpha_scale: float = 0.03 * 361
    forced_playouts_k: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.dirichlet_epsilon <= 1.0:
            raise ValueError("dirichlet_epsilon must lie in [0, 1]")
        if self.forced_playouts_k < 0:
            raise ValueError("forced_playouts_k must be >= 0")


def terminal_value(position: Position) -> float:
    """+1/-1/0: the Tromp-Taylor result of a finished game for its player to move."""
    return float(np.sign(position.score() * position.to_play))


@dataclass
class _Pending:
    path: np.ndarray
    length: int
    node: int
    position: Position


class MCTS:
    """One game's search tree, kept between moves; ``run`` searches, ``advance`` plays.

    The gather/apply pair is the batched interface :mod:`rocks.search.batch` uses to pool the
    leaves of many games into one ``evaluate`` call.
    """

    def __init__(self, root: Position, cfg: SearchConfig = MCTSConfig(),
                 rng: np.random.Generator | None = None, play: Play | None = None) -> None:
        """``play(position, move)`` makes child positions (default: the fast
        :class:`~rocks.go.fast.child.Stepper`; ``Position.play`` gives the same results)."""
        self.cfg = cfg
        self.rng = rng if rng is not None else np.random.default_rng()
        self.play = play if play is not None else Stepper(root.size)
        self.tree = T.Tree()
        self._path = np.zeros(1024, np.int32)
        self.reset(root)

    # ---------------------------------------------------------------- root management
    def reset(self, root: Position) -> None:
        self.tree.new_root()
        self._scratch = np.zeros(root.size * root.size + 1, np.float64)  # one node's edges
        self.positions: list[Position | None] = [root]
        self.root_prior: np.ndarray | None = None
        self.root_ownership: np.ndarray | None = None
        self._root_in_flight = False
        self._noised = False
        self.simulations = 0
        self.target = self.cfg.num_simulations
        if root.is_game_over():  # nothing to search: every simulation returns the result
            self.tree.set_terminal(0, terminal_value(root))

    @property
    def root(self) -> Position:
        root = self.positions[0]
        assert root is not None
        return root

    def advance(self, move: int) -> None:
        """Play ``move`` at the root; keep its subtree when ``cfg.reuse_tree``."""
        child = self.tree.child(0, move)
        if not self.cfg.reuse_tree or child < 0 or not self.tree.is_expanded(child):
            self.reset(self.play(self.root, move))
            return
        order = self.tree.compact(child)
        self.positions = [self.positions[i] for i in order]
        self.root_prior = None
        self.root_ownership = None
        self._noised = False
        self.simulations = 0
        self._prepare_root()

    def set_root(self, position: Position) -> None:
        """Search from ``position`` next, reusing the tree when it follows from the current root.

        ``position`` may be the root itself or a position reached from it by the moves played
        since (e.g. our move and the opponent's reply); anything else starts a fresh tree.
        """
        root = self.root
        n = len(root.moves)
        follows = (position.size == root.size and position.komi == root.komi
                   and position.rules == root.rules and len(position.moves) >= n
                   and position.moves[:n] == root.moves)
        if follows and self._same_start(root, position):
            for _, move in position.moves[n:]:
                self.advance(move)
            if self.root.hash == position.hash and self.root.to_play == position.to_play:
                self.positions[0] = position  # the caller's object: same game, its history
                return
        self.reset(position)

    @staticmethod
    def _same_start(a: Position, b: Position) -> bool:
        while a.previous is not None:
            a = a.previous
        while b.previous is not None:
            b = b.previous
        return a.hash == b.hash and a.to_play == b.to_play

    def _exact_root_priors(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact legality at the root and a clean copy of its priors (``root_prior``); returns
        the root edges' priors (-1 where illegal) and their legal mask."""
        tree, root = self.tree, self.root
        sl = tree.edges(0)
        moves = tree.edge_move[sl]
        legal = FastBoard.from_position(root).legal_mask()[moves]  # = root.legal_moves(), 10x
        p = tree.edge_prior[sl]
        p = np.where(legal & (p >= 0), np.maximum(p, 0.0), -1.0).astype(np.float32)
        ok = p >= 0
        total = p[ok].sum()
        p[ok] = p[ok] / total if total > 0 else 1.0 / ok.sum()
        self.root_prior = np.zeros(root.size * root.size + 1, np.float32)
        self.root_prior[moves[ok]] = p[ok]
        tree.edge_prior[sl] = p
        return p, ok

    def _prepare_root(self) -> None:
        """Exact root priors, then Dirichlet noise (once per search root)."""
        p, ok = self._exact_root_priors()
        assert isinstance(self.cfg, MCTSConfig)
        eps = self.cfg.dirichlet_epsilon
        if eps > 0 and not self._noised:
            alpha = self.cfg.dirichlet_alpha_scale / ok.sum()
            noise = self.rng.dirichlet(np.full(int(ok.sum()), alpha))
            p[ok] = (1 - eps) * p[ok] + eps * noise
            self._noised = True
            self.tree.edge_prior[self.tree.edges(0)] = p

    # ---------------------------------------------------------------- one batch
    def gather(self, max_leaves: int) -> list[_Pending]:
        """Select up to ``max_leaves`` leaves to evaluate (terminal visits back up at once)."""
        tree, cfg = self.tree, self.cfg
        out: list[_Pending] = []
        if not tree.is_expanded(0) and not tree.info[0, T.TERMINAL]:
            if not self._root_in_flight:
                self._root_in_flight = True
                tree.node_n[0] += cfg.virtual_loss
                tree.node_w[0] -= cfg.virtual_loss
                out.append(_Pending(np.zeros(1, np.int32), 1, 0, self.root))
            return out
        vl = cfg.virtual_loss
        path = self._path
        tries = 0
        while len(out) < max_leaves and tries < 4 * max_leaves:
            tries += 1
            length, status = T.select_path(
                0, tree.info, tree.node_n, tree.node_w, tree.node_value, tree.edge_move,
                tree.edge_child, tree.edge_prior, tree.n_nodes, self.rule,
                self._root_edge(len(out)), *self._rule_params(), vl, path, self._scratch)
            node = int(path[length - 1])
            if status == T.SELECT_LEAF:
                parent = int(path[length - 2])
                parent_pos = self.positions[parent]
                assert parent_pos is not None
                try:
                    pos = self.play(parent_pos, int(tree.info[node, T.MOVE]))
                except IllegalMove:
                    self.positions.append(None)
                    self._forbid(parent, node)
                    T.revert_path(path, length, tree.node_n, tree.node_w, vl)
                    continue
                self.positions.append(pos)
                if pos.is_game_over():
                    v = terminal_value(pos)
                    tree.set_terminal(node, v)
                    T.backup_path(path, length, v, tree.node_n, tree.node_w, vl)
                    self.simulations += 1
                    continue
                out.append(_Pending(path[:length].copy(), length, node, pos))
            elif status == T.SELECT_TERMINAL:
                v = float(tree.node_value[node])
                T.backup_path(path, length, v, tree.node_n, tree.node_w, vl)
                self.simulations += 1
            elif status == T.SELECT_COLLISION:
                T.revert_path(path, length, tree.node_n, tree.node_w, vl)
                break
            else:  # SELECT_FULL
                T.revert_path(path, length, tree.node_n, tree.node_w, vl)
                if length + 2 >= len(path):
                    self._path = path = np.zeros(2 * len(path), np.int32)
                else:
                    tree.grow_nodes()
            if self.simulations + len(out) >= self.target:
                break
        return out

    def _forbid(self, parent: int, node: int) -> None:
        sl = self.tree.edges(parent)
        hit = np.flatnonzero(self.tree.edge_child[sl] == node)
        e = sl.start + int(hit[0])
        self.tree.edge_prior[e] = -1.0
        self.tree.edge_child[e] = -1

    def abandon(self, pending: Sequence[_Pending]) -> None:
        """Forget leaves whose evaluation will not come (the network raised): their virtual
        loss goes and their nodes are unlinked, so the tree is as if they were never chosen."""
        tree, vl = self.tree, self.cfg.virtual_loss
        for leaf in pending:
            T.revert_path(leaf.path, leaf.length, tree.node_n, tree.node_w, vl)
            if leaf.node == 0:
                self._root_in_flight = False
                continue
            parent = int(leaf.path[leaf.length - 2])
            sl = tree.edges(parent)
            hit = np.flatnonzero(tree.edge_child[sl] == leaf.node)
            tree.edge_child[sl.start + int(hit[0])] = -1
            self.positions[leaf.node] = None

    def evaluate_and_apply(self, pending: Sequence[_Pending], evaluate: EvaluateFn) -> None:
        """One network call for ``pending``; on any exception the leaves are abandoned."""
        try:
            ev = as_evaluation(evaluate([p.position for p in pending]), len(pending))
        except BaseException:
            self.abandon(pending)
            raise
        self.apply(pending, ev)

    def apply(self, pending: Sequence[_Pending], ev: Evaluation, offset: int = 0) -> None:
        """Expand and back up ``pending`` with rows ``offset...`` of ``ev``."""
        tree, vl = self.tree, self.cfg.virtual_loss
        priors, values = ev.priors, ev.values
        for i, leaf in enumerate(pending):
            pos = leaf.position
            v = min(1.0, max(-1.0, float(values[offset + i])))
            tree.expand_position(leaf.node, pos.board, pos.ko, priors[offset + i], v)
            T.backup_path(leaf.path, leaf.length, v, tree.node_n, tree.node_w, vl)
            self.simulations += 1
            if leaf.node == 0:
                self._root_in_flight = False
                if ev.ownership is not None:
                    self.root_ownership = np.asarray(ev.ownership[offset + i], np.float32)
                self._prepare_root()

    # ---------------------------------------------------------------- whole searches
    def begin(self, num_simulations: int | None = None) -> None:
        """Start a search of ``num_simulations`` new simulations (default: the config's)."""
        self.simulations = 0
        self.target = self.cfg.num_simulations if num_simulations is None else num_simulations
        if self.tree.is_expanded(0) and self.root_prior is None:
            self._prepare_root()

    def done(self) -> bool:
        return self.simulations >= self.target

    def run(self, evaluate: EvaluateFn, num_simulations: int | None = None,
            time_budget_s: float | None = None) -> SearchResult:
        """Search from the current root until the simulations or the time budget are spent."""
        self.begin(num_simulations)
        deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
        while not self.done():
            room = self.target - self.simulations
            pending = self.gather(min(self.cfg.leaves_per_batch, room))
            if pending:
                self.evaluate_and_apply(pending, evaluate)
            if deadline is not None and time.perf_counter() >= deadline and \
                    self.tree.is_expanded(0):
                break
        return self.result()

    # ---------------------------------------------------------------- results
    def result(self) -> SearchResult:
        tree, root = self.tree, self.root
        n_moves = root.size * root.size + 1
        visits = np.zeros(n_moves, np.int32)
        q = np.zeros(n_moves, np.float32)
        sl = tree.edges(0)
        moves = tree.edge_move[sl]
        children = tree.edge_child[sl]
        has = children >= 0
        cn = tree.node_n[children[has]]
        visits[moves[has]] = cn
        seen = cn > 0
        q[moves[has][seen]] = tree.node_w[children[has][seen]] / cn[seen]
        prior = self.root_prior if self.root_prior is not None else np.zeros(n_moves, np.float32)
        root_n = int(tree.node_n[0])
        root_value = float(-tree.node_w[0] / root_n) if root_n > 0 else 0.0
        move = self._choose(visits, q, prior)
        order = np.argsort(-visits, kind="stable")
        candidates = tuple(
            Candidate(move=int(m), visits=int(visits[m]), prior=float(prior[m]), q=float(q[m]),
                      pv=self.pv(int(m)))
            for m in order[:10] if visits[m] > 0)
        return SearchResult(visits, q, prior.copy(), move, root_value, self.pv(),
                            self.simulations, candidates, self.root_ownership,
                            self._policy_target(visits, q, prior))

    # ---------------------------------------------------------------- hooks (Gumbel overrides)
    rule = T.RULE_PUCT

    def _rule_params(self) -> tuple[float, float, float, float, float, float]:
        """(c_puct, fpu_reduction, fpu_reduction_root, c_visit, c_scale, forced_k) for the
        kernel."""
        cfg = self.cfg
        assert isinstance(cfg, MCTSConfig), "the PUCT search needs an MCTSConfig"
        return (cfg.c_puct, cfg.fpu_reduction, cfg.fpu_reduction_root, 0.0, 0.0,
                cfg.forced_playouts_k)

    def _root_edge(self, in_flight: int) -> int:
        """The root edge the next simulation must take (-1: the selection rule decides)."""
        return -1

    def _choose(self, visits: np.ndarray, q: np.ndarray, prior: np.ndarray) -> int:
        """The search's own move: the most visited (the prior's favourite before any visit)."""
        if visits.sum() == 0:
            return int(np.argmax(prior)) if prior.any() else self.root.pass_move
        return int(np.argmax(visits))

    def _policy_target(self, visits: np.ndarray, q: np.ndarray,
                       prior: np.ndarray) -> np.ndarray | None:
        """None (the visit distribution), or with forced playouts the pruned one (departure 8),
        computed with the priors the search used (after noise), not ``prior``."""
        cfg = self.cfg
        if not isinstance(cfg, MCTSConfig) or cfg.forced_playouts_k <= 0 or visits.sum() <= 0:
            return None
        return pruned_policy_target(visits, q, self.search_prior(), cfg.c_puct,
                                    cfg.forced_playouts_k)

    def search_prior(self) -> np.ndarray:
        """float32 [N+1]: the root priors as the selection sees them (after Dirichlet noise;
        0 where illegal or before the root is expanded)."""
        out = np.zeros(self.root.size * self.root.size + 1, np.float32)
        if self.tree.is_expanded(0):
            sl = self.tree.edges(0)
            out[self.tree.edge_move[sl]] = np.maximum(self.tree.edge_prior[sl], 0.0)
        return out

    def pv(self, first: int | None = None, max_len: int = 30) -> tuple[int, ...]:
        """Most-visited line from the root (starting with ``first`` if given)."""
        tree = self.tree
        node = 0
        line: list[int] = []
        while len(line) < max_len and tree.is_expanded(node):
            sl = tree.edges(node)
            children = tree.edge_child[sl]
            if first is not None and not line:
                hit = np.flatnonzero(tree.edge_move[sl] == first)
                if not len(hit):
                    return (first,)
                k = int(hit[0])
            else:
                n = np.where(children >= 0, tree.node_n[np.maximum(children, 0)], 0)
                k = int(np.argmax(n))
                if n[k] <= 0:
                    break
            line.append(int(tree.edge_move[sl][k]))
            node = int(children[k])
            if node < 0:
                break
        return tuple(line)


def run_mcts(root: Position, evaluate: EvaluateFn, cfg: MCTSConfig = MCTSConfig(),
             rng: np.random.Generator | None = None, time_budget_s: float | None = None,
             play: Play | None = None) -> SearchResult:
    """One search from ``root`` with a fresh tree (see :class:`MCTS` to keep the tree)."""
    return MCTS(root, cfg, rng, play).run(evaluate, time_budget_s=time_budget_s)

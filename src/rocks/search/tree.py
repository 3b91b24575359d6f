"""The search tree of MCTS in flat arrays, with the hot loops (select, backup) compiled by numba.

Follows the tree statistics of AlphaGo Zero (Silver et al., Nature 2017): each edge (s, a) keeps
N(s, a), W(s, a), Q(s, a) = W / N and a prior P(s, a); selection maximises
Q(s, a) + U(s, a) with U = c_puct P(s, a) sqrt(Σ_b N(s, b)) / (1 + N(s, a)).

Departures (why: speed in Python, and what later engines learnt):
  1. Statistics live on the child *node* (N, W from the point of view of the player who moved
     into it), so an edge is only (move, prior, child); edge (s, a) has N = node_N[child].
  2. Unvisited children get a first-play-urgency value Q_fpu = Q(s) - r sqrt(Σ P of visited
     children) as in Leela Zero and KataGo, instead of AlphaGo Zero's Q = 0.
  3. When Σ_b N(s, b) = 0 the square root is taken of 1, so the first visit follows the prior.
  4. Virtual loss (as in AlphaGo's asynchronous search) adds ``vl`` visits that each lost to
     every node on a selected path until its evaluation is backed up, so one tree can hand many
     leaves to the network at once.
  5. Nodes are created at selection (pending, ``count == -1``) and filled in when their
     evaluation arrives; a later selection that reaches a pending node is a collision.
  6. Optional forced playouts at the root (KataGo, Wu arXiv 1902.10565 section 3.2;
     :mod:`rocks.search.forced`): a visited child below its n_forced = sqrt(k P ΣN) visits
     is selected first; ``forced_k`` = 0 (the default of every caller) leaves PUCT unchanged.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# node_info columns
FIRST, COUNT, PARENT, MOVE, TERMINAL = range(5)

SELECT_LEAF = 0  # a new node was created at the end of the path: evaluate it
SELECT_TERMINAL = 1  # the path ends at a known terminal node: back up its value
SELECT_COLLISION = 2  # the path reached a node already waiting for its evaluation
SELECT_FULL = 3  # no room for a new node: grow the arrays and select again


@njit(cache=True)
def puct_edge(node, depth, info, node_n, node_w, edge_child, edge_prior, c_puct,
              fpu_reduction, fpu_root, vl, forced_k):
    """The edge of ``node`` maximising Q + c_puct P sqrt(Σ N) / (1 + N) (with FPU), or -1.

    At the root (depth 0) with ``forced_k`` > 0, a child with 0 < N < sqrt(forced_k P ΣN) is
    taken before any other (KataGo's forced playouts, departure 6; the best PUCT among such)."""
    count = info[node, COUNT]
    first = info[node, FIRST]
    sum_n = 0
    visited_p = 0.0
    for e in range(first, first + count):
        c = edge_child[e]
        if c >= 0 and edge_prior[e] >= 0.0 and node_n[c] > 0:
            sum_n += node_n[c]
            visited_p += edge_prior[e]
    own_n = node_n[node] - vl
    q_parent = 0.0
    if own_n > 0:
        q_parent = -(node_w[node] + vl) / own_n
    red = fpu_root if depth == 0 else fpu_reduction
    q_fpu = q_parent - red * np.sqrt(visited_p)
    sqrt_sum = np.sqrt(max(sum_n, 1))
    force = depth == 0 and forced_k > 0.0
    best = -1
    best_score = -np.inf
    best_forced = False
    for e in range(first, first + count):
        p = edge_prior[e]
        if p < 0.0:
            continue  # found illegal when first tried
        c = edge_child[e]
        n = 0
        q = q_fpu
        if c >= 0 and node_n[c] > 0:
            n = node_n[c]
            q = node_w[c] / n
        score = q + c_puct * p * sqrt_sum / (1.0 + n)
        forced = force and n > 0 and float(n) * n < forced_k * p * sum_n
        if forced and not best_forced:
            best_forced = True
            best_score = score
            best = e
        elif forced == best_forced and score > best_score:
            best_score = score
            best = e
    return best


@njit(cache=True)
def completed_q_logits(node, info, node_n, node_w, node_value, edge_child, edge_prior,
                       c_visit, c_scale, out):
    """Gumbel AlphaZero's improved logits log P(a) + σ(completed Q(a)) for every edge of
    ``node`` (``out[k]`` for edge first + k; -inf where illegal); returns Σ N.

    Completed Q: Q(a) where visited, else v_mix = (v + ΣN / Σ_{visited} P · Σ_{visited} P Q)
    / (1 + ΣN); rescaled to [0, 1] over the node's moves (mctx); σ = (c_visit + max N) c_scale.
    """
    count = info[node, COUNT]
    first = info[node, FIRST]
    sum_n = 0
    max_n = 0
    sum_p = 0.0
    sum_pq = 0.0
    for e in range(first, first + count):
        c = edge_child[e]
        if c >= 0 and edge_prior[e] >= 0.0 and node_n[c] > 0:
            n = node_n[c]
            sum_n += n
            max_n = max(max_n, n)
            sum_p += edge_prior[e]
            sum_pq += edge_prior[e] * node_w[c] / n
    v_mix = node_value[node]
    if sum_p > 0.0:
        v_mix = (node_value[node] + sum_n / sum_p * sum_pq) / (1.0 + sum_n)
    lo = np.inf
    hi = -np.inf
    for k in range(count):
        e = first + k
        q = v_mix
        c = edge_child[e]
        if c >= 0 and node_n[c] > 0:
            q = node_w[c] / node_n[c]
        out[k] = q
        if edge_prior[e] >= 0.0:
            lo = min(lo, q)
            hi = max(hi, q)
    scale = (c_visit + max_n) * c_scale / max(hi - lo, 1e-8)
    for k in range(count):
        p = edge_prior[first + k]
        if p < 0.0:
            out[k] = -np.inf
        else:
            out[k] = np.log(max(p, 1e-30)) + (out[k] - lo) * scale
    return sum_n


@njit(cache=True)
def gumbel_edge(node, info, node_n, node_w, node_value, edge_child, edge_prior, c_visit,
                c_scale, scratch):
    """Gumbel AlphaZero's deterministic non-root selection: argmax_a π'(a) - N(a) / (1 + ΣN)
    with π' = softmax(improved logits); -1 when no move is legal."""
    count = info[node, COUNT]
    first = info[node, FIRST]
    sum_n = completed_q_logits(node, info, node_n, node_w, node_value, edge_child, edge_prior,
                               c_visit, c_scale, scratch)
    top = -np.inf
    for k in range(count):
        top = max(top, scratch[k])
    if top == -np.inf:
        return -1
    z = 0.0
    for k in range(count):
        z += np.exp(scratch[k] - top)
    best = -1
    best_score = -np.inf
    for k in range(count):
        if scratch[k] == -np.inf:
            continue
        c = edge_child[first + k]
        n = node_n[c] if c >= 0 else 0
        score = np.exp(scratch[k] - top) / z - n / (1.0 + sum_n)
        if score > best_score:
            best_score = score
            best = first + k
    return best


RULE_PUCT = 0
RULE_GUMBEL = 1


@njit(cache=True)
def select_path(root, info, node_n, node_w, node_value, edge_move, edge_child, edge_prior,
                n_nodes, rule, root_edge, c_puct, fpu_reduction, fpu_root, c_visit, c_scale,
                forced_k, vl, path, scratch):
    """Walk from ``root``, adding virtual loss; returns (path length, status).

    Below the root each node's edge is chosen by ``rule`` (RULE_PUCT: PUCT with FPU;
    RULE_GUMBEL: Gumbel AlphaZero's deterministic selection); at the root ``root_edge`` is taken
    when it is >= 0 (Gumbel's sequential halving decides it), else the rule (RULE_PUCT with
    ``forced_k`` > 0: forced playouts at the root, :func:`puct_edge`).  ``path`` receives
    the node indices from the root to the last node; ``n_nodes`` is a one-element counter of
    used node slots; ``scratch`` is float64 room for one node's edges.  On SELECT_COLLISION and
    SELECT_FULL the virtual loss already added is still there: the caller removes it with
    :func:`revert_path`.
    """
    node = root
    depth = 0
    path[0] = node
    node_n[node] += vl
    node_w[node] -= vl
    while True:
        if info[node, TERMINAL] != 0:
            return depth + 1, SELECT_TERMINAL
        count = info[node, COUNT]
        if count < 0:
            return depth + 1, SELECT_COLLISION
        if depth == 0 and root_edge >= 0:
            best = root_edge
        elif rule == RULE_GUMBEL:
            best = gumbel_edge(node, info, node_n, node_w, node_value, edge_child, edge_prior,
                               c_visit, c_scale, scratch)
        else:
            best = puct_edge(node, depth, info, node_n, node_w, edge_child, edge_prior, c_puct,
                             fpu_reduction, fpu_root, vl, forced_k)
        child = edge_child[best]
        if depth + 2 >= path.shape[0]:
            return depth + 1, SELECT_FULL
        if child < 0:
            idx = n_nodes[0]
            if idx >= info.shape[0]:
                return depth + 1, SELECT_FULL
            n_nodes[0] = idx + 1
            info[idx, FIRST] = 0
            info[idx, COUNT] = -1
            info[idx, PARENT] = node
            info[idx, MOVE] = edge_move[best]
            info[idx, TERMINAL] = 0
            node_n[idx] = vl
            node_w[idx] = -vl
            edge_child[best] = idx
            path[depth + 1] = idx
            return depth + 2, SELECT_LEAF
        node = child
        depth += 1
        path[depth] = node
        node_n[node] += vl
        node_w[node] -= vl


@njit(cache=True)
def backup_path(path, length, value, node_n, node_w, vl):
    """Replace the virtual loss on ``path`` by one real visit worth ``value``.

    ``value`` is from the point of view of the player to move at the last node; each node's W
    is from the point of view of the player who moved into it, hence the alternating sign.
    """
    v = -value
    for i in range(length - 1, -1, -1):
        n = path[i]
        node_n[n] += 1 - vl
        node_w[n] += v + vl
        v = -v


@njit(cache=True)
def expand_node(node, board, ko, priors, value, info, node_value, edge_move, edge_prior,
                edge_child, n_edges):
    """Give a pending node one edge per empty point except ``ko``, plus pass, with ``priors``
    masked to them and renormalised (uniform if they hold no mass); returns the new edge count,
    or -1 when the edge arrays have no room."""
    n = board.shape[0]
    first = n_edges
    if first + n + 1 > edge_move.shape[0]:
        return -1
    total = 0.0
    k = 0
    for p in range(n + 1):
        if p < n and (board[p] != 0 or p == ko):
            continue
        pr = max(priors[p], 0.0)
        edge_move[first + k] = p
        edge_prior[first + k] = pr
        edge_child[first + k] = -1
        total += pr
        k += 1
    for e in range(first, first + k):
        edge_prior[e] = edge_prior[e] / total if total > 0 else 1.0 / k
    info[node, FIRST] = first
    info[node, COUNT] = k
    node_value[node] = value
    return first + k


@njit(cache=True)
def revert_path(path, length, node_n, node_w, vl):
    for i in range(length):
        n = path[i]
        node_n[n] -= vl
        node_w[n] += vl


@njit(cache=True)
def subtree_order(root, info, edge_child, n_nodes):
    """Old indices of the nodes under ``root`` (root first, parents before children)."""
    order = np.empty(n_nodes, np.int32)
    order[0] = root
    size = 1
    i = 0
    while i < size:
        node = order[i]
        i += 1
        count = info[node, COUNT]
        first = info[node, FIRST]
        for e in range(first, first + max(count, 0)):
            c = edge_child[e]
            if c >= 0:
                order[size] = c
                size += 1
    return order[:size]


class Tree:
    """Flat, growable arrays for nodes and edges (see the module docstring).

    Nodes: ``info`` int32 [nodes, 5] (first edge, edge count or -1 while pending, parent, move
    into it, terminal flag), ``node_n`` int32 visits, ``node_w`` float64 summed values from the
    point of view of the player who moved into the node, ``node_value`` float32 the evaluation
    of the node itself for its player to move.  Edges: ``edge_move`` int32, ``edge_child``
    int32 (-1: no node yet), ``edge_prior`` float32 (-1: found illegal).
    """

    def __init__(self, node_capacity: int = 1024, edge_capacity: int = 16384) -> None:
        self.info = np.zeros((node_capacity, 5), np.int32)
        self.node_n = np.zeros(node_capacity, np.int32)
        self.node_w = np.zeros(node_capacity, np.float64)
        self.node_value = np.zeros(node_capacity, np.float32)
        self.edge_move = np.zeros(edge_capacity, np.int32)
        self.edge_child = np.full(edge_capacity, -1, np.int32)
        self.edge_prior = np.zeros(edge_capacity, np.float32)
        self.n_nodes = np.zeros(1, np.int64)
        self.n_edges = 0

    # ---------------------------------------------------------------- growth
    def grow_nodes(self) -> None:
        cap = self.info.shape[0] * 2
        self.info = _resized(self.info, cap, 0)
        self.node_n = _resized(self.node_n, cap, 0)
        self.node_w = _resized(self.node_w, cap, 0)
        self.node_value = _resized(self.node_value, cap, 0)

    def _reserve_edges(self, k: int) -> None:
        cap = self.edge_move.shape[0]
        if self.n_edges + k <= cap:
            return
        while cap < self.n_edges + k:
            cap *= 2
        self.edge_move = _resized(self.edge_move, cap, 0)
        self.edge_child = _resized(self.edge_child, cap, -1)
        self.edge_prior = _resized(self.edge_prior, cap, 0)

    # ---------------------------------------------------------------- nodes
    def new_root(self) -> int:
        """Forget everything and make one pending root node; returns its index (0)."""
        self.n_nodes[0] = 1
        self.n_edges = 0
        self.info[0] = (0, -1, -1, -1, 0)
        self.node_n[0] = 0
        self.node_w[0] = 0.0
        return 0

    def expand(self, node: int, moves: np.ndarray, priors: np.ndarray, value: float) -> None:
        """Give a pending node its edges (``moves`` with normalised ``priors``) and value."""
        k = len(moves)
        self._reserve_edges(k)
        a = self.n_edges
        self.edge_move[a:a + k] = moves
        self.edge_prior[a:a + k] = priors
        self.edge_child[a:a + k] = -1
        self.n_edges = a + k
        self.info[node, FIRST] = a
        self.info[node, COUNT] = k
        self.node_value[node] = value

    def expand_position(self, node: int, board: np.ndarray, ko: int | None,
                        priors: np.ndarray, value: float) -> None:
        """:func:`expand_node` with growth: edges for the empty points of ``board`` and pass."""
        if priors.shape != (board.shape[0] + 1,):
            raise ValueError(f"priors of shape {priors.shape} for a board of {board.shape[0]} "
                             f"points (want {board.shape[0] + 1}: every point, then pass)")
        while True:
            end = expand_node(node, board, -1 if ko is None else ko, priors, value, self.info,
                              self.node_value, self.edge_move, self.edge_prior, self.edge_child,
                              self.n_edges)
            if end >= 0:
                self.n_edges = end
                return
            self._reserve_edges(board.shape[0] + 1)

    def set_terminal(self, node: int, value: float) -> None:
        self.info[node, TERMINAL] = 1
        self.node_value[node] = value

    def edges(self, node: int) -> slice:
        first, count = int(self.info[node, FIRST]), int(self.info[node, COUNT])
        return slice(first, first + max(count, 0))

    def child(self, node: int, move: int) -> int:
        """The child node reached by ``move``, or -1."""
        sl = self.edges(node)
        hit = np.flatnonzero(self.edge_move[sl] == move)
        return int(self.edge_child[sl][hit[0]]) if len(hit) else -1

    def is_expanded(self, node: int) -> bool:
        return bool(self.info[node, COUNT] >= 0)

    def compact(self, root: int) -> np.ndarray:
        """Keep only the subtree under ``root``, renumbered with the root at 0.

        Returns the old node index of every kept node (new index = position in the array), so
        that the caller can carry its per-node data along.
        """
        order = subtree_order(root, self.info, self.edge_child, int(self.n_nodes[0]))
        new_of_old = np.full(int(self.n_nodes[0]), -1, np.int32)
        new_of_old[order] = np.arange(len(order), dtype=np.int32)
        info = self.info[order].copy()
        counts = np.maximum(info[:, COUNT], 0)
        firsts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        total = int(counts.sum())
        old_edges = (np.repeat(info[:, FIRST], counts)
                     + np.arange(total) - np.repeat(firsts, counts)).astype(np.int64)
        edge_move = self.edge_move[old_edges]
        edge_prior = self.edge_prior[old_edges]
        edge_child = self.edge_child[old_edges]
        has = edge_child >= 0
        edge_child[has] = new_of_old[edge_child[has]]
        info[:, FIRST] = firsts
        info[0, PARENT] = -1
        nonroot = info[1:, PARENT]
        info[1:, PARENT] = new_of_old[nonroot]
        n = len(order)
        self.node_n[:n] = self.node_n[order]
        self.node_w[:n] = self.node_w[order]
        self.node_value[:n] = self.node_value[order]
        self.info[:n] = info
        self.n_nodes[0] = n
        self.n_edges = 0
        self._reserve_edges(total)
        self.edge_move[:total] = edge_move
        self.edge_prior[:total] = edge_prior
        self.edge_child[:total] = edge_child
        self.n_edges = total
        return order


def _resized(a: np.ndarray, rows: int, fill: float) -> np.ndarray:
    out = np.full((rows,) + a.shape[1:], fill, a.dtype)
    out[: a.shape[0]] = a
    return out

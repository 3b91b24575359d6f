"""KataGo's forced playouts and policy target pruning, at the root of a PUCT search.

Follows Wu, "Accelerating Self-Play Learning in Go" (arXiv 1902.10565, section 3.2):

* Forced playouts: at the root, a child c that has received any playouts but fewer than
  n_forced(c) = (k P(c) Σ_b N(b))^(1/2) is selected before any other (its PUCT value is treated
  as +inf), with P the root priors after Dirichlet noise and k = 2 in the paper.  The search
  kernel does this (:func:`rocks.search.tree.puct_edge`, ``forced_k``).
* Policy target pruning: let c* be the most visited child.  From every other child c, subtract
  up to n_forced(c) visits as long as PUCT(c) with the reduced count does not exceed PUCT(c*)
  with c*'s actual count, where PUCT(a) = Q(a) + c_puct P(a) sqrt(Σ_b N(b)) / (1 + N(a)) and
  Σ_b N(b) is the actual total.  Children left with at most one visit are removed; the rest,
  normalised, are the policy target (:func:`pruned_policy_target`).

So the visits that only exploration (noise, forcing) gave a child leave the target, while a
child that earned its visits through its Q keeps them: the network is not trained to reproduce
the exploration.

Departures, numbered:
  1. Counts are real numbers, as KataGo's weights are: n_forced is not rounded, and the smallest
     count that keeps PUCT(c) <= PUCT(c*) comes in closed form,
     N'(c) = c_puct P(c) sqrt(ΣN) / (PUCT(c*) - Q(c)) - 1 (no reduction when Q(c) >= PUCT(c*)).
  2. Q is the child's mean value W / N from the root player's view, as the search uses it for
     visited children (first-play urgency only concerns unvisited ones, which the target leaves
     out anyway).
  3. Visits in flight (virtual loss) count as playouts for the forcing rule, as they count in
     every other part of the batched search's selection.
"""

from __future__ import annotations

import numpy as np

__all__ = ["forced_playouts", "pruned_policy_target"]


def forced_playouts(prior: np.ndarray, total_visits: float, k: float) -> np.ndarray:
    """n_forced(c) = sqrt(k P(c) Σ_b N(b)) for every child (0 where P <= 0)."""
    p = np.maximum(np.asarray(prior, np.float64), 0.0)
    return np.sqrt(k * p * max(float(total_visits), 0.0))


def pruned_policy_target(visits: np.ndarray, q: np.ndarray, prior: np.ndarray,
                         c_puct: float, k: float) -> np.ndarray:
    """The pruned visit distribution over the root's children (float32, like ``visits``).

    Args:
        visits: N(a) per move (the root's children; 0 for moves never visited).
        q: Q(a) per move from the root player's view (ignored where N = 0).
        prior: P(a) per move as the search used it (after root noise).
        c_puct: the search's exploration constant.
        k: the forced-playout constant; k <= 0 gives the plain distribution N / ΣN.

    Raises:
        ValueError: when no move has a visit (there is no distribution to prune).
    """
    n = np.asarray(visits, np.float64)
    total = float(n.sum())
    if total <= 0:
        raise ValueError("no visits: nothing to make a policy target from")
    if k <= 0:
        return (n / total).astype(np.float32)
    qv = np.asarray(q, np.float64)
    p = np.maximum(np.asarray(prior, np.float64), 0.0)
    best = int(np.argmax(n))
    u = c_puct * p * np.sqrt(total)  # PUCT(a) = Q(a) + u(a) / (1 + N(a))
    puct_best = qv[best] + u[best] / (1.0 + n[best])
    gap = puct_best - qv
    with np.errstate(divide="ignore", invalid="ignore"):
        # Smallest N' with Q + u / (1 + N') <= PUCT(c*); none below N when Q >= PUCT(c*).
        floor = np.where(gap > 0, u / gap - 1.0, n)
    reduced = np.clip(np.maximum(n - forced_playouts(p, total, k), floor), 0.0, n)
    reduced[reduced <= 1.0] = 0.0
    reduced[best] = n[best]
    return (reduced / reduced.sum()).astype(np.float32)

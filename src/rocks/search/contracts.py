"""The contracts between a network, a search and its callers, each defined once.

Follows DeepMind's mctx (``_src/base.py``): the search is a function of an ``evaluate`` passed in
(mctx's ``recurrent_fn``), the network's answer is a frozen record (``Evaluation``), and what a
search found at its root is another (``SearchResult``), with every shape documented.  How a
move is chosen from a result (temperature, resignation) is not part of the search:
:mod:`rocks.search.policies` holds it, as mctx's ``policies.py`` does.

Departures: none; the names follow AlphaGo Zero's notation (N, Q, P, π).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rocks.go.board import Position


@dataclass(frozen=True)
class Evaluation:
    """What a network says about B positions of one board size (N = size * size).

    Attributes:
        priors: float32 [B, N+1], move probabilities with pass last (illegal moves are masked
            by the search, so they need not be zero).
        values: float32 [B] in [-1, 1], the expected result for the player to move.
        ownership: float32 [B, N] in [-1, 1] from the mover's side (+1 = the mover's), or None.
        score: float32 [B], the mover's expected lead in points, or None.
    """

    priors: np.ndarray
    values: np.ndarray
    ownership: np.ndarray | None = None
    score: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


#: ``evaluate(positions) -> Evaluation``; tests may return a (priors, values) tuple instead.
EvaluateFn = Callable[["Sequence[Position]"], "Evaluation | tuple[np.ndarray, np.ndarray]"]


def as_evaluation(out: object, batch: int) -> Evaluation:
    """An :class:`Evaluation` from what ``evaluate`` returned (an Evaluation, anything with
    ``priors``/``values`` attributes, or a (priors, values[, ownership]) tuple), with its shapes
    checked against ``batch``."""
    if isinstance(out, tuple):
        ev = Evaluation(*out)
    elif hasattr(out, "priors") and hasattr(out, "values"):
        ev = Evaluation(out.priors, out.values, getattr(out, "ownership", None),  # type: ignore[attr-defined]
                        getattr(out, "score", None))
    else:
        raise TypeError(f"evaluate returned {type(out).__name__}, not priors and values")
    priors = np.asarray(ev.priors, dtype=np.float32)
    values = np.asarray(ev.values, dtype=np.float32).reshape(-1)
    if priors.ndim != 2 or priors.shape[0] != batch or values.shape[0] != batch:
        raise ValueError(f"evaluate returned priors {priors.shape} and values {values.shape} "
                         f"for a batch of {batch}")
    return Evaluation(priors, values, ev.ownership, ev.score)


@dataclass(frozen=True)
class Candidate:
    """One move a search (or a player that does not search) considered.

    Attributes:
        move: flat index (pass = size*size).
        visits: N, the search's visit count (0 for a player that does not search).
        prior: P, the policy's prior probability.
        q: Q, mean value for the player to move, in [-1, 1] (0 when unknown).
        pv: the principal variation that starts with ``move``.
    """

    move: int
    visits: int = 0
    prior: float = 0.0
    q: float = 0.0
    pv: tuple[int, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """What one search found at its root (arrays over the N+1 moves, pass last).

    Attributes:
        visits: int32 [N+1] N(root, a) (visits kept from an earlier search included).
        q: float32 [N+1] Q(root, a) for the player to move at the root; 0 where unvisited.
        prior: float32 [N+1] network prior at the root, illegal moves 0, renormalised,
            without root noise.
        move: the search's own choice: the most visited move (PUCT) or the action that survived
            sequential halving (Gumbel); :mod:`rocks.search.policies` may choose another.
        root_value: mean value of the root for its player to move, in [-1, 1].
        pv: principal variation (most visited child at each step), starting with the best move.
        simulations: simulations run by this search (not counting reused ones).
        candidates: root moves with visits, most visited first.
        ownership: the network's ownership for the root position (+1: the root player's), if
            it gave one.
        policy_target: float32 [N+1], the search's improved policy when it defines one (Gumbel
            AlphaZero's completed-Q policy; PUCT with forced playouts: the pruned visit
            distribution, :mod:`rocks.search.forced`); None means "the visit distribution".
    """

    visits: np.ndarray
    q: np.ndarray
    prior: np.ndarray
    move: int
    root_value: float
    pv: tuple[int, ...]
    simulations: int
    candidates: tuple[Candidate, ...]
    ownership: np.ndarray | None = None
    policy_target: np.ndarray | None = None

    @property
    def best(self) -> int:
        """The most visited move (the search's move when nothing was visited)."""
        return int(np.argmax(self.visits)) if self.visits.sum() > 0 else self.move

    def policy(self, temperature: float = 1.0) -> np.ndarray:
        """π ∝ N^(1/τ) (τ -> 0: one-hot on the most visited move)."""
        return visit_policy(self.visits, temperature)

    def training_policy(self) -> np.ndarray:
        """The policy target of self-play: the improved policy if the search has one, else
        the visit distribution N / ΣN (AlphaGo Zero)."""
        if self.policy_target is not None:
            return self.policy_target.astype(np.float32)
        return self.visits.astype(np.float32) / max(1, int(self.visits.sum()))


def visit_policy(visits: np.ndarray, temperature: float) -> np.ndarray:
    """π ∝ N^(1/τ); τ <= 0.001 puts equal mass on the most visited moves."""
    n = visits.astype(np.float64)
    if n.sum() <= 0:
        raise ValueError("no visits to choose from")
    if temperature <= 1e-3:
        out = np.zeros_like(n)
        out[np.flatnonzero(n == n.max())] = 1.0
        return (out / out.sum()).astype(np.float32)
    n = n ** (1.0 / temperature)
    return (n / n.sum()).astype(np.float32)

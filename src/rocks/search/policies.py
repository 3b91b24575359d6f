"""How a move is chosen from a search result: temperature and resignation, outside the tree.

Follows AlphaGo Zero (Silver et al., Nature 2017): in self-play the move is sampled from
π ∝ N^(1/τ) with τ = 1 for the first moves of the game and played greedily after; a player
resigns when both the root value and the best move's value are below a threshold v_resign.
As in DeepMind's mctx (``policies.py``), these decisions live beside the search, not in it:
the same :class:`~rocks.search.contracts.SearchResult` serves a self-play game, a match and an
analysis, each with its own :class:`MovePolicy`.

Departures:
  1. A search that defines its own choice (Gumbel AlphaZero's sequential halving) keeps it
     when τ = 0: ``result.move``, not the most visited move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rocks.search.contracts import SearchResult, visit_policy


@dataclass(frozen=True)
class MovePolicy:
    """How to turn a search result into a move.

    Attributes:
        temperature: τ for the first ``temperature_moves`` moves of the game.
        temperature_moves: opening moves sampled with τ (AlphaGo Zero: 30 in self-play);
            afterwards the search's own move is played.
        resign_threshold: v_resign; -1 or less never resigns.
    """

    temperature: float = 1.0
    temperature_moves: int = 0
    resign_threshold: float = -1.0


def choose_move(result: SearchResult, move_number: int, policy: MovePolicy,
                rng: np.random.Generator, counts: np.ndarray | None = None) -> int:
    """The move to play: sampled from π ∝ N^(1/τ) in the opening, the search's move after.

    ``counts`` replaces the visits N as what the opening samples (self-play passes KataGo's
    pruned target, so forced visits do not make the played moves more random)."""
    n = result.visits if counts is None else counts
    if policy.temperature > 0 and move_number < policy.temperature_moves and n.sum() > 0:
        return int(rng.choice(len(n), p=visit_policy(n, policy.temperature)))
    return result.move


def resign_statistic(result: SearchResult) -> float:
    """max(root value, Q of the most visited move): what the resignation test compares."""
    if result.visits.sum() <= 0:
        return float(result.root_value)
    return max(float(result.root_value), float(result.q[result.best]))


def wants_resign(result: SearchResult, threshold: float) -> bool:
    """AlphaGo Zero's test: root value and best move's Q both below ``threshold``."""
    return threshold > -1.0 and result.visits.sum() > 0 and \
        resign_statistic(result) < threshold

"""KataGo's score utility: once a game is decided, the search also values points.

Follows Wu, "Accelerating Self-Play Learning in Go" (KataGo, 2019), section 4.1: the utility a
search maximises is the win/loss value plus a static score term (2/π) atan(s / scale) of the
predicted lead s, so that a bot far ahead keeps its margin (and does not play aimlessly) and one
far behind keeps fighting for points instead of throwing them away.  rocks adds it without
touching the search: the network's ``evaluate`` is wrapped, and the value it returns (what the
search backs up) becomes the mixed utility::

    evaluate = with_score_utility(evaluator, ScoreUtility(weight=0.2))

Departures, numbered:
  1. The score term is mixed in only as a game becomes decided: its weight grows linearly from 0
     at |v| = ``decided`` to ``weight`` at |v| = 1 (KataGo mixes it everywhere), so in a close
     game the search is the plain win/loss search and its play cannot be weakened by points.
  2. The mix is u = (1 - w) v + w (2/π) atan(s / scale), which stays in [-1, 1] as the search
     requires (KataGo adds the terms, utilities in [-1.x, 1.x]); the win rates reported from Q
     are then utilities, off by at most ``weight`` in a decided game.
  3. ``scale`` is KataGo's sqrt(board area) x 0.4 (its ``staticScoreUtilityFactor`` centre is
     the expected score, here 0): 3.6 points on 9x9, 7.6 on 19x19, when left None.
  4. A network without a score head (or a fake) is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rocks.go.board import Position
from rocks.search.contracts import EvaluateFn, Evaluation, as_evaluation


@dataclass(frozen=True)
class ScoreUtility:
    """How much the search values points.

    Attributes:
        weight: w, the score term's share of the utility in a decided game (0: none).
        decided: |v| from which the score term starts to count (departure 1).
        scale: points of lead at which the score term is (2/π) atan(1) = 0.5; None: departure 3.
    """

    weight: float = 0.2
    decided: float = 0.8
    scale: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"weight must lie in [0, 1], got {self.weight}")
        if not 0.0 <= self.decided < 1.0:
            raise ValueError(f"decided must lie in [0, 1), got {self.decided}")
        if self.scale is not None and not self.scale > 0:
            raise ValueError(f"scale must be positive, got {self.scale}")

    def scale_for(self, size: int) -> float:
        return self.scale if self.scale is not None else 0.4 * size

    def mix(self, values: np.ndarray, scores: np.ndarray, size: int) -> np.ndarray:
        """The utilities of win/loss ``values`` in [-1, 1] and score leads ``scores`` (points,
        the mover's) on a ``size`` board."""
        v = np.asarray(values, np.float64)
        s = np.asarray(scores, np.float64)
        gate = np.clip((np.abs(v) - self.decided) / (1.0 - self.decided), 0.0, 1.0)
        w = self.weight * gate
        term = (2.0 / np.pi) * np.arctan(s / self.scale_for(size))
        return np.clip((1.0 - w) * v + w * term, -1.0, 1.0).astype(np.float32)


def with_score_utility(evaluate: EvaluateFn, utility: ScoreUtility) -> EvaluateFn:
    """``evaluate`` whose values are ``utility``'s mix of value and score (thread-safe when
    ``evaluate`` is: it keeps no state)."""

    def mixed(positions: Sequence[Position]) -> Evaluation:
        ev = as_evaluation(evaluate(positions), len(positions))
        if ev.score is None or not positions or utility.weight == 0:
            return ev  # departure 4
        values = utility.mix(ev.values, np.asarray(ev.score).reshape(-1), positions[0].size)
        return Evaluation(ev.priors, values, ev.ownership, ev.score)

    return mixed

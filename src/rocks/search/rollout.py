"""Leaf evaluation by random rollouts, alone or mixed with a value network (AlphaGo 2016).

Follows Silver et al., "Mastering the game of Go with deep neural networks and tree search"
(Nature 2016): a leaf s_L is worth V(s_L) = (1 - λ) v_θ(s_L) + λ z_L, where v_θ is the value
network and z_L the result of a fast rollout played to the end from s_L; λ = 0.5 played best.
With no network at all (uniform priors, λ = 1) this is plain Monte-Carlo tree search as in
MoGo / Crazy Stone, so experiments can compare "rollouts only", "value net only" and "mixed"
with the same search (:mod:`rocks.search.mcts`): each option is just another ``evaluate``.

Departures:
  1. Rollouts are the light, uniformly random playouts of :mod:`rocks.go.playout` (no eye
     filling, simple ko only), not AlphaGo's learned linear rollout policy (24.2% accurate at
     2 µs); z is the sign of the Tromp-Taylor result, averaged over ``playouts`` rollouts.
  2. Priors for the rollout-only evaluator are uniform over all moves (the search masks the
     illegal ones), where AlphaGo's tree policy came from the SL policy network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rocks.go import fast
from rocks.go.board import Position, Rules
from rocks.go.playout import playout_scores
from rocks.search.contracts import EvaluateFn, Evaluation, as_evaluation


@dataclass(frozen=True)
class RolloutConfig:
    """Settings of rollout evaluation.

    Attributes:
        playouts: random playouts per leaf; z is the mean of their results (±1, 0 for jigo).
        lam: λ, the rollout's weight in V = (1 - λ) v + λ z (AlphaGo: 0.5).
        max_moves: playout length cap (default 3 N); a capped playout is scored where it stands.
        seed: seed of the first playout; each later call uses the next seeds.
    """

    playouts: int = 1
    lam: float = 0.5
    max_moves: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.playouts < 1:
            raise ValueError("playouts must be at least 1")
        if not 0.0 <= self.lam <= 1.0:
            raise ValueError("lam (λ) must lie in [0, 1]")


class Rollouts:
    """z for positions: the mean result of random playouts, for the player to move."""

    def __init__(self, cfg: RolloutConfig = RolloutConfig()) -> None:
        self.cfg = cfg
        self._seed = cfg.seed
        self._states: dict[tuple[int, float, Rules], fast.State] = {}

    def _state(self, pos: Position) -> fast.State:
        key = (pos.size, pos.komi, pos.rules)
        s = self._states.get(key)
        if s is None:
            s = self._states[key] = fast.new_state(pos.size, pos.komi, pos.rules, 1)
        n = pos.size * pos.size
        s.board[:n] = pos.board
        fast.rebuild_chains(s)
        s.meta[fast.TO_PLAY] = pos.to_play
        s.meta[fast.KO] = -1 if pos.ko is None else pos.ko
        s.meta[fast.PASSES] = pos.passes
        return s

    def __call__(self, positions: Sequence[Position]) -> np.ndarray:
        """float32 [B] in [-1, 1]: mean rollout result for each position's player to move."""
        out = np.empty(len(positions), np.float32)
        for i, pos in enumerate(positions):
            n = pos.size * pos.size
            cap = 3 * n if self.cfg.max_moves is None else self.cfg.max_moves
            scores = playout_scores(self._state(pos), self.cfg.playouts, self._seed, cap)
            self._seed += 1
            out[i] = float(np.mean(np.sign(scores))) * pos.to_play
        return out


def rollout_evaluator(cfg: RolloutConfig = RolloutConfig()) -> EvaluateFn:
    """Pure Monte-Carlo evaluation: uniform priors, value z from random playouts (λ = 1)."""
    rollouts = Rollouts(cfg)

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        n = positions[0].size ** 2 + 1
        priors = np.full((len(positions), n), 1.0 / n, np.float32)
        return Evaluation(priors, rollouts(positions))

    return evaluate


def mixed_evaluator(net: EvaluateFn, cfg: RolloutConfig = RolloutConfig()) -> EvaluateFn:
    """The network's priors, and V = (1 - λ) v + λ z mixing its value with rollouts."""
    rollouts = Rollouts(cfg)
    lam = cfg.lam

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        ev = as_evaluation(net(positions), len(positions))
        if lam == 0.0:
            return ev
        z = rollouts(positions)
        values = ((1.0 - lam) * ev.values + lam * z).astype(np.float32)
        return Evaluation(ev.priors, values, ev.ownership)

    return evaluate

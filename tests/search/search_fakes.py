"""Fake networks for search specifications (minigo's DummyNet): uniform priors, known values."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rocks.go.board import Position, chain_and_liberties


def fake_net(value: Callable[[Position], float] = lambda p: 0.0,
             prior: Callable[[Position], np.ndarray] | None = None):
    """evaluate(positions): uniform priors (or ``prior``), ``value`` for the player to move."""
    calls: list[int] = []

    def evaluate(positions: Sequence[Position]) -> tuple[np.ndarray, np.ndarray]:
        calls.append(len(positions))
        n = positions[0].size ** 2 + 1
        if prior is None:
            priors = np.full((len(positions), n), 1.0 / n, np.float32)
        else:
            priors = np.stack([prior(p) for p in positions]).astype(np.float32)
        values = np.array([value(p) for p in positions], np.float32)
        return priors, values

    evaluate.calls = calls  # type: ignore[attr-defined]
    return evaluate


def score_value(scale: float) -> Callable[[Position], float]:
    """A value that reads the Tromp-Taylor count: tanh(margin for the player to move / scale)."""
    return lambda p: float(np.tanh(p.score() * p.to_play / scale))




def material_value(p: Position) -> float:
    """A value that counts prisoners only: tanh(captures margin for the player to move / 2)."""
    black, white = p.captures
    return float(np.tanh((black - white) * p.to_play / 2))


def liberty_prior(p: Position) -> np.ndarray:
    """A tactical prior: the liberties of chains with at most two are 100x the other moves."""
    n = p.size * p.size
    prior = np.full(n + 1, 0.01, np.float32)
    seen: set[int] = set()
    for s in np.flatnonzero(p.board):
        if int(s) in seen:
            continue
        chain, libs = chain_and_liberties(p.board, p.size, int(s))
        seen.update(chain)
        if len(libs) <= 2:
            prior[list(libs)] = 1.0
    return prior / prior.sum()

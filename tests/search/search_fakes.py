"""Fake networks for search specifications (minigo's DummyNet): uniform priors, known values."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rocks.go.board import Position


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



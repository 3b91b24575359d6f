"""Paired comparison of two models scored on the same held-out tasks: the lift and its interval.

When two models answer the SAME n tasks, the lift is the mean of the per-task differences
d_i = s_i(model) - s_i(base), and its standard error is the one of that mean,
sd(d) / sqrt(n) -- Miller (2024, "Adding Error Bars to Evals: A Statistical Approach to
Language Model Evaluations", section 4, "paired differences").  Tasks both models get right
(or both wrong) contribute d_i = 0, so the paired error is smaller than the unpaired
sqrt(se_base^2 + se_model^2) by the covariance the two share; a model identical to the base
has lift 0 with a zero-width interval.  The 95% interval is the normal approximation
lift ± z·se (z = ``rocks.stats.Z95``) or, with ``bootstrap_interval``, the percentile interval
of the mean difference over tasks resampled with replacement (Efron & Tibshirani 1993, ch. 13).

Several seeds of one training recipe are summarised by ``seed_mean``: the mean of their lifts
and the between-seed sample standard deviation (what another seed would scatter by); the
task-level interval of that mean is ``paired_lift`` of the base against the per-task average
of the seeds' scores (``mean_scores``), which is the same mean lift.

Departures:
1. Scores may be partial credit in [0, 1] (Reasoning Gym's scorers), not only 0/1: the
   differences are then real numbers and the same formulas apply; ``better``/``worse`` count
   tasks whose score rose/fell at all.
2. The normal interval is the default (n = 300 tasks is far into the range where it holds for
   a mean of bounded differences); the bootstrap is offered as a check, not a replacement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rocks.stats import Z95


@dataclass(frozen=True)
class PairedLift:
    """Model vs base on the same ``n`` tasks.

    Attributes:
        n: tasks compared.
        base, model: mean score of each.
        lift: mean of d_i = model_i - base_i (equals model - base).
        sd: sample standard deviation of the d_i (ddof 1; 0 with one task).
        se: sd / sqrt(n), the standard error of the lift.
        lo, hi: the interval lift ± z·se.
        better, worse: tasks whose score rose / fell.
    """

    n: int
    base: float
    model: float
    lift: float
    sd: float
    se: float
    lo: float
    hi: float
    better: int
    worse: int


def _differences(base: Sequence[float], model: Sequence[float]) -> np.ndarray:
    if len(base) != len(model):
        raise ValueError(f"paired scores need the same tasks: {len(base)} vs {len(model)}")
    if not len(base):
        raise ValueError("a paired comparison needs at least one task")
    return np.asarray(model, dtype=float) - np.asarray(base, dtype=float)


def paired_lift(base: Sequence[float], model: Sequence[float], z: float = Z95) -> PairedLift:
    """The lift of ``model`` over ``base`` (per-task scores, in the same task order) with the
    normal-approximation interval of the paired difference."""
    d = _differences(base, model)
    n = len(d)
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    se = sd / math.sqrt(n)
    lift = float(d.mean())
    return PairedLift(n=n, base=float(np.mean(base)), model=float(np.mean(model)), lift=lift,
                      sd=sd, se=se, lo=lift - z * se, hi=lift + z * se,
                      better=int((d > 0).sum()), worse=int((d < 0).sum()))


def bootstrap_interval(base: Sequence[float], model: Sequence[float], resamples: int = 2000,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of the mean paired difference, tasks resampled with replacement
    (the pairs stay together: a resampled task brings both models' scores)."""
    if resamples < 1 or not 0.0 < level < 1.0:
        raise ValueError(f"need resamples >= 1 and 0 < level < 1, got {resamples}, {level}")
    d = _differences(base, model)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(resamples, len(d)))].mean(axis=1)
    tail = (1.0 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1.0 - tail))


def aligned(base: Mapping[int, float], model: Mapping[int, float]) -> tuple[list[float],
                                                                          list[float]]:
    """Both models' scores in one task order (task seed -> score); the task sets must agree,
    or the comparison would not be paired."""
    if set(base) != set(model):
        only = sorted(set(base) ^ set(model))[:5]
        raise ValueError(f"the two models were scored on different tasks (e.g. {only})")
    order = sorted(base)
    return [float(base[t]) for t in order], [float(model[t]) for t in order]


def mean_scores(models: Sequence[Mapping[int, float]]) -> dict[int, float]:
    """Per task, the mean score over several models (seeds) scored on the same tasks."""
    if not models:
        raise ValueError("need at least one model")
    tasks = set(models[0])
    if any(set(m) != tasks for m in models):
        raise ValueError("every model must be scored on the same tasks")
    return {t: sum(float(m[t]) for m in models) / len(models) for t in sorted(tasks)}


def seed_mean(lifts: Sequence[float]) -> tuple[float, float]:
    """Mean lift over seeds and the between-seed sample standard deviation (nan for one)."""
    if not lifts:
        raise ValueError("need at least one seed")
    v = np.asarray(lifts, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan")

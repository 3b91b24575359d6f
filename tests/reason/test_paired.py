"""A paired lift is the mean per-task difference, with the standard error of that mean: a model
identical to the base gains exactly 0 with a zero-width interval, and the interval is the
hand-computed one (``rocks.reason.paired``)."""

from __future__ import annotations

import math

import pytest

from rocks.reason.paired import (
    aligned,
    bootstrap_interval,
    mean_scores,
    paired_lift,
    seed_mean,
)
from rocks.stats import Z95


def test_a_model_identical_to_the_base_gains_nothing():
    base = [0.0, 1.0, 0.5, 1.0, 0.0]
    p = paired_lift(base, list(base))
    assert (p.lift, p.sd, p.se, p.lo, p.hi, p.better, p.worse) == (0, 0, 0, 0, 0, 0, 0)
    assert bootstrap_interval(base, list(base), resamples=200) == (0.0, 0.0)


def test_lift_and_interval_by_hand():
    # 10 tasks: 4 fixed (+1), 1 broken (-1), 5 unchanged: d has mean 0.3
    base = [0, 0, 0, 0, 1, 1, 1, 0, 0, 1]
    model = [1, 1, 1, 1, 0, 1, 1, 0, 0, 1]
    p = paired_lift(base, model)
    d = [1, 1, 1, 1, -1, 0, 0, 0, 0, 0]
    var = sum((x - 0.3) ** 2 for x in d) / 9  # 2.1 / 9
    assert p.n == 10 and p.base == pytest.approx(0.4) and p.model == pytest.approx(0.7)
    assert p.lift == pytest.approx(0.3) and p.sd == pytest.approx(math.sqrt(var))
    assert p.se == pytest.approx(math.sqrt(var / 10))
    assert (p.lo, p.hi) == pytest.approx((0.3 - Z95 * p.se, 0.3 + Z95 * p.se))
    assert (p.better, p.worse) == (4, 1)


def test_pairing_removes_the_shared_variance():
    """The same 0.3 lift, unpaired, would have the error of two independent means."""
    base = [0, 0, 0, 0, 1, 1, 1, 0, 0, 1]
    model = [1, 1, 1, 1, 0, 1, 1, 0, 0, 1]
    unpaired = math.sqrt(0.4 * 0.6 / 9 + 0.7 * 0.3 / 9)
    assert paired_lift(base, model).se < unpaired


def test_bootstrap_agrees_with_the_normal_interval_on_many_tasks():
    base = [float(i % 3 == 0) for i in range(300)]
    model = [float(i % 3 == 0 or i % 5 == 0) for i in range(300)]
    p = paired_lift(base, model)
    lo, hi = bootstrap_interval(base, model, resamples=4000, seed=1)
    assert lo < p.lift < hi
    assert lo == pytest.approx(p.lo, abs=0.01) and hi == pytest.approx(p.hi, abs=0.01)


def test_partial_credit_scores_are_differences_too():
    p = paired_lift([0.5, 0.25], [1.0, 0.25])
    assert p.lift == pytest.approx(0.25) and (p.better, p.worse) == (1, 0)


def test_scores_are_aligned_by_task_and_must_cover_the_same_tasks():
    assert aligned({7: 1.0, 3: 0.0}, {3: 1.0, 7: 1.0}) == ([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="different tasks"):
        aligned({1: 1.0, 2: 0.0}, {1: 1.0, 3: 0.0})
    with pytest.raises(ValueError, match="same tasks"):
        paired_lift([1.0], [1.0, 0.0])


def test_seed_mean_and_the_per_task_mean_over_seeds():
    mean, sd = seed_mean([0.1, 0.2, 0.3])
    assert mean == pytest.approx(0.2) and sd == pytest.approx(0.1)
    assert math.isnan(seed_mean([0.1])[1])
    seeds = [{1: 1.0, 2: 0.0}, {1: 0.0, 2: 0.0}]
    assert mean_scores(seeds) == {1: 0.5, 2: 0.0}
    # the lift of the per-task mean is the mean of the seeds' lifts
    base = {1: 0.0, 2: 0.0}
    lifts = [paired_lift(*aligned(base, s)).lift for s in seeds]
    assert paired_lift(*aligned(base, mean_scores(seeds))).lift == pytest.approx(
        seed_mean(lifts)[0])

"""Specification of rocks.stats: the Elo/Bradley-Terry fit and the intervals on a win rate."""

from __future__ import annotations

import numpy as np
import pytest

from rocks.stats import (
    Outcome,
    bootstrap_ratings,
    expected_score,
    fit_ratings,
    normal_lcb,
    wilson_interval,
)


def synthetic_games(true: dict[str, float], games_per_pair: int, seed: int) -> list[Outcome]:
    rng = np.random.default_rng(seed)
    names = list(true)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            p = expected_score(true[a], true[b])
            for _ in range(games_per_pair):
                out.append(Outcome(a, b, float(rng.random() < p)))
    return out


def test_expected_score_is_the_elo_curve():
    assert expected_score(0, 0) == pytest.approx(0.5)
    assert expected_score(400, 0) == pytest.approx(10 / 11)
    assert expected_score(0, 400) == pytest.approx(1 / 11)


def test_mle_recovers_a_known_difference_within_its_interval():
    true = {"weak": 0.0, "mid": 150.0, "strong": 400.0}
    games = synthetic_games(true, games_per_pair=600, seed=1)
    table = fit_ratings(games, anchor="weak", prior_draws=0.0)
    for name, elo in true.items():
        r = table[name]
        assert abs(r.elo - elo) < 40, (name, r)
        if name != "weak":
            assert r.low < elo < r.high
            assert 10 < r.stderr < 40
    assert table["weak"].elo == 0.0


def test_even_results_give_equal_ratings():
    games = [Outcome("a", "b", 1.0), Outcome("a", "b", 0.0)] * 10
    table = fit_ratings(games, prior_draws=0.0)
    assert table["b"].elo == pytest.approx(0.0, abs=1e-6)
    assert table["a"].score == 10 and table["a"].games == 20


def test_draws_count_half():
    # 3 wins and 2 draws out of 5 is a 4/5 score: 400*log10(4) Elo.
    games = [Outcome("a", "b", 1.0)] * 3 + [Outcome("a", "b", 0.5)] * 2
    table = fit_ratings(games, anchor="b", prior_draws=0.0)
    assert table["a"].elo == pytest.approx(400 * np.log10(4), abs=0.01)
    assert table["a"].score == 4.0


def test_a_clean_sweep_stays_finite_with_the_draw_prior():
    games = [Outcome("strong", "weak", 1.0)] * 20
    table = fit_ratings(games, anchor="weak", prior_draws=1.0)
    # 20.5 of 21 points: 400*log10(41).
    assert table["strong"].elo == pytest.approx(400 * np.log10(41), abs=0.5)
    assert np.isfinite(table["strong"].high)


def test_bootstrap_interval_brackets_the_estimate():
    games = synthetic_games({"a": 0.0, "b": 200.0}, games_per_pair=200, seed=3)
    boot = bootstrap_ratings(games, anchor="a", samples=200, seed=0)
    hess = fit_ratings(games, anchor="a")
    b = boot["b"]
    assert b.elo == hess["b"].elo
    assert b.low < b.elo < b.high
    assert b.stderr == pytest.approx(hess["b"].stderr, rel=0.35)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="no games"):
        fit_ratings([])
    with pytest.raises(ValueError, match="itself"):
        Outcome("a", "a", 1.0)
    with pytest.raises(ValueError, match="score"):
        Outcome("a", "b", 2.0)
    with pytest.raises(ValueError, match="never met"):
        fit_ratings([Outcome("a", "b", 1.0), Outcome("c", "d", 1.0)])
    with pytest.raises(ValueError, match="anchor"):
        fit_ratings([Outcome("a", "b", 1.0)], anchor="zz")


def test_the_table_names_its_anchor():
    games = synthetic_games({"a": 0.0, "b": 100.0, "c": -50.0}, 30, seed=0)
    assert "anchor: a" in fit_ratings(games).to_text()


def test_wilson_interval_of_a_win_rate():
    lo, hi = wilson_interval(0.8, 100)  # 80 wins of 100: the Learning bar's measurement
    assert round(lo, 3) == 0.711 and round(hi, 3) == 0.867
    assert wilson_interval(0.5, 0) == (0.0, 1.0)
    assert wilson_interval(1.0, 10)[1] == 1.0 and wilson_interval(0.0, 10)[0] == 0.0


def test_the_lower_bound_of_a_rate_narrows_with_samples_and_stays_in_range():
    assert normal_lcb(0.5, 100) == pytest.approx(0.5 - 1.96 * 0.05)
    assert normal_lcb(0.5, 400) > normal_lcb(0.5, 100)
    assert normal_lcb(0.1, 1) == 0.0 and normal_lcb(0.7, 0) == 0.0
    assert normal_lcb(1.0, 5) == 1.0  # no spread in the samples


def test_a_match_result_reports_its_wilson_interval():
    from rocks.train.evaluate import MatchResult

    result = MatchResult(wins=80, losses=20, draws=0, games=())
    assert result.wilson() == wilson_interval(0.8, 100)

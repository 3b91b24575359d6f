"""Statistics of game results: Elo ratings with confidence intervals, and intervals on a win rate.

Elo follows the Bradley-Terry model (Bradley & Terry, 1952) on the Elo scale (Elo, 1978): player
i with rating r_i beats player j with probability

    P(i beats j) = 1 / (1 + 10 ** ((r_j - r_i) / 400)),

and the ratings are the values that maximise the likelihood of the observed games. This is the
model behind Rémi Coulom's BayesElo and the ratings of computer-Go servers such as CGOS.

A win rate p over n games gets the Wilson score interval (Wilson, 1927), which stays inside
[0, 1] and behaves at 0 and n wins where the normal approximation does not; a search's
candidate moves get the normal-approximation lower bound that Go GUIs show as ``lcb``.

Departures from the plain Elo model, numbered:

1. Draws count as half a win for each side (the score s in {0, 1/2, 1} enters the likelihood as
   s log P + (1 - s) log (1 - P)), rather than BayesElo's separate draw-elo parameter; Go with
   a half-point komi has no draws, so the simpler model loses nothing there.
2. ``prior_draws`` virtual draws are added between every pair that met (BayesElo's prior of
   virtual draws), so that an engine that won every game gets a large but finite rating. Set it
   to 0 for the pure maximum-likelihood estimate.
3. Ratings are relative: the ``anchor`` player is fixed at ``anchor_rating`` (default: the first
   player at 0) and every interval is an interval on the difference from the anchor.
4. Intervals come either from the observed Fisher information (the Hessian of the log
   likelihood at the optimum, inverted with the anchor removed) or from a bootstrap over games.

Plots of a rating table are the arena's (:func:`rocks.play.arena.plot_ratings`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

ELO_SCALE = 400.0 / math.log(10.0)  # Elo points per natural-log unit of odds
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Outcome:
    """One finished game between two players.

    Attributes:
        a, b: player names.
        score: a's score: 1.0 a won, 0.0 b won, 0.5 draw.
    """

    a: str
    b: str
    score: float

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError(f"a player cannot play itself ({self.a!r})")
        if self.score not in (0.0, 0.5, 1.0):
            raise ValueError(f"score must be 0, 0.5 or 1, got {self.score!r}")


@dataclass(frozen=True)
class Rating:
    """One player's rating with a 95% interval (on the difference from the anchor)."""

    name: str
    elo: float
    stderr: float
    low: float
    high: float
    games: int
    score: float  # points won


@dataclass(frozen=True)
class RatingTable:
    ratings: tuple[Rating, ...]
    anchor: str
    method: str  # "hessian" or "bootstrap"

    def __getitem__(self, name: str) -> Rating:
        for r in self.ratings:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_text(self) -> str:
        lines = [f"{'engine':<24} {'elo':>8} {'95% interval':>19} {'games':>6} {'score':>7}"]
        for r in sorted(self.ratings, key=lambda r: -r.elo):
            interval = f"[{r.low:7.0f}, {r.high:7.0f}]" if r.name != self.anchor else "(anchor)"
            lines.append(f"{r.name:<24} {r.elo:8.0f} {interval:>19} {r.games:6d} {r.score:7.1f}")
        lines.append(f"anchor: {self.anchor}; intervals: {self.method}")
        return "\n".join(lines)


def wilson_interval(score: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a win rate ``score`` (wins + half the draws, over ``n``
    games): the (lo, hi) bounds at ``z`` (1.96: 95%); (0, 1) with no games."""
    if n == 0:
        return (0.0, 1.0)
    centre = (score + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(score * (1 - score) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def normal_lcb(p: float, n: int, z: float = 1.96) -> float:
    """Lower bound p - z sqrt(p (1 - p) / n) of a rate ``p`` from ``n`` samples, at least 0 (the
    normal approximation; 0 with no samples).  Go GUIs show it as a candidate move's ``lcb``."""
    if n <= 0:
        return 0.0
    return max(0.0, p - z * math.sqrt(p * (1.0 - p) / n))


def expected_score(elo_a: float, elo_b: float) -> float:
    """P(a beats b) under the Elo/Bradley-Terry model."""
    return 1.0 / (1.0 + 10.0 ** ((elo_b - elo_a) / 400.0))


def _tally(games: Sequence[Outcome], players: Sequence[str], prior_draws: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """(W, G): W[i, j] points i scored against j, G[i, j] games between them (with priors)."""
    index = {p: k for k, p in enumerate(players)}
    n = len(players)
    wins = np.zeros((n, n))
    count = np.zeros((n, n))
    for g in games:
        i, j = index[g.a], index[g.b]
        wins[i, j] += g.score
        wins[j, i] += 1.0 - g.score
        count[i, j] += 1.0
        count[j, i] += 1.0
    met = count > 0
    wins += 0.5 * prior_draws * met
    count += prior_draws * met
    return wins, count


def _fit(wins: np.ndarray, count: np.ndarray, anchor: int, iters: int = 100
         ) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on the log likelihood in natural units; returns (theta, hessian)."""
    n = wins.shape[0]
    theta = np.zeros(n)
    free = np.array([k for k in range(n) if k != anchor])
    hess = np.zeros((n, n))
    for _ in range(iters):
        diff = theta[:, None] - theta[None, :]
        p = 1.0 / (1.0 + np.exp(-diff))
        grad = (wins - count * p).sum(axis=1)
        w = count * p * (1.0 - p)
        hess = np.diag(w.sum(axis=1)) - w  # negative Hessian (the information matrix)
        if len(free) == 0:
            break
        h = hess[np.ix_(free, free)]
        try:
            step = np.linalg.solve(h, grad[free])
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(h, grad[free], rcond=None)[0]
        # A damped step keeps an undefeated player (no prior) from jumping to overflow.
        step = np.clip(step, -3.0, 3.0)
        theta[free] += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return theta, hess


def _players(games: Sequence[Outcome], players: Iterable[str] | None) -> list[str]:
    if players is not None:
        return list(dict.fromkeys(players))
    seen: dict[str, None] = {}
    for g in games:
        seen.setdefault(g.a)
        seen.setdefault(g.b)
    return list(seen)


def _check_connected(players: Sequence[str], count: np.ndarray) -> None:
    reach = {0}
    frontier = [0]
    while frontier:
        i = frontier.pop()
        for j in np.flatnonzero(count[i] > 0):
            if int(j) not in reach:
                reach.add(int(j))
                frontier.append(int(j))
    if len(reach) != len(players):
        missing = [players[k] for k in range(len(players)) if k not in reach]
        raise ValueError(f"players {missing} never met the others (directly or through others)"
                         ": their ratings are not defined")


def fit_ratings(games: Sequence[Outcome], players: Iterable[str] | None = None,
                anchor: str | None = None, anchor_rating: float = 0.0,
                prior_draws: float = 1.0) -> RatingTable:
    """Maximum-likelihood Elo ratings with Hessian-based 95% intervals.

    Args:
        games: the results.
        players: names in display order (default: order of first appearance).
        anchor: the player held at ``anchor_rating`` (default: the first player).
        prior_draws: virtual draws added per pair that met (departure 2); 0 for pure MLE.
    """
    games = list(games)
    if not games:
        raise ValueError("no games to rate")
    names = _players(games, players)
    anchor = names[0] if anchor is None else anchor
    if anchor not in names:
        raise ValueError(f"anchor {anchor!r} is not among the players {names}")
    a = names.index(anchor)
    wins, count = _tally(games, names, prior_draws)
    _check_connected(names, count)
    theta, info = _fit(wins, count, a)
    free = [k for k in range(len(names)) if k != a]
    var = np.zeros(len(names))
    if free:
        try:
            cov = np.linalg.inv(info[np.ix_(free, free)])
            var[free] = np.diag(cov)
        except np.linalg.LinAlgError:
            var[free] = np.inf
    raw_points = (wins - 0.5 * prior_draws * (count > 0)).sum(axis=1)
    raw_games = _tally(games, names, 0.0)[1].sum(axis=1)
    out = []
    for k, name in enumerate(names):
        elo = anchor_rating + ELO_SCALE * (theta[k] - theta[a])
        se = ELO_SCALE * math.sqrt(max(var[k], 0.0)) if math.isfinite(var[k]) else math.inf
        out.append(Rating(name, elo, se, elo - Z95 * se, elo + Z95 * se, int(raw_games[k]),
                          float(raw_points[k])))
    return RatingTable(tuple(out), anchor, "hessian")


def bootstrap_ratings(games: Sequence[Outcome], players: Iterable[str] | None = None,
                      anchor: str | None = None, anchor_rating: float = 0.0,
                      prior_draws: float = 1.0, samples: int = 1000, seed: int = 0
                      ) -> RatingTable:
    """Point estimates as :func:`fit_ratings`; 95% intervals from resampling games.

    Percentile intervals over ``samples`` resamples (with replacement) of the game list; the
    stderr is the standard deviation of the resampled ratings.
    """
    games = list(games)
    base = fit_ratings(games, players, anchor, anchor_rating, prior_draws)
    names = [r.name for r in base.ratings]
    rng = np.random.default_rng(seed)
    draws = np.full((samples, len(names)), np.nan)
    a = names.index(base.anchor)
    for s in range(samples):
        pick = rng.integers(0, len(games), size=len(games))
        sample = [games[k] for k in pick]
        wins, count = _tally(sample, names, prior_draws)
        try:
            _check_connected(names, count)
        except ValueError:
            continue  # a resample that lost a player says nothing about its rating
        theta, _ = _fit(wins, count, a)
        draws[s] = anchor_rating + ELO_SCALE * (theta - theta[a])
    out = []
    for k, r in enumerate(base.ratings):
        col = draws[:, k][np.isfinite(draws[:, k])]
        if len(col) < 2:
            out.append(r)
            continue
        lo, hi = np.percentile(col, [2.5, 97.5])
        out.append(Rating(r.name, r.elo, float(col.std(ddof=1)), float(lo), float(hi), r.games,
                          r.score))
    return RatingTable(tuple(out), base.anchor, f"bootstrap ({samples} resamples)")


"""KataGo's score utility: points count only once a game is decided, and never leave [-1, 1]."""

from __future__ import annotations

import numpy as np
import pytest

from rocks.go.board import Position
from rocks.play.score_utility import ScoreUtility, with_score_utility
from rocks.search.contracts import Evaluation


def test_a_close_game_is_valued_by_win_and_loss_alone():
    u = ScoreUtility(weight=0.3, decided=0.8)
    out = u.mix(np.array([0.0, 0.5, -0.79]), np.array([30.0, -20.0, 10.0]), 9)
    assert out == pytest.approx([0.0, 0.5, -0.79])


def test_a_decided_game_prefers_the_bigger_lead():
    u = ScoreUtility(weight=0.3, decided=0.8)
    small, big = u.mix(np.array([0.99, 0.99]), np.array([1.0, 20.0]), 9)
    assert big > small
    lost_a_little, lost_a_lot = u.mix(np.array([-0.99, -0.99]), np.array([-2.0, -30.0]), 9)
    assert lost_a_little > lost_a_lot  # behind, the bot still fights for points


def test_utilities_stay_in_the_search_range():
    u = ScoreUtility(weight=1.0, decided=0.0)
    out = u.mix(np.array([1.0, -1.0]), np.array([500.0, -500.0]), 19)
    assert np.all(np.abs(out) <= 1.0)


def test_the_wrapped_network_mixes_values_and_keeps_the_rest():
    def net(positions):
        b = len(positions)
        return Evaluation(np.full((b, 82), 1 / 82, np.float32), np.full(b, 0.95, np.float32),
                          None, np.full(b, 15.0, np.float32))

    ev = with_score_utility(net, ScoreUtility(weight=0.5, decided=0.9))([Position.empty(9)])
    assert ev.values[0] != pytest.approx(0.95) and ev.score[0] == 15.0
    assert ev.priors.shape == (1, 82)


@pytest.mark.parametrize("bad", [dict(weight=1.5), dict(decided=1.0), dict(scale=0.0)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        ScoreUtility(**bad)

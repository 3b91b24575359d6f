"""Rollout evaluation (AlphaGo 2016's V = (1-λ) v + λ z) and pure Monte-Carlo search."""

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import WHITE, Position
from rocks.search.mcts import MCTSConfig, run_mcts
from rocks.search.rollout import RolloutConfig, Rollouts, mixed_evaluator, rollout_evaluator
from tests.search.search_fakes import fake_net
from tests.search.test_mcts import SEMEAI

SETTLED = """
    . X O . O
    X X O O O
    . X O . O
    X X O O O
    . X O . O
"""  # no move is left but filling eyes: Black 10 points, White 15, komi decides every playout


def test_rollouts_of_a_settled_position_give_the_result_for_the_player_to_move():
    rollouts = Rollouts(RolloutConfig(playouts=8))
    black_wins = Position.from_ascii(SETTLED, komi=-5.5)
    assert rollouts([black_wins]).tolist() == [1.0]
    assert rollouts([Position.from_ascii(SETTLED, komi=-5.5, to_play=WHITE)]).tolist() == [-1.0]
    assert rollouts([Position.from_ascii(SETTLED, komi=-4.5)]).tolist() == [-1.0]


def test_rollouts_are_repeatable_from_a_seed():
    pos = [Position.empty(9)] * 4
    a = Rollouts(RolloutConfig(playouts=3, seed=7))(pos)
    b = Rollouts(RolloutConfig(playouts=3, seed=7))(pos)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) > 1  # successive positions use successive seeds


@pytest.mark.parametrize("lam,expected", [(0.0, 0.6), (0.5, 0.8), (1.0, 1.0)])
def test_mixed_value_is_the_lambda_weighted_mean(lam, expected):
    net = fake_net(value=lambda p: 0.6)
    evaluate = mixed_evaluator(net, RolloutConfig(lam=lam, playouts=4))
    ev = evaluate([Position.from_ascii(SETTLED, komi=-5.5)])  # z = +1
    assert ev.values[0] == pytest.approx(expected)
    np.testing.assert_allclose(ev.priors.sum(axis=1), 1.0, rtol=1e-5)


def test_pure_rollout_search_wins_the_capture_race():
    pos = Position.from_ascii(SEMEAI, komi=40)
    evaluate = rollout_evaluator(RolloutConfig(playouts=4, seed=0))
    result = run_mcts(pos, evaluate, MCTSConfig(num_simulations=600))
    assert coords.to_gtp(result.move, 7) == "D7"


def test_bad_rollout_settings_are_refused():
    with pytest.raises(ValueError):
        RolloutConfig(playouts=0)
    with pytest.raises(ValueError):
        RolloutConfig(lam=1.5)

"""Specification of the move choice outside the tree (rocks.search.policies)."""

import numpy as np

from rocks.go.board import BLACK, Position
from rocks.search.mcts import MCTSConfig, run_mcts
from rocks.search.policies import MovePolicy, choose_move, resign_statistic, wants_resign
from tests.search.search_fakes import fake_net


def test_resigns_when_the_value_is_hopeless_and_not_otherwise():
    pos = Position.empty(5)
    hopeless = fake_net(value=lambda p: -0.99 if p.to_play == BLACK else 0.99)
    result = run_mcts(pos, hopeless, MCTSConfig(num_simulations=50))
    assert wants_resign(result, -0.9) and result.root_value < -0.9
    assert resign_statistic(result) < -0.9
    even = run_mcts(pos, fake_net(), MCTSConfig(num_simulations=50))
    assert not wants_resign(even, -0.9)
    assert not wants_resign(result, -1.0)  # -1 never resigns


def test_temperature_samples_in_the_opening_and_the_search_move_after():
    pos = Position.empty(5)
    result = run_mcts(pos, fake_net(), MCTSConfig(num_simulations=60))
    opening = MovePolicy(temperature=1.0, temperature_moves=30)
    moves = {choose_move(result, 0, opening, np.random.default_rng(s)) for s in range(16)}
    assert len(moves) > 1 and all(result.visits[m] > 0 for m in moves)
    assert {choose_move(result, 30, opening, np.random.default_rng(s))
            for s in range(8)} == {result.move}
    greedy = MovePolicy(temperature_moves=0)
    assert choose_move(result, 0, greedy, np.random.default_rng(0)) == result.move
    assert result.move == result.best == int(np.argmax(result.visits))

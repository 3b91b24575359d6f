"""Batched search over several games: one network call per round, same kind of results."""

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import Position
from rocks.search.batch import run_many, run_mcts_many
from rocks.search.contracts import SearchResult
from rocks.search.mcts import MCTS, MCTSConfig, run_mcts
from tests.search.search_fakes import fake_net, score_value
from tests.search.test_mcts import SEMEAI


def test_many_games_share_network_calls_and_each_gets_its_result():
    roots = [Position.empty(5), Position.empty(7), Position.from_ascii(SEMEAI, komi=40)]
    net = fake_net(value=score_value(5))
    cfg = MCTSConfig(num_simulations=400, leaves_per_batch=8)
    results = run_mcts_many(roots, net, cfg, seed=0)
    assert all(isinstance(r, SearchResult) for r in results)
    assert [len(r.visits) for r in results] == [26, 50, 50]
    assert all(r.simulations == 400 for r in results)
    assert max(net.calls) > 8  # leaves of several games (of one board size) in one call
    assert len(net.calls) < 3 * 400 / 8
    assert coords.to_gtp(results[2].move, 7) == "D7"  # the batch does not blunt the search


def test_batched_and_single_searches_agree_without_virtual_loss_effects():
    # leaves_per_batch=1: each round takes one leaf per game, exactly as alone
    pos = Position.empty(5).play(12)
    cfg = MCTSConfig(num_simulations=120, leaves_per_batch=1)
    net = fake_net(value=lambda p: 0.05 * p.to_play)
    alone = run_mcts(pos, net, cfg)
    together = run_mcts_many([pos, Position.empty(5)], net, cfg)[0]
    np.testing.assert_array_equal(alone.visits, together.visits)


def test_run_many_keeps_each_tree_for_reuse():
    searches = [MCTS(Position.empty(5), MCTSConfig(num_simulations=60)) for _ in range(2)]
    results = run_many(searches, fake_net())
    for s, r in zip(searches, results, strict=True):
        s.advance(r.move)
        assert int(s.tree.node_n[0]) == r.visits[r.move] > 0
    again = run_many(searches, fake_net(), num_simulations=30)
    assert all(r.simulations == 30 for r in again)


def test_a_failing_network_call_leaves_every_tree_usable():
    searches = [MCTS(Position.empty(5), MCTSConfig(num_simulations=40)) for _ in range(2)]
    run_many(searches, fake_net())

    def broken(positions):
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        run_many(searches, broken, num_simulations=20)
    results = run_many(searches, fake_net(), num_simulations=20)
    assert all(int(s.tree.node_n[0]) == 60 for s in searches)
    assert all(r.simulations == 20 for r in results)

"""Specification of the MCTS player behind the engine's Player protocol."""

from __future__ import annotations

import numpy as np
import pytest

from rocks.go.board import BLACK, WHITE, Position
from rocks.play.engine import Engine, EngineConfig
from rocks.play.mcts_player import MCTSPlayer, MCTSPlayerConfig
from rocks.search.contracts import Evaluation


def uniform(value=lambda p: 0.0, ownership: bool = False):
    def evaluate(positions):
        n = positions[0].size ** 2
        b = len(positions)
        own = np.ones((b, n), np.float32) if ownership else None  # the mover owns everything
        return Evaluation(np.full((b, n + 1), 1 / (n + 1), np.float32),
                          np.array([value(p) for p in positions], np.float32), own)
    return evaluate


def test_is_a_player_and_fills_the_decision():
    player = MCTSPlayer(uniform(ownership=True), MCTSPlayerConfig(visits=80, seed=0))
    pos = Position.empty(5).play(12)  # White to move
    d = player.select_move(pos, time_budget_s=10.0)
    assert pos.is_legal(d.move) and not d.resign
    assert 0.0 <= d.winrate <= 1.0
    assert d.pv[0] == d.move
    assert d.candidates[0].move == d.move
    assert [c.visits for c in d.candidates] == sorted((c.visits for c in d.candidates),
                                                      reverse=True)
    assert d.visits >= sum(c.visits for c in d.candidates) and d.visits >= 79
    assert d.ownership is not None and (d.ownership == -1.0).all()  # White's, seen as Black's


def test_keeps_its_tree_from_move_to_move_through_the_engine():
    player = MCTSPlayer(uniform(), MCTSPlayerConfig(visits=100, seed=0))
    engine = Engine(EngineConfig(size=5, komi=0.5), player)
    first = engine.genmove(BLACK)
    reply = first.pv[1]
    engine.play(WHITE, reply)
    second = engine.genmove(BLACK)
    assert second.visits > 100 - 1  # the 100 new ones plus what the tree kept below the reply
    kept = second.visits - 99
    assert kept > 1


def test_a_time_budget_alone_ends_the_search():
    player = MCTSPlayer(uniform(), MCTSPlayerConfig(visits=None, seed=0))
    d = player.select_move(Position.empty(9), time_budget_s=0.2)
    assert d.visits > 0


def test_resigns_a_hopeless_game_but_not_on_a_tiny_search():
    hopeless = uniform(value=lambda p: -0.99 if p.to_play == BLACK else 0.99)
    big = MCTSPlayer(hopeless, MCTSPlayerConfig(visits=100, seed=0))
    assert big.select_move(Position.empty(5), 10.0).resign
    small = MCTSPlayer(hopeless, MCTSPlayerConfig(visits=10, seed=0))
    assert not small.select_move(Position.empty(5), 10.0).resign


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        MCTSPlayerConfig(visits=0)
    with pytest.raises(ValueError):
        MCTSPlayerConfig(time_per_move_s=0.0)


@pytest.mark.gnugo
def test_rocks_gtp_with_a_random_b6c64_plays_a_whole_9x9_game_against_gnugo(gnugo, tmp_path):
    from rocks.engines.commands import gnugo_command, rocks_gtp_command
    from rocks.engines.gtp_client import GtpClient
    from rocks.engines.match import MatchConfig, play_game
    from rocks.nets.checkpoint import init_checkpoint

    model = init_checkpoint(tmp_path / "b6c64.ckpt", "b6c64", seed=0)
    cfg = MatchConfig(size=9, komi=7.5, move_timeout_s=60, max_moves=200)
    argv = rocks_gtp_command("--model", str(model), "--visits", "8", "--seed", "1")
    with GtpClient(argv, name="rocks-mcts") as rocks, \
            GtpClient(gnugo_command(level=1, path=gnugo), name="gnugo") as gnu:
        result = play_game(rocks, gnu, cfg)
    assert result.reason in ("two passes", "resign", "move limit"), result
    assert result.moves > 20
    assert result.winner == WHITE  # an untrained network does not beat GNU Go


def test_analysis_continues_one_search_on_the_same_position():
    from rocks.play.decision import Analyser

    player = MCTSPlayer(uniform(), MCTSPlayerConfig(visits=50, seed=0))
    assert isinstance(player, Analyser) and player.move_visits == 50
    pos = Position.empty(5)
    first = player.analyze(pos, 0.05)
    second = player.analyze(pos, 0.05)
    assert second.visits > first.visits > 0  # the same tree, growing
    assert not second.resign and pos.is_legal(second.move)

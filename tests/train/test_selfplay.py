"""Self-play: only full searches become examples; targets agree with the game's result."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rocks.configcli import config_from_args
from rocks.go import coords
from rocks.go.board import BLACK
from rocks.nets.evaluator import uniform_evaluator
from rocks.search.mcts import MCTS
from rocks.train.cli import train_parser
from rocks.train.selfplay import (
    SelfPlayConfig,
    net_evaluate,
    play_games,
    resign_stats,
    save_game,
    start_position,
)
from rocks.train.shards import read_shard

CFG = SelfPlayConfig(size=5, komi=0.5, parallel=3, full_visits=12, fast_visits=3,
                     full_prob=0.5, max_moves=30, resign_threshold=-1.0)


def test_only_full_searches_are_recorded_and_targets_follow_the_result():
    games = play_games(net_evaluate(uniform_evaluator(5)), CFG, range(5), seed=(7,))
    assert sorted(g.index for g in games) == list(range(5))
    total_moves = sum(g.moves for g in games)
    total_examples = sum(len(g.examples) for g in games)
    assert 0 < total_examples < total_moves  # about half the moves were full searches
    for g in games:
        ex = g.examples
        assert len(ex) == g.full_searches
        if len(ex):
            np.testing.assert_allclose(ex.policy.astype(np.float32).sum(1), 1.0, atol=1e-2)
            # The value target is the winner seen from the side to move (own-stones plane).
            assert set(np.unique(ex.value)) <= {-1.0, 0.0, 1.0}
        assert g.winner in (BLACK, -BLACK, 0)


def test_games_are_a_function_of_the_seed_and_index():
    a = play_games(net_evaluate(uniform_evaluator(5)), CFG, [3], seed=(1,))
    b = play_games(net_evaluate(uniform_evaluator(5)), CFG, [3], seed=(1,))
    c = play_games(net_evaluate(uniform_evaluator(5)), CFG, [4], seed=(1,))
    assert a[0].record.moves == b[0].record.moves != c[0].record.moves


def test_saved_game_is_a_readable_shard_and_sgf(tmp_path):
    (g,) = play_games(net_evaluate(uniform_evaluator(5)), CFG, [0], seed=(2,))
    save_game(g, tmp_path / "g.npz", tmp_path / "g.sgf")
    assert len(read_shard(tmp_path / "g.npz")) == len(g.examples)
    assert "RE[" in (tmp_path / "g.sgf").read_text()


def test_resignation_is_checked_in_no_resign_games():
    cfg = SelfPlayConfig(size=5, komi=0.5, parallel=4, full_visits=8, fast_visits=2,
                         resign_threshold=0.99, no_resign_fraction=0.5, max_moves=20)
    games = play_games(net_evaluate(uniform_evaluator(5)), cfg, range(8), seed=(3,))
    stats = resign_stats(games)
    no_resign = [g for g in games if g.no_resign]
    assert stats["no_resign_games"] == len(no_resign) > 0
    # With a threshold this high every player "wants" to resign at once; only no-resign
    # games are played on, so they are the only ones longer than one move.
    assert all(g.moves <= 1 for g in games if not g.no_resign)
    assert all(g.resigned for g in games if not g.no_resign)


def test_resignation_threshold_keeps_false_resignations_under_five_percent():
    from rocks.train.selfplay import calibrate_resign_threshold

    # Winners of no-resign games dipped to these values: resigning below -0.9 would have lost
    # 3 of 40 won games (7.5%), so the threshold must go lower; 5% allows 2 of 40.
    lows = [-0.95, -0.93, -0.91] + [-0.5] * 37
    t = calibrate_resign_threshold(lows, configured=-0.9)
    assert t < -0.91 and sum(v < t for v in lows) <= 0.05 * len(lows)
    assert calibrate_resign_threshold([-0.2] * 40, configured=-0.9) == -0.9  # never above
    assert calibrate_resign_threshold(lows[:5], configured=-0.9) == -0.9  # too few games


def test_no_resign_games_record_the_winners_lowest_and_the_losers_highest_value():
    cfg = SelfPlayConfig(size=5, komi=0.5, parallel=2, full_visits=8, fast_visits=2,
                         no_resign_fraction=1.0, max_moves=20)
    games = play_games(net_evaluate(uniform_evaluator(5)), cfg, range(3), seed=(5,))
    assert any(g.winner for g in games)
    for g in games:
        if g.winner:
            assert -1.0 <= g.winner_min_value <= 1.0
            # Value 0 everywhere but the scored ends: the loser saw at least 0 (its first
            # search), never the -1 that "no search seen" would leave.
            assert 0.0 <= g.loser_max_value <= 1.0


def _material(positions):
    """Uniform priors; a value that likes captures for the side to move."""
    n = positions[0].size ** 2 + 1
    priors = np.full((len(positions), n), 1.0 / n, np.float32)
    values = np.array([np.tanh((p.captures[0] - p.captures[1]) * p.to_play / 2)
                       for p in positions], np.float32)
    return priors, values


def test_gumbel_self_play_records_the_completed_q_policy_not_the_visits():
    import dataclasses

    cfg = dataclasses.replace(CFG, search="gumbel", full_prob=1.0, full_visits=16)
    (g,) = play_games(_material, cfg, [0], seed=(5,))
    ex = g.examples
    assert len(ex) == g.moves > 0
    policy = ex.policy.astype(np.float32)
    np.testing.assert_allclose(policy.sum(1), 1.0, atol=1e-2)
    # The completed-Q policy gives mass to every legal move (unvisited ones through v_mix),
    # where a 16-visit distribution covers at most 16 of the 26 moves.
    assert (policy[0] > 0).sum() > 16


def test_value_mix_blends_the_result_with_the_search_value():
    import dataclasses

    mixed = dataclasses.replace(CFG, value_mix=0.5, full_prob=1.0)
    (g,) = play_games(_material, mixed, [0], seed=(6,))
    (z,) = play_games(_material, dataclasses.replace(mixed, value_mix=0.0), [0], seed=(6,))
    assert g.record.moves == z.record.moves  # the targets change, not the game
    blend = g.examples.value.astype(np.float32)
    result = z.examples.value.astype(np.float32)
    assert set(np.unique(result)) <= {-1.0, 0.0, 1.0}
    assert np.all(np.abs(blend - 0.5 * result) <= 0.5 + 1e-3)  # 0.5 z + 0.5 v, |v| <= 1
    assert not np.allclose(blend, result)


def test_forced_playouts_record_pruned_targets_on_visited_children(monkeypatch):
    """KataGo's forced playouts (selfplay departure 4): a full search's target is the pruned
    visit distribution, whose support lies within the visited children; fast searches and
    k = 0 keep plain PUCT."""
    cfg = dataclasses.replace(CFG, parallel=1, full_visits=24, full_prob=0.7,
                              forced_playouts_k=2.0)
    assert cfg.mcts(True).forced_playouts_k == 2.0  # type: ignore[union-attr]
    assert cfg.mcts(False).forced_playouts_k == 0.0  # type: ignore[union-attr]
    assert CFG.mcts(True).forced_playouts_k == 0.0  # type: ignore[union-attr]
    seen, numbers = [], []
    result = MCTS.result

    def spy(self):
        res = result(self)
        if self.cfg.forced_playouts_k > 0:
            seen.append(res)
            numbers.append(len(self.root.moves))
        return res

    monkeypatch.setattr(MCTS, "result", spy)
    (g,) = play_games(net_evaluate(uniform_evaluator(5)), cfg, [0], seed=(4,))
    policy = g.examples.policy.astype(np.float32)
    assert len(policy) == len(seen) == g.full_searches > 0
    pruned = 0
    for row, res in zip(policy, seen, strict=True):
        np.testing.assert_allclose(row, res.policy_target, atol=2e-3)  # the shard's float16
        assert set(np.flatnonzero(row)) <= set(np.flatnonzero(res.visits))
        pruned += len(np.flatnonzero(row)) < len(np.flatnonzero(res.visits))
    assert pruned > 0  # some visited children (one-visit ones at least) left the target
    # The opening's sampled moves come from the pruned target, not from the raw visits.
    opening = [(i, r) for i, r in zip(numbers, seen, strict=True) if i < cfg.temperature_moves]
    assert opening
    for i, res in opening:
        assert res.policy_target[g.record.moves[i][1]] > 0


def test_forced_playouts_are_refused_for_gumbel_and_settable_from_the_loop_command():
    with pytest.raises(ValueError, match="forced"):
        SelfPlayConfig(search="gumbel", forced_playouts_k=2.0)
    with pytest.raises(ValueError, match="forced"):
        SelfPlayConfig(forced_playouts_k=-1.0)
    args = train_parser().parse_args(["loop", "--selfplay.forced-playouts-k", "2"])
    assert config_from_args(args._config, args).selfplay.forced_playouts_k == 2.0
    args = train_parser().parse_args(["loop"])
    assert config_from_args(args._config, args).selfplay.forced_playouts_k == 0.0


# Start positions (departure 7): on a 5x5 board, B C3 W C2 B B3 W D3 from the empty board.
START = tuple(coords.from_gtp(v, 5) for v in ("C3", "C2", "B3", "D3"))


def test_a_game_from_a_start_position_keeps_its_moves_and_searches_only_after_them():
    cfg = dataclasses.replace(CFG, start_fraction=1.0, full_prob=1.0)
    (g,) = play_games(net_evaluate(uniform_evaluator(5)), cfg, [0], seed=(3,), starts=[START])
    assert g.start == 0 and g.start_moves == 4
    assert tuple(m for _, m in g.record.moves[:4]) == START
    # Every move after the start was a full search, none of the start's: one example each.
    assert len(g.examples) == g.moves - 4
    # The first example is the start itself, Black to move: its value is Black's result.
    assert float(g.examples.value[0]) == float(BLACK * g.winner)


def test_start_fraction_draws_which_games_start_from_a_position():
    cfg = dataclasses.replace(CFG, start_fraction=0.5)
    games = play_games(net_evaluate(uniform_evaluator(5)), cfg, range(12), seed=(4,),
                       starts=[START, START[:2]])
    started = [g for g in games if g.start >= 0]
    assert 0 < len(started) < 12
    for g in started:
        assert g.start_moves == len([START, START[:2]][g.start])
    assert all(g.start_moves == 0 for g in games if g.start < 0)


def test_without_start_positions_the_games_are_unchanged():
    plain = play_games(net_evaluate(uniform_evaluator(5)), CFG, [5], seed=(1,))
    ignored = play_games(net_evaluate(uniform_evaluator(5)), CFG, [5], seed=(1,),
                         starts=[START])
    assert plain[0].record.moves == ignored[0].record.moves and plain[0].start == -1


def test_bad_start_positions_are_refused():
    cfg = dataclasses.replace(CFG, start_fraction=1.0)
    with pytest.raises(ValueError, match="needs start positions"):
        play_games(net_evaluate(uniform_evaluator(5)), cfg, [0])
    occupied = (START[0], START[0])
    with pytest.raises(ValueError, match="move 2 .* illegal"):
        start_position(cfg, occupied)
    with pytest.raises(ValueError, match="already over"):
        start_position(cfg, (25, 25))  # two passes
    with pytest.raises(ValueError, match="start_fraction"):
        SelfPlayConfig(start_fraction=1.5)

"""Specification of AlphaGo's value-network data (rocks.train.valuegames): one position per
game, s_{U+1} after u policy moves and one random move, labelled by how policy play ends."""

import numpy as np
import pandas as pd
import pytest

from rocks.go import coords
from rocks.go import features as F
from rocks.go.board import BLACK, WHITE, Position, Rules
from rocks.nets.evaluator import uniform_evaluator
from rocks.search.contracts import Evaluation
from rocks.train.shards import list_shards, load_examples
from rocks.train.valuegames import (
    ValueDataConfig,
    ValueGamesConfig,
    play_value_games,
    sample_move,
    write_value_data,
)

# Black's eyes are A5 and A3 (legal for Black, but its own eyes); E5, E3 and E1 are White's,
# where Black would be suicide.  Black to move may only pass.
EYES = """
    . X X O .
    X X X O O
    . X X O .
    X X X O O
    X X X O .
"""


def replay(moves, upto: int, size: int, komi: float) -> Position:
    pos = Position.empty(size, komi, Rules())
    for _, move in moves[:upto]:
        pos = pos.play(move)
    return pos


def stored(pos: Position) -> np.ndarray:
    """The planes of ``pos`` as a shard stores them (float16)."""
    return F.position_planes(pos).astype(np.float16)


def test_a_game_gives_one_position_after_u_policy_moves_and_one_random_move():
    cfg = ValueGamesConfig(size=5, komi=0.5, parallel=4, max_u=10)
    games = play_value_games(uniform_evaluator(5), cfg, range(12), seed=(3,))
    assert sorted(g.index for g in games) == list(range(12))
    with_example = [g for g in games if len(g.examples)]
    assert with_example, "uniform policies on 5x5 rarely end before move 11"
    for g in with_example:
        assert len(g.examples) == 1
        assert 0 <= g.u <= 10
        pos = replay(g.record.moves, g.u + 1, 5, 0.5)
        np.testing.assert_array_equal(g.examples.planes[0], stored(pos))
        # z is the final result from the view of the player to move in s_{U+1}
        winner = BLACK if g.record.result.startswith("B") else WHITE
        assert g.winner == winner
        assert g.examples.value[0] == winner * pos.to_play
        assert g.examples.policy_weight[0] == 0 and g.examples.value_weight[0] == 1
    for g in games:
        if not len(g.examples):
            assert g.moves <= g.u


def test_a_game_is_the_same_whatever_games_share_its_batches():
    cfg = ValueGamesConfig(size=5, parallel=1)
    alone = play_value_games(uniform_evaluator(5), cfg, [7], seed=(1,))[0]
    crowd = play_value_games(uniform_evaluator(5), ValueGamesConfig(size=5, parallel=6),
                             range(10), seed=(1,))
    assert next(g for g in crowd if g.index == 7).record.moves == alone.record.moves


def test_the_finishing_policy_plays_every_move_after_the_random_one():
    seen = {"before": [], "after": []}

    def recorder(name):
        inner = uniform_evaluator(5)

        def evaluate(positions):
            seen[name].extend(len(p.moves) for p in positions)
            return inner(positions)
        return evaluate

    cfg = ValueGamesConfig(size=5, parallel=3, max_u=6)
    games = play_value_games(recorder("before"), cfg, range(6), seed=(2,),
                             finish=recorder("after"))
    us = {g.index: g.u for g in games}
    assert max(seen["before"]) < max(us.values())
    assert min(seen["after"]) >= min(us.values()) + 1
    assert len(seen["before"]) == sum(min(g.u, g.moves) for g in games)
    assert len(seen["after"]) == sum(max(g.moves - g.u - 1, 0) for g in games)


def test_more_positions_per_game_are_stride_moves_apart():
    cfg = ValueGamesConfig(size=5, komi=0.5, parallel=4, max_u=4, positions_per_game=3,
                           stride=2)
    games = play_value_games(uniform_evaluator(5), cfg, range(8), seed=(5,))
    long = [g for g in games if g.moves >= g.u + 6]
    assert long
    for g in long:
        assert len(g.examples) == 3
        for k in range(3):
            pos = replay(g.record.moves, g.u + 1 + 2 * k, 5, 0.5)
            np.testing.assert_array_equal(g.examples.planes[k], stored(pos))
            assert g.examples.value[k] == g.winner * pos.to_play


def test_ownership_and_score_are_kept_only_for_games_ended_by_two_passes():
    cfg = ValueGamesConfig(size=5, komi=0.5, parallel=8, max_u=3, max_moves=12)
    games = play_value_games(uniform_evaluator(5), cfg, range(8), seed=(0,))
    for g in games:
        if len(g.examples):
            assert g.examples.aux_weight[0] == (1.0 if g.played_out else 0.0)
    assert any(not g.played_out for g in games)  # 12 moves end no 5x5 game of random play


def test_sampling_never_fills_an_own_eye_or_plays_suicide():
    pos = Position.from_ascii(EYES, komi=0.5, to_play=BLACK)
    n = 25
    priors = np.zeros(n + 1)
    for vertex in ("A5", "A3", "E5", "E3", "E1"):
        priors[coords.from_gtp(vertex, 5)] = 0.2 - 1e-6
    priors[n] = 5e-6
    assert pos.is_legal(coords.from_gtp("A5", 5)) and not pos.is_legal(coords.from_gtp("E3", 5))
    rng = np.random.default_rng(0)
    assert {sample_move(pos, priors, rng) for _ in range(50)} == {n}
    # occupied points get no weight whatever the network says
    stones = np.zeros(n + 1)
    stones[:n][pos.board != 0] = 1.0
    assert sample_move(pos, stones, rng) == n


def test_temperature_sharpens_the_draw():
    pos = Position.empty(5, 0.5, Rules())
    priors = np.zeros(26)
    priors[12], priors[0] = 0.6, 0.4
    rng = np.random.default_rng(0)
    cold = [sample_move(pos, priors, rng, temperature=0.1) for _ in range(200)]
    warm = [sample_move(pos, priors, rng, temperature=1.0) for _ in range(200)]
    assert cold.count(12) > 190  # 0.6^10 : 0.4^10 is 58 : 1
    assert 90 < warm.count(12) < 150


def test_a_network_that_always_passes_ends_games_at_once():
    def passer(positions):
        priors = np.zeros((len(positions), 26), np.float32)
        priors[:, -1] = 1.0
        return Evaluation(priors, np.zeros(len(positions), np.float32))

    games = play_value_games(passer, ValueGamesConfig(size=5, max_u=0), range(3), seed=(0,))
    # u = 0: the random first move, then two passes; s_1 is recorded, White to move
    for g in games:
        assert g.u == 0 and g.moves == 3 and g.played_out
        assert g.examples.value[0] == g.winner * WHITE


@pytest.mark.parametrize("bad", [dict(parallel=0), dict(temperature=0.0), dict(max_u=-1),
                                 dict(positions_per_game=0), dict(in_planes=20)])
def test_bad_configs_are_refused(bad):
    with pytest.raises(ValueError):
        ValueGamesConfig(**bad)


def test_value_data_is_written_in_chunks_split_by_game_and_resumes(tmp_path):
    cfg = ValueDataConfig(out_dir=str(tmp_path / "vd"), games=10, chunk=4, val_chunks=1,
                          play=ValueGamesConfig(size=5, komi=0.5, parallel=4, max_u=6))
    seen = []
    stats = write_value_data(cfg, uniform_evaluator(5), on_chunk=seen.append)
    assert [c["chunk"] for c in seen] == [0, 1, 2] and [c["games"] for c in seen] == [4, 4, 2]
    assert [p.name for p in list_shards(tmp_path / "vd" / "train")] == ["chunk_0000.npz",
                                                                       "chunk_0001.npz"]
    assert [p.name for p in list_shards(tmp_path / "vd" / "val")] == ["chunk_0002.npz"]
    assert stats["games"] == 10
    ex = load_examples(list_shards(tmp_path / "vd" / "train"))
    assert len(ex) == sum(c["examples"] for c in seen[:2]) and (ex.policy_weight == 0).all()
    games = pd.concat(pd.read_csv(f) for f in sorted((tmp_path / "vd" / "games").glob("*.csv")))
    assert sorted(games["index"]) == list(range(10))
    # a killed run loses at most its chunk in flight; a rerun plays only what is missing
    (tmp_path / "vd" / "train" / "chunk_0001.npz").unlink()
    again = []
    write_value_data(cfg, uniform_evaluator(5), on_chunk=again.append)
    assert [c["chunk"] for c in again] == [1]


def test_value_games_from_the_command_line(tmp_path, capsys):
    from rocks.cli import main
    from rocks.nets.checkpoint import save_checkpoint
    from rocks.nets.model import NetConfig, PolicyValueNet

    save_checkpoint(tmp_path / "net.safetensors", PolicyValueNet(NetConfig.from_name("b1c16")))
    assert main(["data", "value-games", "--model", str(tmp_path / "net.safetensors"), "--out",
                 str(tmp_path / "vd"), "--games", "6", "--chunk", "3", "--play.size", "7",
                 "--play.parallel", "3"]) == 0
    assert "6 games" in capsys.readouterr().out
    assert len(list_shards(tmp_path / "vd" / "val")) == 1
    assert main(["data", "value-games", "--model", str(tmp_path / "missing.safetensors"),
                 "--out", str(tmp_path / "vd2"), "--games", "2", "--chunk", "1"]) == 2
    assert "missing.safetensors" in capsys.readouterr().err


def test_value_data_needs_a_training_chunk():
    with pytest.raises(ValueError, match="training chunk"):
        ValueDataConfig(games=4, chunk=4, val_chunks=1)

"""Evaluation games against a GTP engine are kept as SGF records."""

from __future__ import annotations

import pytest

from rocks.engines.commands import gnugo_command
from rocks.go.board import BLACK, Position
from rocks.go.sgf import load_sgf
from rocks.nets.evaluator import uniform_evaluator
from rocks.train.evaluate import play_vs_gtp


@pytest.mark.gnugo
def test_games_against_gnugo_are_written_as_sgf_with_their_result(gnugo, tmp_path):
    res = play_vs_gtp(uniform_evaluator(5), gnugo_command(0, path=gnugo, seed=1), games=2,
                      visits=4, size=5, komi=0.5, sgf_dir=tmp_path / "sgf")
    assert len(res.games) == 2
    for g, (me, winner) in enumerate(res.games):
        record = load_sgf(tmp_path / "sgf" / f"game_{g}.sgf")
        assert (record.black_player == "rocks") == (me == BLACK)
        assert record.size == 5 and record.komi == 0.5 and record.moves
        pos = Position.empty(5, 0.5)
        for _, move in record.moves:  # the record replays legally
            pos = pos.play(move)
        assert record.result[0] == ("B" if winner == BLACK else "W")


def test_net_matches_continue_from_a_game_index_with_its_colour_and_seed(tmp_path):
    from rocks.go.board import WHITE
    from rocks.train.evaluate import play_nets

    whole = play_nets(uniform_evaluator(5), uniform_evaluator(5), games=3, visits=4, size=5,
                      komi=0.5, seed=9)
    tail = play_nets(uniform_evaluator(5), uniform_evaluator(5), games=2, visits=4, size=5,
                     komi=0.5, seed=9, start=1, sgf_dir=tmp_path, names=("rl", "sl"))
    assert [c for c, _ in tail.games] == [WHITE, BLACK]  # games 1 and 2: colours alternate
    first = load_sgf(tmp_path / "game_1.sgf")
    assert first.white_player == "rl" and first.black_player == "sl"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["game_1.sgf", "game_2.sgf"]
    # Game g is a function of (seed, g): the split match replays the whole one's games.
    assert tail.games == whole.games[1:]

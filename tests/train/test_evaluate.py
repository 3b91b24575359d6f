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

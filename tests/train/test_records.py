"""SGF import: examples from every move, targets from the mover's side, a report of skips."""

from __future__ import annotations

import os

import numpy as np
import pytest

from rocks.go import coords, features
from rocks.go.board import BLACK, WHITE
from rocks.go.sgf import write_sgf
from rocks.train.records import (
    ImportConfig,
    augment,
    game_key,
    import_records,
    record_examples,
    result_winner,
)
from rocks.train.shards import list_shards, load_examples


@pytest.fixture
def game(make_game):
    return make_game


def test_results_are_read_from_re():
    assert result_winner("B+3.5") == BLACK
    assert result_winner("W+R") == WHITE
    assert result_winner("0") == 0
    assert result_winner("Void") is None and result_winner(None) is None


def test_one_example_per_move_with_the_move_as_policy_and_result_for_the_mover(game):
    rec = game(["E5", "C3", "G7", "pass", "pass"], result="B+10.5")
    ex = record_examples(rec)
    assert len(ex) == 5
    assert ex.policy[0, coords.from_gtp("E5", 9)] == 1.0
    assert ex.policy[3, 81] == 1.0  # a pass is a move to learn
    # Black wins: +1 on Black's moves (0, 2, 4), -1 on White's.
    np.testing.assert_array_equal(ex.value, [1, -1, 1, -1, 1])
    # The first example is the empty board with Black to move; the second shows Black's stone
    # as the *opponent's* (planes are from the mover's side).
    e5 = coords.from_gtp("E5", 9)
    assert ex.planes[0, features.OWN].sum() == 0
    assert ex.planes[1, features.OPP].ravel()[e5] == 1


def test_played_out_games_give_ownership_and_score_targets(game):
    rec = game(["E5", "pass", "pass"], result="B+73.5")
    ex = record_examples(rec)
    assert ex.aux_weight.min() == 1.0
    assert ex.score[0] == 73.5 and ex.score[1] == -73.5  # the mover's lead
    assert (ex.ownership[0] == 1).all() and (ex.ownership[1] == -1).all()
    resigned = record_examples(game(["E5", "C3"], result="B+R"))
    assert resigned.aux_weight.max() == 0.0


def test_teacher_opening_moves_are_no_policy_targets(game):
    rec = game(["A1", "J9", "E5", "C3"], comment="rocks:opening=2\nteacher game")
    from rocks.train.teacher import opening_length

    ex = record_examples(rec, policy_from=opening_length(rec))
    np.testing.assert_array_equal(ex.policy_weight, [0, 0, 1, 1])
    assert ex.value_weight.min() == 1.0


def test_symmetric_copies_are_one_game(game):
    a = game(["C3", "G7", "E5"])
    b = game(["G3", "C7", "E5"])  # mirrored left-right
    c = game(["C3", "G7", "E4"])
    assert game_key(a) == game_key(b) != game_key(c)


def test_augmentation_moves_planes_policy_and_ownership_together(game):
    ex = record_examples(game(["C3", "G7", "pass", "pass"], result="W+7.5"))
    aug = augment(ex, 8, np.random.default_rng(0))
    assert len(aug) == 8 * len(ex)
    for i in range(len(aug)):
        move = int(np.argmax(aug.policy[i]))
        if move == 81:
            continue
        # Where the target move is, the board was empty before it.
        assert aug.planes[i, features.EMPTY_PLANE].ravel()[move] == 1


def test_import_reports_every_skipped_file(tmp_path, game):
    src = tmp_path / "sgf"
    src.mkdir()
    games = [game(["C3", "G7", "E5", "pass", "pass"], result="B+5.5"),
             game(["G3", "C7", "E5", "pass", "pass"], result="B+5.5"),  # duplicate (mirror)
             game(["D4", "Q16"], size=19),
             game(["E5", "E5"])]  # illegal second move
    for i, g in enumerate(games):
        (src / f"g{i}.sgf").write_text(write_sgf(g))
    (src / "broken.sgf").write_text("(;GM[1]SZ[9];B[ee")
    (src / "empty.sgf").write_text("(;GM[1]SZ[9]KM[7.5])")
    (src / "deeper").mkdir()
    (src / "deeper" / "more.SGF").write_text(write_sgf(game(["E5", "D4", "pass", "pass"],
                                                            result="W+R")))
    rep = import_records(ImportConfig(sources=(str(src),), out_dir=str(tmp_path / "out"),
                                      val_fraction=0.0))
    assert rep.files_read == 7
    assert rep.games_kept == 2
    reasons = rep.reasons()
    assert reasons == {"duplicate": 1, "board size 19 (importing 9)": 1, "illegal move": 1,
                       "unreadable SGF": 1, "no moves": 1}
    assert "broken.sgf" in " ".join(rep.skipped)
    data = load_examples(list_shards(tmp_path / "out" / "train"))
    assert data is not None and len(data) == rep.train_examples == 5 + 4
    assert (tmp_path / "out" / "report.json").exists()


@pytest.mark.timeout(60)
def test_an_import_refuses_files_that_never_end_and_says_why(tmp_path, game):
    src = tmp_path / "sgf"
    src.mkdir()
    (src / "good.sgf").write_text(write_sgf(game(["C3", "G7", "pass", "pass"], result="B+5.5")))
    os.mkfifo(src / "pipe.sgf")  # opening it would wait for a writer forever
    (src / "zero.sgf").symlink_to("/dev/zero")  # reading it would never end
    rep = import_records(ImportConfig(sources=(str(src),), out_dir=str(tmp_path / "out"),
                                      val_fraction=0.0))
    assert rep.games_kept == 1 and rep.reasons() == {"refused": 2}
    assert "FIFO" in rep.skipped[str(src / "pipe.sgf")]
    assert "character device" in rep.skipped[str(src / "zero.sgf")]


def test_handicap_stones_are_on_the_board_and_white_moves_first(tmp_path):
    sgf = "(;GM[1]FF[4]SZ[9]KM[0.5]HA[2]RE[W+R]AB[cc][gg];W[ee];B[ce])"
    (tmp_path / "h.sgf").write_text(sgf)
    from rocks.go.sgf import load_sgf

    ex = record_examples(load_sgf(tmp_path / "h.sgf"))
    assert len(ex) == 2
    np.testing.assert_array_equal(ex.value, [1, -1])  # White (to move first) won
    # White to move: Black's two handicap stones are the opponent's.
    assert ex.planes[0, features.OPP].sum() == 2 and ex.planes[0, features.OWN].sum() == 0
    assert ex.policy[0, coords.from_gtp("E5", 9)] == 1.0

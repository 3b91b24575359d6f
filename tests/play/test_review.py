"""`rocks review`: every position analysed, the three outputs written, a bad move caught.

The example games (examples/game-9x9.sgf, examples/game-19x19.sgf) were played by the shipped
model at 24 visits, except one move each forced to the corner point A1 (9x9 move 13, 19x19
move 21): a move no player would choose, which a review must list among the mistakes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rocks.go import coords
from rocks.go.board import BLACK
from rocks.go.sgf import load_sgf, read_sgf
from rocks.play.analyst import Analyst
from rocks.play.review import ReviewConfig, annotated_sgf, review_game, run_review, size_note
from tests.play.test_analysis_engine import fake_net

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "rocks-9x9-b6c64.safetensors"
GAME_9 = ROOT / "examples" / "game-9x9.sgf"
GAME_19 = ROOT / "examples" / "game-19x19.sgf"


@pytest.fixture(scope="module")
def review_9x9(tmp_path_factory):
    if not MODEL.is_file():
        pytest.skip("the shipped model is not in this checkout")
    out = tmp_path_factory.mktemp("review9")
    config = ReviewConfig(str(GAME_9), visits=16, out=str(out), model=str(MODEL), quiet=True,
                          precision="fp32")
    return run_review(config), out


def test_the_deliberately_bad_move_is_black_s_biggest_mistake(review_9x9):
    review, _ = review_9x9
    worst = review.mistakes[BLACK]
    assert worst and worst[0].number == 13
    assert coords.to_gtp(worst[0].move, 9) == "A1" and worst[0].loss >= 2.0
    assert worst[0].best is not None and worst[0].best != worst[0].move


def test_the_review_writes_an_annotated_sgf_a_mistake_list_and_a_graph(review_9x9):
    review, out = review_9x9
    assert {p.name for p in out.iterdir()} == {"game-9x9-review.sgf", "mistakes.txt",
                                               "graph.png"}
    assert (out / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "move  13   A1" in (out / "mistakes.txt").read_text()
    text = (out / "game-9x9-review.sgf").read_text()
    annotated = read_sgf(text)  # the main line is still the game
    assert annotated.moves == load_sgf(GAME_9).moves
    comment = dict(annotated.comments)[13]
    assert "Point loss:" in comment and "Best:" in comment and "Variation:" in comment
    assert "SBKV[" in text and "BM[1]" in text
    assert "never seen" not in review.summary  # the model knows 9x9


def test_a_19x19_review_says_the_model_never_saw_the_size(tmp_path):
    analyst = Analyst(fake_net(), seed=0)
    review = run_review(ReviewConfig(str(GAME_19), visits=2, out=str(tmp_path), model=str(MODEL),
                                     quiet=True), analyst=analyst)
    assert "never seen 19x19" in review.summary
    assert len(review.moves) == len(load_sgf(GAME_19).moves)
    assert "never seen 19x19" in (tmp_path / "game-19x19-review.sgf").read_text()
    assert (tmp_path / "graph.png").is_file() and (tmp_path / "mistakes.txt").is_file()


def test_size_note_reads_the_size_from_the_model_name():
    assert size_note("models/rocks-9x9-b6c64.safetensors", 9) is None
    assert "13x13" in size_note("models/rocks-9x9-b6c64.safetensors", 13)
    assert "does not record" in size_note("mystery.safetensors", 9)
    assert size_note(None, 19) is None


def test_variations_are_sgf_branches_beside_the_move_played():
    record = load_sgf(GAME_9)
    review = review_game(record, Analyst(fake_net(), seed=0), visits=4, mistakes=2,
                         min_loss=0.0)
    text = annotated_sgf(review)
    assert text.count("(") == text.count(")")
    assert "rocks: better than" in text
    assert read_sgf(text).moves == record.moves

"""Specification of the plain rules (rocks.go.board), written as small ASCII boards."""

import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove, Position, Rules


def test_capture_of_a_single_stone_in_the_corner():
    pos = Position.from_ascii("""
        . O . . .
        O X O . .
        . . . . .
        . . . . .
        . . . . .
    """, to_play=WHITE)
    after = pos.play_gtp("B3")  # B3 on 5x5 is row 2, col 1: below the X
    assert after.board[coords.from_gtp("B4", 5)] == 0
    assert after.captures == (0, 1)


def test_suicide_is_forbidden_by_default_and_allowed_by_option():
    text = """
        . O . . .
        O . . . .
        . . . . .
        . . . . .
        . . . . .
    """
    a1 = coords.from_gtp("A5", 5)
    assert not Position.from_ascii(text).is_legal(a1)
    pos = Position.from_ascii(text, rules=Rules(suicide=True))
    # a lone-stone suicide recreates the current board, which positional superko forbids
    assert not pos.is_legal(a1)
    pos = Position.from_ascii(text, rules=Rules(suicide=True, superko="none"))
    after = pos.play(a1)
    assert after.board[a1] == 0 and after.captures == (0, 1)


def test_multi_stone_suicide_removes_own_chain_when_allowed():
    pos = Position.from_ascii("""
        X . O . .
        O O . . .
        . . . . .
        . . . . .
        . . . . .
    """, rules=Rules(suicide=True))
    after = pos.play_gtp("B5")
    assert after.board[coords.from_gtp("A5", 5)] == 0
    assert after.board[coords.from_gtp("B5", 5)] == 0
    assert after.captures == (0, 2)


def test_simple_ko_cannot_be_retaken_immediately():
    pos = Position.from_ascii("""
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
    """)
    pos = pos.play_gtp("C4")  # black takes the white stone at B4
    assert pos.ko == coords.from_gtp("B4", 5)
    with pytest.raises(IllegalMove, match="ko"):
        pos.play_gtp("B4")
    pos = pos.play_gtp("E1", "E2")  # ko threat and answer
    pos.play_gtp("B4")  # now legal


def test_two_passes_end_the_game_and_area_scoring_counts_territory():
    pos = Position.from_ascii("""
        . X O .
        . X O .
        . X O .
        . X O .
    """, komi=0.5)
    pos = pos.play_gtp("pass", "pass")
    assert pos.is_game_over()
    assert pos.area() == (8, 8)
    assert pos.score() == -0.5
    assert pos.result_string() == "W+0.5"


def test_integer_komi_allows_a_draw():
    pos = Position.from_ascii("""
        . X O .
        . X O .
        . X O .
        . X O .
    """, komi=0)
    assert pos.result_string() == "0"


def test_play_returns_a_new_position_and_keeps_the_old():
    pos = Position.empty(9)
    after = pos.play(coords.from_gtp("E5", 9))
    assert pos.board.sum() == 0 and after.board.sum() == 1
    assert after.to_play == WHITE and pos.to_play == BLACK


def test_legal_moves_mask_has_pass_last():
    mask = Position.empty(5).legal_moves()
    assert mask.shape == (26,) and mask.all()

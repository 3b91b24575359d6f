"""Ko, positional superko and suicide, as ASCII boards, on the plain Position and the FastBoard.

Each case is played on both implementations through the same small adapter, so the two are
held to one specification.  GTP vertices: columns A.. from the left, rows counted from the
bottom.
"""

from __future__ import annotations

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove, Position, Rules
from rocks.go.fast import FastBoard

PSK = Rules(suicide=False, superko="positional")
SIMPLE_KO = Rules(suicide=False, superko="none")


class Game:
    """One game on either implementation: ``play`` moves, ask ``reason`` a move is illegal."""

    def __init__(self, kind: str, pos: Position) -> None:
        self.kind = kind
        self.state: Position | FastBoard = FastBoard.from_position(pos) if kind == "fast" else pos

    def play(self, *vertices: str) -> None:
        for v in vertices:
            move = coords.from_gtp(v, self.state.size)
            if isinstance(self.state, FastBoard):
                self.state.play(move)
            else:
                self.state = self.state.play(move)

    def reason(self, vertex: str) -> str | None:
        return self.state.illegal_reason(coords.from_gtp(vertex, self.state.size))

    def stone(self, vertex: str) -> int:
        return int(self.state.board[coords.from_gtp(vertex, self.state.size)])

    @property
    def captures(self) -> tuple[int, int]:
        return self.state.captures

    @property
    def board(self) -> np.ndarray:
        return np.array(self.state.board)


KINDS = pytest.mark.parametrize("kind", ["plain", "fast"])

# Three kos; Black can take at C8 and C2, White at B5.
TRIPLE_KO = """
    . X O . . . . . .
    X O . O . . . . .
    . X O . . . . . .
    . X O . . . . . .
    X . X O . . . . .
    . X O . . . . . .
    . X O . . . . . .
    X O . O . . . . .
    . X O . . . . . .
"""


@KINDS
def test_triple_ko_cycle_is_cut_by_positional_superko(kind: str) -> None:
    game = Game(kind, Position.from_ascii(TRIPLE_KO, rules=PSK))
    start = game.board
    # Each take is a legal simple-ko move: the ko just taken is never the one retaken.
    game.play("C8", "B5", "C2", "B8", "C5")
    assert game.captures == (3, 2)
    # White's retake at B2 would bring back the starting board.
    assert "superko" in game.reason("B2")
    with pytest.raises(IllegalMove, match="superko"):
        game.play("B2")
    game.play("J9")  # anything else is fine
    assert game.stone("J9") == WHITE
    assert not np.array_equal(game.board, start)


@KINDS
def test_triple_ko_cycles_forever_without_superko(kind: str) -> None:
    game = Game(kind, Position.from_ascii(TRIPLE_KO, rules=SIMPLE_KO))
    start = game.board
    for _ in range(3):
        game.play("C8", "B5", "C2", "B8", "C5", "B2")
        assert np.array_equal(game.board, start)
    assert game.captures == (9, 9)


# Black's B5 has two liberties, A5 and C5; White's A4-B4 and Black's C4, D5 stand around it.
SENDING_TWO = """
    . X . X .
    O O X . .
    . . . . .
    . . . . .
    . . . . .
"""


@KINDS
def test_sending_two_returning_one(kind: str) -> None:
    game = Game(kind, Position.from_ascii(SENDING_TWO, rules=PSK))
    start = game.board
    game.play("A5")  # sends two: A5-B5 is in atari at C5
    game.play("C5")  # White takes two
    assert game.captures == (0, 2) and game.stone("B5") == 0
    # Returning one (B5 takes C5) has two liberties, so it is no simple ko; but it would
    # recreate the starting board, which positional superko forbids.
    assert "superko" in game.reason("B5")
    game = Game(kind, Position.from_ascii(SENDING_TWO, rules=SIMPLE_KO))
    game.play("A5", "C5", "B5")
    assert np.array_equal(game.board, start)
    assert game.captures == (1, 2)


SIMPLE_KO_BOARD = """
    . X O . .
    X O . O .
    . X O . .
    . . . . .
    . . . . .
"""


@KINDS
@pytest.mark.parametrize("rules", [PSK, SIMPLE_KO], ids=["psk", "simple"])
def test_simple_ko_forbids_the_immediate_retake_only(kind: str, rules: Rules) -> None:
    game = Game(kind, Position.from_ascii(SIMPLE_KO_BOARD, rules=rules))
    game.play("C4")  # Black takes B4
    assert game.captures == (1, 0)
    assert game.reason("B4").startswith("ko")
    game.play("E1", "E2")  # a ko threat and its answer
    assert game.reason("B4") is None
    game.play("B4")  # White retakes
    assert game.stone("C4") == 0 and game.captures == (1, 1)
    assert game.reason("C4").startswith("ko")


@KINDS
def test_snapback_is_not_ko(kind: str) -> None:
    game = Game(kind, Position.from_ascii("""
        . . X . .
        O O X . .
        X X . . .
        . . . . .
        . . . . .
    """, rules=PSK))
    game.play("A5")  # throw-in: a stone in atari at B5
    game.play("B5")  # White takes it; A4-B4-B5 is left with one liberty, A5
    assert game.captures == (0, 1)
    assert game.reason("A5") is None  # one stone took one, but the taker had three stones
    game.play("A5")  # snapback
    assert game.captures == (3, 1)


SINGLE_SUICIDE = """
    . O . . .
    O . . . .
    . . . . .
    . . . . .
    . . . . .
"""


@KINDS
def test_single_stone_suicide(kind: str) -> None:
    assert Game(kind, Position.from_ascii(SINGLE_SUICIDE)).reason("A5").startswith("suicide")
    # Allowed by the rules, it recreates the board: positional superko forbids it too.
    game = Game(kind, Position.from_ascii(SINGLE_SUICIDE, rules=Rules(suicide=True)))
    assert "superko" in game.reason("A5")
    game = Game(kind, Position.from_ascii(SINGLE_SUICIDE,
                                          rules=Rules(suicide=True, superko="none")))
    start = game.board
    game.play("A5")
    assert np.array_equal(game.board, start)
    assert game.captures == (0, 1)  # the lost stone counts for White
    assert game.state.to_play == WHITE


MULTI_SUICIDE = """
    . X O . .
    X X O . .
    O O . . .
    . . . . .
    . . . . .
"""


@KINDS
@pytest.mark.parametrize("superko", ["positional", "none"])
def test_multi_stone_suicide(kind: str, superko: str) -> None:
    assert Game(kind, Position.from_ascii(MULTI_SUICIDE)).reason("A5").startswith("suicide")
    game = Game(kind, Position.from_ascii(MULTI_SUICIDE,
                                          rules=Rules(suicide=True, superko=superko)))
    game.play("A5")  # fills Black's last liberty: all four black stones leave the board
    assert [game.stone(v) for v in ("A5", "B5", "A4", "B4")] == [0, 0, 0, 0]
    assert game.captures == (0, 4)
    assert game.stone("C5") == WHITE and game.state.to_play == WHITE


@KINDS
def test_a_move_without_liberties_that_captures_is_not_suicide(kind: str) -> None:
    game = Game(kind, Position.from_ascii("""
        . O X . .
        O X . . .
        X . . . .
        . . . . .
        . . . . .
    """, to_play=BLACK))
    assert game.reason("A5") is None  # no liberty of its own, but takes B5 and A4
    game.play("A5")
    assert game.captures == (2, 0) and game.stone("A5") == BLACK

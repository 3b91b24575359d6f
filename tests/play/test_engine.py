"""Specification of the Engine (rocks.play.engine) and the simple players."""

from __future__ import annotations

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove, Position, Rules
from rocks.go.sgf import SgfError
from rocks.play.decision import Decision, Player
from rocks.play.engine import (
    Engine,
    EngineConfig,
    EngineError,
    fixed_handicap_points,
    free_handicap_points,
    max_fixed_handicap,
)
from rocks.play.players import PassPlayer, RandomPlayer


def v(name: str, size: int = 9) -> int:
    return coords.from_gtp(name, size)


def names(points: list[int], size: int) -> list[str]:
    return [coords.to_gtp(p, size) for p in points]


class ScriptedPlayer:
    """Plays the given moves in order (a fake player for tests)."""

    name = "scripted"

    def __init__(self, moves: list[int], resign: bool = False) -> None:
        self.moves = list(moves)
        self.resign = resign
        self.budgets: list[float] = []

    def select_move(self, position: Position, time_budget_s: float) -> Decision:
        self.budgets.append(time_budget_s)
        if self.resign:
            return Decision(move=position.pass_move, resign=True)
        return Decision(move=self.moves.pop(0), winrate=0.5)


@pytest.mark.parametrize("make", [lambda: RandomPlayer(seed=1), PassPlayer,
                                  lambda: ScriptedPlayer([v("C3", 5), v("D4", 5)])])
def test_players_keep_the_protocol_with_the_engine(make):
    # The Player contract, as the engine relies on it: a name, and for each position with
    # either colour to move a Decision holding a legal move of that position, which the
    # engine plays; players keep no game state of their own.
    player: Player = make()
    assert isinstance(player.name, str) and player.name
    engine = Engine(EngineConfig(size=5), player)
    for colour in (BLACK, WHITE):
        before = engine.position_for(colour)
        decision = player.select_move(before, 0.5)
        assert isinstance(decision, Decision) and not decision.resign
        assert before.is_legal(decision.move)
    engine = Engine(EngineConfig(size=5), make())
    played = [engine.genmove(colour).move for colour in (BLACK, WHITE)]
    assert [m for _, m in engine.position.moves] == played


def test_new_game_and_play():
    engine = Engine(EngineConfig(size=9, komi=7.5))
    assert engine.size == 9 and engine.komi == 7.5 and engine.position.to_play == BLACK
    engine.play(BLACK, v("E5"))
    engine.play(WHITE, v("C3"))
    assert engine.position.board[v("E5")] == BLACK and engine.position.board[v("C3")] == WHITE
    engine.new_game(size=5, komi=0.5)
    assert engine.size == 5 and engine.komi == 0.5 and not engine.position.board.any()
    assert engine.legal_moves().shape == (26,)


def test_an_illegal_move_changes_nothing():
    engine = Engine(EngineConfig(size=9))
    engine.play(BLACK, v("E5"))
    before = engine.history
    with pytest.raises(IllegalMove, match="occupied"):
        engine.play(WHITE, v("E5"))
    assert engine.history == before


def test_playing_out_of_turn_is_allowed_and_recorded():
    engine = Engine(EngineConfig(size=9))
    engine.play(BLACK, v("E5"))
    engine.play(BLACK, v("D4"))
    assert engine.position.to_play == WHITE
    assert engine.position.moves == ((BLACK, v("E5")), (BLACK, v("D4")))
    again = Engine()
    again.load_sgf(engine.to_sgf())
    assert again.position.hash == engine.position.hash


def test_out_of_turn_play_lifts_the_simple_ko_ban_for_the_capturer():
    pos = Position.from_ascii("""
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
    """)
    engine = Engine(EngineConfig(size=5))
    engine.load_record(_record_of(pos))
    engine.play(BLACK, v("C4", 5))  # takes the white stone at B4: a ko
    assert engine.position.ko == v("B4", 5)
    with pytest.raises(IllegalMove, match="ko"):
        engine.play(WHITE, v("B4", 5))
    engine.play(BLACK, v("B4", 5))  # black fills the ko out of turn: allowed
    assert engine.position.board[v("B4", 5)] == BLACK


def _record_of(pos: Position):
    from rocks.go.sgf import GameRecord

    return GameRecord(size=pos.size, komi=pos.komi,
                      black_setup=tuple(int(p) for p in np.flatnonzero(pos.board == BLACK)),
                      white_setup=tuple(int(p) for p in np.flatnonzero(pos.board == WHITE)))


def test_genmove_plays_the_players_move_and_reports_the_decision():
    engine = Engine(EngineConfig(size=9), ScriptedPlayer([v("C3"), v("G7")]))
    d = engine.genmove(BLACK)
    assert d.move == v("C3") and d.winrate == 0.5 and d.elapsed_s >= 0
    assert engine.position.board[v("C3")] == BLACK
    d = engine.genmove(WHITE, play=False)
    assert d.move == v("G7") and engine.position.board[v("G7")] == 0
    assert engine.last_decision == d


def test_a_player_that_chooses_an_illegal_move_is_refused():
    engine = Engine(EngineConfig(size=9), ScriptedPlayer([v("C3"), v("C3")]))
    engine.genmove(BLACK)
    with pytest.raises(EngineError, match="illegal move"):
        engine.genmove(WHITE)
    assert engine.position.moves == ((BLACK, v("C3")),)


def test_resignation_plays_nothing():
    engine = Engine(EngineConfig(size=9), ScriptedPlayer([], resign=True))
    assert engine.genmove(BLACK).resign
    assert engine.position.moves == ()


def test_undo_walks_back_and_then_refuses():
    engine = Engine(EngineConfig(size=9))
    engine.play(BLACK, v("E5"))
    engine.play(WHITE, v("C3"))
    engine.undo()
    assert engine.position.moves == ((BLACK, v("E5")),)
    engine.undo()
    assert engine.position.moves == () and engine.position.to_play == BLACK
    with pytest.raises(EngineError, match="cannot undo"):
        engine.undo()


def test_random_player_never_fills_its_own_eye_and_passes_at_the_end():
    pos = Position.from_ascii("""
        . X . X .
        X X X X X
        X X X X X
        X X X X X
        X X X X .
    """)
    decision = RandomPlayer(seed=0).select_move(pos, 1.0)
    assert decision.move == pos.pass_move and not decision.resign
    engine = Engine(EngineConfig(size=7), RandomPlayer(seed=1))
    while not engine.is_game_over():
        move = engine.genmove(engine.position.to_play).move
        assert move == engine.position.pass_move or not engine.position.previous.is_eye(move)
    assert engine.position.passes == 2
    assert engine.result_string() == Position.result_string(engine.position)


def test_random_player_is_reproducible_with_a_seed():
    a = Engine(EngineConfig(size=9), RandomPlayer(seed=7))
    b = Engine(EngineConfig(size=9), RandomPlayer(seed=7))
    for _ in range(20):
        assert a.genmove(a.position.to_play).move == b.genmove(b.position.to_play).move


def test_fixed_handicap_follows_the_gtp_placement():
    assert names(fixed_handicap_points(19, 2), 19) == ["D4", "Q16"]
    assert names(fixed_handicap_points(19, 3), 19) == ["D4", "Q16", "D16"]
    assert set(names(fixed_handicap_points(19, 5), 19)) == {"D4", "Q16", "D16", "Q4", "K10"}
    assert set(names(fixed_handicap_points(19, 6), 19)) == {"D4", "Q16", "D16", "Q4", "D10",
                                                           "Q10"}
    assert set(names(fixed_handicap_points(19, 8), 19)) == {"D4", "Q16", "D16", "Q4", "D10",
                                                           "Q10", "K4", "K16"}
    assert set(names(fixed_handicap_points(9, 4), 9)) == {"C3", "G7", "C7", "G3"}
    assert [max_fixed_handicap(s) for s in (5, 6, 7, 8, 9, 10, 13, 19)] == [0, 0, 4, 4, 9, 4,
                                                                            9, 9]
    for size, n in [(9, 10), (7, 5), (5, 2), (19, 1)]:
        with pytest.raises(EngineError, match="stones|no fixed handicap"):
            fixed_handicap_points(size, n)


def test_handicap_game_starts_with_white_to_move():
    engine = Engine(EngineConfig(size=19))
    engine.new_game(size=19, komi=0.5, handicap=4)
    assert engine.position.to_play == WHITE and engine.handicap == 4
    assert int((engine.position.board == BLACK).sum()) == 4
    with pytest.raises(EngineError, match="board not empty"):
        engine.fixed_handicap(2)
    record = engine.to_record()
    assert record.handicap == 4 and record.first_player == WHITE


def test_free_handicap_spreads_stones_and_set_handicap_checks_its_list():
    points = free_handicap_points(9, 12)
    assert len(set(points)) == 12 and points[:9] == fixed_handicap_points(9, 9)
    engine = Engine(EngineConfig(size=9))
    with pytest.raises(EngineError, match="bad vertex list"):
        engine.set_handicap([v("C3"), v("C3")])
    with pytest.raises(EngineError, match="bad vertex list"):
        engine.set_handicap([v("C3")])
    with pytest.raises(EngineError, match="bad vertex list"):
        engine.set_handicap([81, v("C3")])
    assert engine.position.moves == () and not engine.position.board.any()
    engine.set_handicap([v("A1"), v("J9"), v("E5")])
    assert engine.position.to_play == WHITE and engine.handicap == 3


def test_komi_changes_without_touching_the_game():
    engine = Engine(EngineConfig(size=9, komi=7.5))
    engine.play(BLACK, v("E5"))
    engine.set_komi(0)
    assert engine.komi == 0 and engine.position.moves == ((BLACK, v("E5")),)
    engine.undo()
    assert engine.komi == 0


def test_score_is_tromp_taylor():
    engine = Engine(EngineConfig(size=5, komi=0.5))
    for move in ("C1", "C2", "C3", "C4", "C5"):
        engine.play(BLACK, v(move, 5))
    assert engine.score() == 25 - 0.5 and engine.result_string() == "B+24.5"
    assert engine.final_status("dead") == []
    assert len(engine.final_status("alive")) == 5


def test_time_budget_follows_the_clock():
    engine = Engine(EngineConfig(size=9, default_move_time_s=2.0, safety=0.1,
                                 min_moves_left=10))
    assert engine.time_budget(BLACK) == 2.0
    engine.set_time(0, 30, 10)  # pure byo-yomi: 30 s for 10 stones
    assert engine.time_budget(BLACK) == pytest.approx(0.9 * 3.0)
    engine.set_time(400, 0, 0)  # 400 s sudden death; 81 empty points -> 40 moves left
    assert engine.time_budget(WHITE) == pytest.approx(0.9 * 400 / 40)
    engine.set_time_left(WHITE, 20, 0)
    assert engine.time_budget(WHITE) == pytest.approx(0.9 * 20 / 40)
    engine.set_time(60, 10, 5)
    engine.set_time_left(BLACK, 8, 4)  # in byo-yomi: 8 s for the 4 stones left
    assert engine.time_budget(BLACK) == pytest.approx(0.9 * 2.0)
    engine.set_time(0, 5, 0)  # byo-yomi time with no stones: no limit, per GTP
    assert engine.time_budget(BLACK) == 2.0
    with pytest.raises(EngineError):
        engine.set_time(-1, 0, 0)


def test_time_settings_survive_a_new_game_but_time_left_does_not():
    engine = Engine(EngineConfig(size=9))
    engine.set_time(0, 30, 10)
    engine.set_time_left(BLACK, 3, 1)
    engine.clear_board()
    assert engine.clocks[BLACK].byo_yomi_s == 30 and engine.clocks[BLACK].time_left_s is None


def test_the_player_receives_the_budget():
    player = ScriptedPlayer([v("E5")])
    engine = Engine(EngineConfig(size=9), player)
    engine.set_time(0, 10, 5)
    engine.genmove(BLACK)
    assert player.budgets == [pytest.approx(0.9 * 2.0)]


def test_sgf_save_and_load_through_the_engine():
    engine = Engine(EngineConfig(size=9, komi=6.5, rules=Rules(suicide=True)),
                    RandomPlayer(seed=3))
    for _ in range(30):
        engine.genmove(engine.position.to_play)
    text = engine.to_sgf()
    other = Engine()
    other.load_sgf(text)
    assert other.position.hash == engine.position.hash
    assert other.komi == 6.5 and other.rules == Rules(suicide=True)
    assert len(other.history) == 31  # the undo history is the record's moves
    other.undo()
    assert other.position.hash == engine.history[-2].hash
    other.load_sgf(text, move_number=11)
    assert other.position.move_number == 10


def test_loading_bad_sgf_keeps_the_game():
    engine = Engine(EngineConfig(size=9))
    engine.play(BLACK, v("E5"))
    with pytest.raises(SgfError):
        engine.load_sgf("(;GM[1]SZ[9];B[ee];W[ee])")
    assert engine.position.moves == ((BLACK, v("E5")),)

"""Specification of the match driver (rocks.engines.match): real engines and scripted fakes."""

from __future__ import annotations

import sys

import pytest

from rocks.engines.commands import gnugo_command, rocks_gtp_command
from rocks.engines.gtp_client import GtpClient
from rocks.engines.match import MatchConfig, play_game
from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position
from rocks.go.sgf import load_sgf

# A GTP engine that answers genmove from a script: vertices, "resign", "sleep" (hangs),
# "slow" (0.5 s, then pass), "die" (exits), and refuses "play" of any vertex in REFUSE.
FAKE = r"""
import sys, time
script = sys.argv[1].split(",") if sys.argv[1] else []
refuse = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else set()
for line in sys.stdin:
    ident, _, cmd = line.strip().partition(" ")
    words = cmd.split()
    reply, ok = "", True
    if words[0] == "genmove":
        move = script.pop(0) if script else "pass"
        if move == "sleep":
            time.sleep(60)
        if move == "slow":
            time.sleep(0.5)
            move = "pass"
        if move == "die":
            sys.exit(1)
        reply = move
    elif words[0] == "play" and words[2].upper() in refuse:
        reply, ok = "illegal move", False
    elif words[0] == "final_score":
        reply, ok = "cannot score", False
    elif words[0] == "quit":
        print(f"={ident}\n", flush=True)
        break
    print(f"{'=' if ok else '?'}{ident} {reply}\n", flush=True)
"""


def fake(name: str, moves: str = "", refuse: str = "") -> GtpClient:
    return GtpClient([sys.executable, "-c", FAKE, moves, refuse], name=name, timeout_s=30)


def test_a_scripted_game_ends_on_two_passes_and_is_scored(tmp_path):
    with fake("b", "C3,C2,C1,C4,C5,pass") as black, fake("w", "D3,D2,D1,D4,D5") as white:
        result = play_game(black, white, MatchConfig(size=5, komi=0.5),
                           sgf_path=tmp_path / "g.sgf", date="2026-11-25")
    # Black owns columns A-C (15), White D-E (10): B+4.5 by Tromp-Taylor.
    assert (result.result, result.reason, result.winner) == ("B+4.5", "two passes", BLACK)
    assert result.score == 4.5 and result.moves == 12
    assert result.black_says is None and result.white_says is None  # fakes cannot score
    record = load_sgf(tmp_path / "g.sgf")
    assert record.result == "B+4.5" and record.black_player == "b" and record.date == "2026-11-25"
    assert record.moves == result.record.moves
    assert "Tromp-Taylor B+4.5" in record.comments[0][1]


def test_resignation():
    with fake("b", "C3,resign") as black, fake("w", "D3") as white:
        result = play_game(black, white, MatchConfig(size=5))
    assert (result.result, result.reason, result.winner, result.moves) == \
        ("W+R", "resign", WHITE, 2)


def test_an_illegal_move_forfeits():
    with fake("b", "C3,C3") as black, fake("w", "C3") as white:
        result = play_game(black, white, MatchConfig(size=5))
    assert (result.result, result.reason, result.winner) == ("B+F", "illegal move", BLACK)
    assert "w played 'C3'" in result.detail and "occupied" in result.detail


def test_an_unreadable_move_forfeits():
    with fake("b", "Z99") as black, fake("w") as white:
        result = play_game(black, white, MatchConfig(size=5))
    assert (result.result, result.reason) == ("W+F", "illegal move")


def test_a_timeout_and_a_crash_lose():
    with fake("b", "sleep") as black, fake("w") as white:
        result = play_game(black, white, MatchConfig(size=5, move_timeout_s=0.5))
    assert (result.result, result.reason) == ("W+T", "timeout")
    with fake("b", "C3") as black, fake("w", "die") as white:
        result = play_game(black, white, MatchConfig(size=5))
    assert (result.result, result.reason) == ("B+F", "engine died")
    assert "exited" in result.detail


def test_overrunning_the_clock_loses_on_time():
    with fake("b", "slow") as black, fake("w") as white:
        result = play_game(black, white, MatchConfig(size=5, time_settings=(0.2, 0.1, 1)))
    assert (result.result, result.reason) == ("W+T", "time")


def test_engines_that_disagree_about_the_rules_stop_the_game():
    with fake("b", "C3") as black, fake("w", "", refuse="C3") as white:
        result = play_game(black, white, MatchConfig(size=5))
    assert (result.result, result.reason, result.winner) == ("Void", "rules disagreement", None)


def test_opening_moves_are_played_for_both_and_recorded():
    with fake("b", "C1,pass") as black, fake("w", "D1,pass") as white:
        result = play_game(black, white, MatchConfig(size=5),
                           opening=[coords.from_gtp("A1", 5), coords.from_gtp("E5", 5)])
    assert [coords.to_gtp(m, 5) for _, m in result.record.moves] == \
        ["A1", "E5", "C1", "D1", "pass", "pass"]
    with fake("b") as black, fake("w", refuse="A1") as white:
        result = play_game(black, white, MatchConfig(size=5), opening=[coords.from_gtp("A1", 5)])
    assert (result.result, result.reason) == ("Void", "rules disagreement")


def test_the_move_limit_ends_the_game():
    with GtpClient(rocks_gtp_command("--player", "random", "--seed", "1")) as black, \
            GtpClient(rocks_gtp_command("--player", "random", "--seed", "2")) as white:
        result = play_game(black, white, MatchConfig(size=7, komi=7, max_moves=10))
    assert result.reason == "move limit" and result.moves == 10
    for side in (0, 1):  # each side's slowest move is one of its five, so within its total
        assert 0 < result.longest[side] <= result.seconds[side] < 5 * result.longest[side] + 1e-9
    final = Position.empty(7, 7)
    for _, move in result.record.moves:
        final = final.play(move)
    assert result.score == final.score()
    assert result.black_says == result.white_says == final.result_string()


@pytest.mark.gnugo
def test_rocks_random_against_gnugo_on_9x9_scored_by_both(gnugo, tmp_path):
    cfg = MatchConfig(size=9, komi=7.5, move_timeout_s=60)
    with GtpClient(rocks_gtp_command("--player", "random", "--seed", "4"),
                   name="rocks-random") as rocks, \
            GtpClient(gnugo_command(level=1, path=gnugo), name="gnugo") as gnu:
        result = play_game(rocks, gnu, cfg, sgf_path=tmp_path / "rocks-gnugo.sgf")
    assert result.reason == "two passes"
    # Played out (GNU Go removes dead stones before passing), so all three scores agree.
    assert result.black_says == result.white_says == result.result
    assert result.winner == WHITE  # a random player does not beat GNU Go
    record = load_sgf(tmp_path / "rocks-gnugo.sgf")
    assert record.result == result.result and len(record.moves) == result.moves
    assert record.final_position().is_game_over()
    assert coords.to_gtp(record.moves[-1][1], 9) == "pass"

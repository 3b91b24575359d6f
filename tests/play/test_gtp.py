"""Specification of the GTP v2 front end (rocks.play.gtp), as transcripts with exact responses."""

from __future__ import annotations

import io
import os
import time

import pytest

from rocks.go import coords
from rocks.go.board import BLACK, Position
from rocks.go.sgf import read_sgf
from rocks.play.decision import Decision
from rocks.play.engine import Engine, EngineConfig
from rocks.play.gtp.command import build_gtp
from rocks.play.gtp.protocol import GtpEngine, GtpError, clean_line, gtp_name
from rocks.play.players import RandomPlayer

# A whole 5x5 game with errors mid-game: (input line, exact response or None for no response).
# Black walls off columns A-C, White D-E; White's invader at B3 is captured.
GAME_TRANSCRIPT: list[tuple[str, str | None]] = [
    ("1 protocol_version", "=1 2"),
    ("name", "= rocks"),
    ("boardsize 5", "= "),
    ("clear_board", "= "),
    ("komi 0.5", "= "),
    ("play b c3", "= "),
    ("play w c3", "? illegal move"),
    ("foo", "? unknown command"),
    ("10 play b z9", "?10 syntax error: 'z9' is not a vertex of this 5x5 board"),
    ("play black F1", "? syntax error: 'F1' is not a vertex of this 5x5 board"),
    ("boardsize 99", "? unacceptable size"),
    ("boardsize abc", "? syntax error: size must be an integer, got 'abc'"),
    ("play x c3", "? syntax error: expected a colour (black or white), got 'x'"),
    ("play b", "? syntax error: usage: play color vertex"),
    ("\x01\x02garbage\tline ### comment", "? unknown command"),
    ("   # only a comment", None),
    ("", None),
    ("42", "?42 syntax error: no command after the id"),
    ("komi many", "? syntax error: komi must be a number, got 'many'"),
    ("list_stones black", "= C3"),
    ("play w b3", "= "),
    ("play b c2", "= "),
    ("play w d3", "= "),
    ("play b c4", "= "),
    ("play w d2", "= "),
    ("play b c1", "= "),
    ("play w d4", "= "),
    ("play b c5", "= "),
    ("play w d1", "= "),
    ("play b a3", "= "),
    ("play w d5", "= "),
    ("play b b2", "= "),
    ("play w e3", "= "),
    ("play B B4", "= "),
    ("captures black", "= 1"),
    ("list_stones white", "= D5 D4 D3 E3 D2 D1"),
    ("undo", "= "),
    ("list_stones white", "= D5 D4 B3 D3 E3 D2 D1"),
    ("20 play b b4", "=20 "),
    ("play w b3", "? illegal move"),
    ("showboard", "= \n"
                  "   A B C D E\n"
                  " 5 . . X O . 5\n"
                  " 4 . X X O . 4\n"
                  " 3 X . X O O 3\n"
                  " 2 . X X O . 2\n"
                  " 1 . . X O . 1\n"
                  "   A B C D E\n"
                  "White to play; captures B 1 W 0; komi 0.5"),
    ("known_command play", "= true"),
    ("known_command no-such-command", "= false"),
    ("play w pass", "= "),
    ("play b PASS", "= "),
    ("final_score", "= B+4.5"),
    ("final_status_list dead", "= "),
    ("final_status_list alive", "= C5 D5 B4 C4 D4 A3 C3 D3 E3 B2 C2 D2 C1 D1"),
    ("final_status_list unsure", "? syntax error: unknown status 'unsure'"),
    ("99 quit", "=99 "),
]


def run(gtp: GtpEngine, line: str) -> str | None:
    response = gtp.handle_line(line)
    if response is None:
        return None
    assert response.endswith("\n\n")
    return response[:-2]


def new_gtp(size: int = 9, seed: int = 0) -> GtpEngine:
    return build_gtp(Engine(EngineConfig(size=size), RandomPlayer(seed=seed)), out=io.StringIO())


def test_a_whole_game_with_errors_mid_game():
    gtp = new_gtp()
    for line, expected in GAME_TRANSCRIPT:
        assert run(gtp, line) == expected, line
    assert gtp.quit


def test_serve_writes_each_response_and_stops_at_quit():
    out = io.StringIO()
    gtp = build_gtp(Engine(EngineConfig(size=9)), out=out)
    gtp.serve(["name\n", "1 quit\n", "name\n"])
    assert out.getvalue() == "= rocks\n\n=1 \n\n"


def test_a_streaming_handler_runs_until_the_next_command_arrives():
    out = io.StringIO()
    gtp = build_gtp(Engine(EngineConfig(size=9)), out=out)
    seen = []

    def cmd_stream(args: list[str]) -> str:
        gtp.out.write("= \n")
        for _ in range(10_000):  # stands in for "until interrupted"
            if gtp.input_pending():
                break
            time.sleep(0.001)
        seen.append(gtp.input_pending())
        return ""

    gtp.register("stream", cmd_stream)

    def slow_input():
        yield "stream\n"
        time.sleep(0.05)
        yield "name\n"

    gtp.serve(slow_input())
    assert seen == [True]
    assert out.getvalue().endswith("= rocks\n\n")


def test_line_cleaning_follows_the_spec():
    assert clean_line("\tplay\tb  c3 # why not\r\n") == "play b  c3"
    assert clean_line("\x00\x1b\x7fname") == "name"
    assert clean_line("# all comment") == ""


def test_errors_leave_the_state_untouched():
    gtp = new_gtp(size=9)
    run(gtp, "play b e5")
    before = gtp.engine.history
    for line in ["play w e5", "boardsize 1", "boardsize 26", "boardsize -3", "komi x",
                 "play w j10", "play w", "genmove purple", "fixed_handicap 4",
                 "set_free_handicap a1 b2", "loadsgf /nonexistent.sgf", "time_settings 1 2",
                 "time_left black -1 0", "is_legal b k1", "final_status_list"]:
        assert run(gtp, line).startswith("? "), line
    assert gtp.engine.history == before
    assert run(gtp, "undo extra arguments are ignored") == "= "
    assert gtp.engine.history == before[:-1]


def test_list_commands_and_known_command_agree():
    gtp = new_gtp()
    listed = run(gtp, "list_commands")[2:].split("\n")
    required = [
        "protocol_version", "name", "version", "known_command", "list_commands", "quit",
        "boardsize", "clear_board", "komi", "play", "genmove", "undo", "showboard",
        "final_score", "final_status_list", "fixed_handicap", "place_free_handicap",
        "set_free_handicap", "time_settings", "time_left", "loadsgf", "printsgf", "reg_genmove",
        "kgs-genmove_cleanup",
    ]
    assert set(required) <= set(listed)
    for name in listed:
        assert run(gtp, f"known_command {name}") == "= true"
    assert run(gtp, "known_command cmd_play") == "= false"


def test_genmove_plays_a_legal_move_and_reg_genmove_does_not():
    gtp = new_gtp(size=9, seed=3)
    pos = Position.empty(9)
    for colour in ("b", "w", "black", "white"):
        reply = run(gtp, f"genmove {colour}")
        assert reply.startswith("= ")
        move = coords.from_gtp(reply[2:], 9)
        assert pos.is_legal(move)
        pos = pos.play(move)
        assert gtp.engine.position.hash == pos.hash
    reply = run(gtp, "reg_genmove b")
    assert pos.is_legal(coords.from_gtp(reply[2:], 9))
    assert gtp.engine.position.hash == pos.hash
    assert run(gtp, "kgs-genmove_cleanup b").startswith("= ")
    assert gtp.engine.position.move_number == 5


def test_genmove_answers_resign():
    class Resigner:
        name = "resigner"

        def select_move(self, position, time_budget_s):
            return Decision(move=position.pass_move, resign=True)

    gtp = build_gtp(Engine(EngineConfig(size=9), Resigner()), out=io.StringIO())
    assert run(gtp, "genmove b") == "= resign"
    assert gtp.engine.position.moves == ()


def test_handicap_commands():
    gtp = new_gtp(size=9)
    assert run(gtp, "fixed_handicap 9") == "= C3 G7 C7 G3 C5 G5 E3 E7 E5"
    assert run(gtp, "fixed_handicap 2") == "? board not empty"
    assert run(gtp, "clear_board") == "= "
    assert run(gtp, "fixed_handicap 10") == "? invalid number of stones"
    assert run(gtp, "fixed_handicap 1") == "? invalid number of stones"
    assert run(gtp, "place_free_handicap 3") == "= C3 G7 C7"
    assert gtp.engine.position.to_play == -BLACK
    assert run(gtp, "clear_board") == "= "
    assert run(gtp, "set_free_handicap a1 a1") == "? bad vertex list"
    assert run(gtp, "set_free_handicap a1 z1") == "? bad vertex list"
    assert run(gtp, "set_free_handicap a1 pass") == "? bad vertex list"
    assert run(gtp, "set_free_handicap a1") == "? syntax error: usage: set_free_handicap " \
                                                "vertex vertex..."
    assert run(gtp, "set_free_handicap a1 j9 e5") == "= "
    assert run(gtp, "list_stones b") == "= J9 E5 A1"
    assert run(gtp, "boardsize 5") == "= "
    assert run(gtp, "fixed_handicap 2") == "? invalid number of stones"


def test_time_commands():
    gtp = new_gtp(size=9)
    assert run(gtp, "time_settings 300 30 5") == "= "
    assert run(gtp, "time_left white 100 0") == "= "
    assert run(gtp, "time_left b 20 3") == "= "
    assert gtp.engine.clocks[BLACK].stones_left == 3
    assert run(gtp, "time_settings 300 thirty 5") == \
        "? syntax error: byo-yomi time must be a number, got 'thirty'"
    assert run(gtp, "time_settings 300 30 -5") == \
        "? syntax error: time settings must not be negative"


def test_sgf_commands(tmp_path):
    gtp = new_gtp(size=9)
    for line in ("play b e5", "play w c3", "play b g7"):
        run(gtp, line)
    text = run(gtp, "printsgf")[2:]
    assert read_sgf(text).moves == gtp.engine.position.moves
    path = tmp_path / "game.sgf"
    assert run(gtp, f"printsgf {path}") == "= "
    run(gtp, "clear_board")
    assert run(gtp, f"loadsgf {path}") == "= "
    assert run(gtp, "list_stones black") == "= G7 E5"
    assert run(gtp, f"loadsgf {path} 2") == "= "
    assert run(gtp, "list_stones black") == "= E5"
    assert run(gtp, "list_stones white") == "= "
    bad = tmp_path / "bad.sgf"
    bad.write_text("(;GM[1]SZ[9];B[ee];W[ee])")
    assert run(gtp, f"loadsgf {bad}") == \
        "? cannot load file: move 2 (W E5) is illegal: illegal move E5: the point is occupied"
    assert run(gtp, "loadsgf /no/such/file.sgf").startswith("? cannot load file: cannot read")
    assert run(gtp, "list_stones black") == "= E5"


def test_is_legal_and_captures_extensions():
    gtp = new_gtp(size=5)
    run(gtp, "boardsize 5")
    for line in ("play b a4", "play b b5", "play w c5"):
        run(gtp, line)
    assert run(gtp, "is_legal w a5") == "= 0"  # suicide
    assert run(gtp, "is_legal b a5") == "= 1"
    assert run(gtp, "is_legal b b5") == "= 0"
    assert run(gtp, "captures white") == "= 0"


def test_extra_command_modules_register_handlers():
    gtp = new_gtp()

    class Extension:
        def __init__(self, gtp: GtpEngine) -> None:
            self.gtp = gtp

        @gtp_name("lz-analyze")
        def cmd_lz_analyze(self, args: list[str]) -> str:
            return f"analysing {self.gtp.engine.size}x{self.gtp.engine.size}"

        def cmd_fail(self, args: list[str]) -> str:
            raise GtpError("deliberate failure")

        def cmd_crash(self, args: list[str]) -> str:
            return str(1 / 0)

        def cmd_blank_lines(self, args: list[str]) -> str:
            return "one\n\ntwo\n"

    gtp.register_handlers(Extension(gtp))
    assert run(gtp, "known_command lz-analyze") == "= true"
    assert run(gtp, "lz-analyze 50") == "= analysing 9x9"
    assert run(gtp, "fail") == "? deliberate failure"
    assert run(gtp, "7 crash") == "?7 internal error: ZeroDivisionError: division by zero"
    assert run(gtp, "blank_lines") == "= one\n \ntwo"  # a blank line would end the response
    assert run(gtp, "name") == "= rocks"


@pytest.mark.parametrize("line", ["=", "?", "= 1", "\x00", "play b " + "a" * 10_000, "♥ ♦"])
def test_garbage_never_kills_the_engine(line):
    gtp = new_gtp()
    run(gtp, line)
    assert run(gtp, "protocol_version") == "= 2"


@pytest.mark.timeout(60)
def test_loadsgf_of_a_file_that_never_ends_is_refused_and_the_engine_goes_on(tmp_path):
    fifo = tmp_path / "pipe.sgf"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.sgf"
    with huge.open("wb") as f:
        f.truncate(2**40)  # a terabyte, sparse
    gtp = new_gtp()
    run(gtp, "play b E5")
    for path, words in [("/dev/zero", "character device"), ("/dev/urandom", "character device"),
                        (fifo, "FIFO"), (huge, "more than the"), (tmp_path, "directory")]:
        answer = run(gtp, f"loadsgf {path}")
        assert answer.startswith("? cannot load file: SGF file") and words in answer, answer
    assert run(gtp, "list_stones black") == "= E5"  # the game is untouched
    assert run(gtp, "name") == "= rocks"

"""`rocks gtp` as a real subprocess: the same transcript over pipes, and a client-driven game."""

from __future__ import annotations

import subprocess

import pytest

from rocks.engines.commands import rocks_gtp_command
from rocks.engines.gtp_client import GtpClient, GtpCommandError, GtpEngineDied
from rocks.go import coords
from rocks.go.board import Position
from tests.play.test_gtp import GAME_TRANSCRIPT


def test_the_game_transcript_over_stdin_and_stdout():
    stdin = "".join(line + "\n" for line, _ in GAME_TRANSCRIPT) + "name\n"  # after quit: unread
    expected = "".join(f"{reply}\n\n" for _, reply in GAME_TRANSCRIPT if reply is not None)
    done = subprocess.run(rocks_gtp_command("--player", "random", "--size", "9"), input=stdin,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def test_end_of_input_ends_the_engine_quietly():
    done = subprocess.run(rocks_gtp_command(), input="name\n", capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "= rocks\n\n", "")


def test_bad_options_are_reported():
    done = subprocess.run(rocks_gtp_command("--size", "40"), input="", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "board size must be an integer 2..25" in done.stderr


def test_a_client_plays_a_whole_random_game_through_rocks_gtp():
    with GtpClient(rocks_gtp_command("--player", "random", "--seed", "11", "--size", "19"),
                   name="rocks") as engine:
        assert engine.send("protocol_version") == "2"
        engine.send("boardsize 7")
        engine.send("komi 0.5")
        pos = Position.empty(7, 0.5)
        while not pos.is_game_over():
            colour = "black" if pos.to_play == 1 else "white"
            pos = pos.play(coords.from_gtp(engine.send(f"genmove {colour}"), 7))
        assert engine.send("final_score") == pos.result_string()
        stones = engine.send("list_stones black").split()
        assert sorted(coords.from_gtp(s, 7) for s in stones) == \
            [int(p) for p in (pos.board == 1).nonzero()[0]]
        occupied = int(pos.board.nonzero()[0][0])
        with pytest.raises(GtpCommandError, match="illegal move"):
            engine.send("play black " + coords.to_gtp(occupied, 7))
        engine.send("quit")
        with pytest.raises(GtpEngineDied, match="rocks: engine"):
            engine.send("name")

"""Specification of the referee (rocks.engines.referee): dead stones judged by another engine,
the board counted by area."""

from __future__ import annotations

import sys
import textwrap

import pytest

from rocks.engines.referee import agreed_result, referee_score, result_text
from rocks.go.sgf import read_sgf

# Black's wall on column E, White's on F, and a lone white stone at B6 inside Black's side:
# dead to any judge (B+1.5), yet alive to a Tromp-Taylor count (W+35.5).
DEAD_STONE = read_sgf("(;GM[1]FF[4]SZ[9]KM[7.5]AB[ea][eb][ec][ed][ee][ef][eg][eh][ei]"
                      "AW[fa][fb][fc][fd][fe][ff][fg][fh][fi][bd];B[];W[])")

# A referee in a few lines: it checks that it was given the game, then names as dead whatever
# its command line says.
FAKE_REFEREE = textwrap.dedent('''
    import sys
    dead = sys.argv[1]
    loaded = ""
    for line in sys.stdin:
        ident, _, command = line.strip().partition(" ")
        name, _, arg = command.partition(" ")
        if name == "quit":
            print(f"={ident}\\n", flush=True)
            break
        if name == "loadsgf":
            loaded = open(arg).read()
            ok = "AW[" in loaded and dead != "refuse"
            print(f"={ident}\\n" if ok else f"?{ident} cannot load\\n", flush=True)
        elif name == "final_status_list" and arg == "dead":
            print(f"={ident} {dead if dead != '-' else ''}\\n", flush=True)
        else:
            print(f"?{ident} unknown command\\n", flush=True)
''')


def referee(dead: str) -> list[str]:
    return [sys.executable, "-c", FAKE_REFEREE, dead]


def test_the_referees_dead_stones_come_off_before_the_count():
    assert DEAD_STONE.final_position().result_string() == "W+35.5"  # every stone alive
    assert referee_score(DEAD_STONE, referee("B6")) == "B+1.5"
    assert referee_score(DEAD_STONE, referee("-")) == "W+35.5"  # nothing dead: the count stands


def test_a_referee_that_cannot_judge_gives_no_result():
    assert referee_score(DEAD_STONE, referee("refuse")) is None  # refused the game
    assert referee_score(DEAD_STONE, referee("Z99")) is None  # not a vertex of this board
    assert referee_score(DEAD_STONE, ["/nonexistent/referee"]) is None  # could not start


def test_results_read_and_written_as_sgf_re_values():
    assert [result_text(m) for m in (3.5, -0.5, 0.0)] == ["B+3.5", "W+0.5", "0"]
    assert agreed_result("B+3.5", "b+3.5") == "B+3.5"
    assert agreed_result("B+3.5", "W+3.5") is None
    assert agreed_result("B+3.5", None) is None
    assert agreed_result("too early to pass", "too early to pass") is None


@pytest.mark.gnugo
def test_gnu_go_is_the_default_referee(gnugo):
    assert referee_score(DEAD_STONE) == "B+1.5"

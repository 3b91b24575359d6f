"""The referee of a finished game: which stones are dead, and the score once they are removed.

A game between GTP engines ends with two passes, but engines such as GNU Go (without
``--capture-all-dead``) and Pachi pass with dead stones still on the board, where a
Tromp-Taylor count (every stone alive) scores them as living: in 9x9 GNU Go games here the
count and the engines differed by 10-30 points, often in who won.  The referee is an engine
that plays in neither game: GNU Go under Chinese rules is given the game (``loadsgf`` of the
replayed record), names the dead stones (``final_status_list dead``, GTP draft 2 section 6.3),
and the board without them is counted by area (the Chinese count, komi included).

Departures, numbered:
  1. GNU Go judges only life and death; the count is ours.  GNU Go's own ``final_score`` would
     also play out a position it finds unfinished (an empty board after two passes is "B+17.5"
     to it), which is not the game that was played.
  2. The referee is not perfect: GNU Go called a white group in seki dead (a 26-point swing) in
     game 5 of ``experiments/2026-11-25_22-45_shipped-9x9-model-vs-gnu-go`` run-002.  When both
     players capture dead stones before passing, a Tromp-Taylor count is exact and needs no
     referee.
  3. Any failure (no GNU Go, the referee refuses the game, an answer that is not a vertex list)
     gives None, never a guess: the caller decides what stands then.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rocks.engines.commands import find_gnugo
from rocks.engines.gtp_client import GtpClient, GtpClientError
from rocks.go import coords
from rocks.go.board import EMPTY, tromp_taylor_area
from rocks.go.sgf import GameRecord, SgfError, save_sgf

RESULT_RE = re.compile(r"(B|W)\+\d+(\.\d+)?|0")


def referee_command(path: str | None = None) -> list[str] | None:
    """GNU Go as a referee (Chinese rules, rocks' ko and suicide rules); None if not installed."""
    path = path or find_gnugo()
    if path is None:
        return None
    return [path, "--mode", "gtp", "--level", "1", "--chinese-rules", "--positional-superko",
            "--forbid-suicide"]


def dead_stones(record: GameRecord, argv: Sequence[str], timeout_s: float = 60.0
                ) -> list[int] | None:
    """The points of the stones the referee engine at ``argv`` calls dead at the end of
    ``record`` (flat indices); None if it cannot say (departure 3)."""
    with tempfile.TemporaryDirectory(prefix="rocks-referee-") as tmp:
        # GTP arguments cannot hold spaces; a file under a plain name always can be loaded.
        plain = Path(tmp) / "game.sgf"
        save_sgf(record, plain)
        try:
            with GtpClient(argv, name="referee", timeout_s=timeout_s) as ref:
                ref.send(f"loadsgf {plain}")
                answer = ref.send("final_status_list dead").split()
        except GtpClientError:
            return None
    try:
        return [coords.from_gtp(vertex, record.size) for vertex in answer]
    except coords.CoordinateError:
        return None


def referee_score(record: GameRecord, argv: Sequence[str] | None = None,
                  timeout_s: float = 60.0) -> str | None:
    """The result of ``record`` ("B+3.5", "W+0.5", "0") after the referee's dead stones come
    off the board, counted by area; None without a referee or a judgement (departure 3).

    ``argv`` starts the referee engine (default :func:`referee_command`, GNU Go).
    """
    argv = list(argv) if argv is not None else referee_command()
    if argv is None:
        return None
    try:
        final = record.final_position()
    except SgfError:
        return None
    dead = dead_stones(record, argv, timeout_s)
    if dead is None:
        return None
    board = final.board.copy()
    board[dead] = EMPTY
    black, white = tromp_taylor_area(board, final.size)
    return result_text(black - white - final.komi)


def result_text(margin: float) -> str:
    """SGF RE text of a margin for Black: "B+3.5", "W+0.5" or "0"."""
    return f"B+{margin:g}" if margin > 0 else f"W+{-margin:g}" if margin < 0 else "0"


def agreed_result(black_says: str | None, white_says: str | None) -> str | None:
    """Both engines' ``final_score`` answers, if they agree and read as a result."""
    if not black_says or not white_says:
        return None
    a, b = black_says.strip().upper(), white_says.strip().upper()
    if a != b or not RESULT_RE.fullmatch(a):
        return None
    return a

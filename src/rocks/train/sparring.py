"""Outside opponents for the self-play loop's sparring games (``rocks.train.selfplay``,
departure 6): GNU Go over GTP, one fresh process per game.

AlphaStar (Vinyals et al., Nature 2019) trained against a league of past and exploiting agents
because self-play alone cycles; here the league is its smallest form, one fixed outside engine
that the net's search plays on one colour.  GNU Go is the project's teacher and is installed
everywhere rocks is tested; Pachi is for measurement only (DESIGN.md §3) and is not offered.

Departures, numbered:
  1. The engine learns the game move by move: before each ``genmove`` it is sent the moves
     played since its last one, so a game costs one GTP round trip per opponent move.
  2. Each game's engine gets its own ``--seed``, drawn from (run seed, generation, game), so
     that sparring games differ (GNU Go without a seed repeats its game).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rocks.engines.commands import gnugo_command
from rocks.engines.gtp_client import GtpClient
from rocks.go import coords
from rocks.go.board import BLACK, Position
from rocks.train.selfplay import Opponent, OpponentFactory

SPEC_RE = re.compile(r"^gnugo:(\d{1,2})$")


@dataclass(frozen=True)
class SparringSpec:
    """A sparring opponent: GNU Go at ``level`` (the text ``gnugo:LEVEL``)."""

    level: int

    @property
    def name(self) -> str:
        return f"gnugo-{self.level}"

    @classmethod
    def parse(cls, text: str) -> SparringSpec:
        match = SPEC_RE.match(text.strip())
        if match is None or not 0 <= int(match.group(1)) <= 10:
            raise ValueError(f"sparring opponent {text!r}: expected gnugo:LEVEL, LEVEL 0-10")
        return cls(int(match.group(1)))


class GtpOpponent:
    """An :class:`~rocks.train.selfplay.Opponent` behind a GTP engine process."""

    def __init__(self, argv: Sequence[str], name: str, size: int, komi: float,
                 timeout_s: float = 120.0) -> None:
        self.name = name
        self.size = size
        self.client = GtpClient(argv, name=name, timeout_s=timeout_s)
        try:
            for command in (f"boardsize {size}", "clear_board", f"komi {komi}"):
                self.client.send(command)
        except BaseException:
            self.client.close()
            raise
        self.told = 0  # moves of the game the engine has been sent or has played

    def genmove(self, position: Position) -> int | None:
        for colour, move in position.moves[self.told:]:  # departure 1
            self.client.send(f"play {'B' if colour == BLACK else 'W'} "
                             f"{coords.to_gtp(move, self.size)}")
        reply = self.client.send(f"genmove {'B' if position.to_play == BLACK else 'W'}")
        self.told = len(position.moves) + 1
        if reply.strip().lower() == "resign":
            return None
        return coords.from_gtp(reply, self.size)

    def close(self) -> None:
        self.client.close()


def gnugo_opponents(spec: SparringSpec, size: int, komi: float, seed: Sequence[int],
                    gnugo_path: str | None = None) -> OpponentFactory:
    """Game index -> a fresh GNU Go for that game (departure 2)."""

    def make(index: int) -> Opponent:
        game_seed = int(np.random.default_rng([*seed, index, 7]).integers(1, 2**31 - 1))
        argv = gnugo_command(spec.level, path=gnugo_path, seed=game_seed)
        return GtpOpponent(argv, spec.name, size, komi)

    return make

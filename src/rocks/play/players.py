"""Players: what chooses a move, and the record of its choice (the ``Player`` protocol).

Every move generator the :class:`rocks.play.engine.Engine` can use (the random player here, the
MCTS player over a network later, a GTP engine behind a client) is a ``Player``::

    class Player(Protocol):
        name: str
        def select_move(self, position: Position, time_budget_s: float) -> Decision: ...

``select_move`` gets the position with the colour to move already set (``position.to_play``)
and a wall-clock budget in seconds that it should stay under (it may use less; the engine has
already subtracted its own safety margin).  It returns a :class:`Decision`: the move (a flat
index, pass = ``size*size``, see :mod:`rocks.go.coords`) or ``resign=True``, plus optional
analysis that the GTP analysis commands and the web page show when present.  A player must
return a legal move; the engine checks and refuses anything else.  Players do not keep game
state between calls (the engine owns the game), though they may keep caches such as a search
tree keyed by position hash.

The random player follows the usual light-playout rule (as in Brügmann 1993 and every MCTS
rollout since): a uniformly random legal move that does not fill one of its own eyes, pass only
when nothing else is left.  Departures: 1. it never resigns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from rocks.go.board import Position
from rocks.search.contracts import Candidate


@dataclass(frozen=True)
class Decision:
    """A player's choice and whatever analysis came with it.

    Attributes:
        move: flat index of the chosen move (pass = size*size); ignored when ``resign``.
        resign: the player gives up.
        winrate: probability in [0, 1] that the player to move wins, if known.
        score_lead: expected score lead for the player to move, if known.
        pv: principal variation from the current position, starting with ``move``.
        candidates: the moves considered, best first.
        ownership: float32 [size*size] in [-1, 1], +1 Black owns the point, if known.
        visits: total search visits (0 for players that do not search).
        elapsed_s: seconds the choice took (filled by the engine).
    """

    move: int
    resign: bool = False
    winrate: float | None = None
    score_lead: float | None = None
    pv: tuple[int, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    ownership: np.ndarray | None = field(default=None, compare=False)
    visits: int = 0
    elapsed_s: float = 0.0


@runtime_checkable
class Player(Protocol):
    """Chooses moves; see the module docstring for the contract."""

    name: str

    def select_move(self, position: Position, time_budget_s: float) -> Decision: ...


class RandomPlayer:
    """A uniformly random legal move that does not fill the player's own eye; never resigns."""

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)

    def select_move(self, position: Position, time_budget_s: float = 0.0) -> Decision:
        # Trying points in random order and stopping at the first legal one costs a few legality
        # checks instead of the whole board's.
        empty = [int(p) for p in np.flatnonzero(position.board == 0)]
        self.rng.shuffle(empty)
        for p in empty:
            if not position.is_eye(p) and position.is_legal(p):
                return Decision(move=p)
        return Decision(move=position.pass_move)


class PassPlayer:
    """Always passes (handy in tests and for ending games quickly)."""

    name = "pass"

    def select_move(self, position: Position, time_budget_s: float = 0.0) -> Decision:
        return Decision(move=position.pass_move)

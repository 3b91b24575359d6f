"""The Player contract: what chooses a move (``Player``), the record of its choice (``Decision``).

Every move generator the :class:`rocks.play.engine.Engine` can use (the random player, the MCTS
player over a network, a GTP engine behind a client) is a ``Player``::

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
tree keyed by position hash.  A player that can also analyse a position without choosing a
move is an :class:`Analyser`.  The players themselves, and the one factory that makes them from
a :class:`~rocks.play.players.PlayerSpec`, are in :mod:`rocks.play.players`.
"""

from __future__ import annotations

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


class Player(Protocol):
    """Chooses moves; see the module docstring for the contract."""

    name: str

    def select_move(self, position: Position, time_budget_s: float) -> Decision: ...


@runtime_checkable
class Analyser(Protocol):
    """A player that can also search a position without choosing a move (the GTP analysis
    streams, :mod:`rocks.play.gtp.analysis`): calls on the same position continue one search.

    It may also say how many new visits its ``select_move`` makes (``move_visits``, None for
    a time-only search), so that ``*-genmove_analyze`` stops where ``genmove`` would.
    """

    def analyze(self, position: Position, time_budget_s: float) -> Decision: ...

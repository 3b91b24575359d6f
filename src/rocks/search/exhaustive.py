"""Exhaustive search: minimax with memoisation over small games, and counting whole games.

Follows the classical minimax of von Neumann (1928) and Shannon's "Programming a computer for
playing chess" (1950), written as negamax (every value is from the point of view of the player
to move) with a transposition table keyed by the state.  It is the baseline that MCTS
approximates: exact on games small enough to enumerate (tic-tac-toe: 255,168 complete games,
5,478 positions, a draw under best play), hopeless beyond them.

Departures:
  1. Memoisation keys come from the game (``Game.key``), so a game whose legality depends on
     history (Go with positional superko) can include that history in its key and stay exact.
  2. ``count_games`` counts move sequences to a terminal state (a game ends as soon as it is
     decided, as in the essay's tic-tac-toe count), memoised by key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rocks.go.board import Position, Rules

S = TypeVar("S")
M = TypeVar("M")


class Game(Protocol[S, M]):
    """What exhaustive search needs of a two-player, zero-sum, perfect-information game."""

    def initial(self) -> S: ...

    def legal_moves(self, state: S) -> Sequence[M]: ...

    def play(self, state: S, move: M) -> S: ...

    def terminal_value(self, state: S) -> float | None:
        """None while the game goes on; else its value for the player to move in ``state``."""
        ...

    def key(self, state: S) -> Hashable: ...


@dataclass(frozen=True)
class Solution(Generic[M]):
    """The exact value of a state and the moves that achieve it.

    Attributes:
        value: game value for the player to move (+1 win, 0 draw, -1 loss; or a score).
        best_moves: every move whose value equals ``value``.
        states: distinct states (by key) the search visited.
    """

    value: float
    best_moves: tuple[M, ...]
    states: int


def solve(game: Game[S, M], state: S | None = None) -> Solution[M]:
    """Negamax over the whole game tree from ``state`` (default: the game's initial state)."""
    root = game.initial() if state is None else state
    memo: dict[Hashable, float] = {}

    def value(s: S) -> float:
        k = game.key(s)
        v = memo.get(k)
        if v is not None:
            return v
        t = game.terminal_value(s)
        if t is None:
            t = max(-value(game.play(s, m)) for m in game.legal_moves(s))
        memo[k] = t
        return t

    terminal = game.terminal_value(root)
    if terminal is not None:
        return Solution(terminal, (), 1)
    scored = [(m, -value(game.play(root, m))) for m in game.legal_moves(root)]
    best = max(v for _, v in scored)
    best_moves = tuple(m for m, v in scored if v == best)
    return Solution(best + 0.0, best_moves, len(memo) + 1)  # + 0.0: no "-0.0"


def solve_value(game: Game[S, M], state: S | None = None, lo: float = -1.0,
                hi: float = 1.0) -> float:
    """The exact value by alpha-beta negamax with a bounded transposition table.

    Much faster than :func:`solve` when values are few (win/draw/loss): the window
    ``[lo, hi]`` must contain every terminal value.  Each table entry keeps the interval the
    true value is known to lie in, so a cut-off result is reused only where it is exact enough.
    """
    table: dict[Hashable, tuple[float, float]] = {}

    def search(s: S, alpha: float, beta: float) -> float:
        t = game.terminal_value(s)
        if t is not None:
            return t
        k = game.key(s)
        low, high = table.get(k, (lo, hi))
        if low >= beta or low == high:
            return low
        if high <= alpha:
            return high
        alpha, beta = max(alpha, low), min(beta, high)
        a0, b0 = alpha, beta  # the window this search really used
        best = -float("inf")
        for m in game.legal_moves(s):
            v = -search(game.play(s, m), -beta, -alpha)
            best = max(best, v)
            alpha = max(alpha, v)
            if alpha >= beta:
                break
        if best <= a0:
            table[k] = (low, min(high, best))  # fail low: an upper bound
        elif best >= b0:
            table[k] = (max(low, best), high)  # fail high: a lower bound
        else:
            table[k] = (best, best)
        return best

    root = game.initial() if state is None else state
    return search(root, lo, hi) + 0.0


def count_games(game: Game[S, M], state: S | None = None) -> int:
    """The number of distinct complete games (move sequences to a terminal state)."""
    memo: dict[Hashable, int] = {}

    def count(s: S) -> int:
        k = game.key(s)
        n = memo.get(k)
        if n is None:
            if game.terminal_value(s) is not None:
                n = 1
            else:
                n = sum(count(game.play(s, m)) for m in game.legal_moves(s))
            memo[k] = n
        return n

    return count(game.initial() if state is None else state)


def count_states(game: Game[S, M], state: S | None = None) -> int:
    """The number of distinct reachable states (by key), the root and terminal ones included."""
    seen: set[Hashable] = set()
    stack = [game.initial() if state is None else state]
    while stack:
        s = stack.pop()
        k = game.key(s)
        if k in seen:
            continue
        seen.add(k)
        if game.terminal_value(s) is None:
            stack.extend(game.play(s, m) for m in game.legal_moves(s))
    return len(seen)


# --------------------------------------------------------------------------- tic-tac-toe
TicTacToeState = tuple[int, ...]  # 9 cells (+1 X, -1 O, 0 empty), row-major from the top-left

_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


class TicTacToe:
    """Noughts and crosses: X (+1) moves first; a line of three wins and ends the game."""

    def initial(self) -> TicTacToeState:
        return (0,) * 9

    @staticmethod
    def to_play(state: TicTacToeState) -> int:
        return 1 if sum(1 for c in state if c != 0) % 2 == 0 else -1

    @staticmethod
    def winner(state: TicTacToeState) -> int:
        """+1 if X has a line, -1 if O has, 0 otherwise."""
        for a, b, c in _LINES:
            if state[a] != 0 and state[a] == state[b] == state[c]:
                return state[a]
        return 0

    def legal_moves(self, state: TicTacToeState) -> Sequence[int]:
        return [i for i, c in enumerate(state) if c == 0]

    def play(self, state: TicTacToeState, move: int) -> TicTacToeState:
        if state[move] != 0:
            raise ValueError(f"cell {move} is taken")
        cells = list(state)
        cells[move] = self.to_play(state)
        return tuple(cells)

    def terminal_value(self, state: TicTacToeState) -> float | None:
        w = self.winner(state)
        if w != 0:
            return float(w * self.to_play(state))
        if all(c != 0 for c in state):
            return 0.0
        return None

    def key(self, state: TicTacToeState) -> Hashable:
        return state  # the player to move follows from the board


# --------------------------------------------------------------------------- tiny Go
@dataclass(frozen=True)
class TinyGo:
    """Go on a tiny board with the plain rules; terminal value = Tromp-Taylor score margin.

    The key holds the board, the player to move, the ko point, the pass count and, with
    positional superko, the set of earlier boards, because those decide which moves are legal.
    ``value`` maps the final score (Black's area - White's - komi) to a game value for Black;
    the default keeps the score itself, so ``solve`` finds the optimal margin.
    """

    size: int = 2
    komi: float = 0.0
    rules: Rules = Rules()
    value: Callable[[float], float] = float

    def initial(self) -> Position:
        return Position.empty(self.size, self.komi, self.rules)

    def legal_moves(self, state: Position) -> Sequence[int]:
        return [int(m) for m in state.legal_moves().nonzero()[0]]

    def play(self, state: Position, move: int) -> Position:
        return state.play(move)

    def terminal_value(self, state: Position) -> float | None:
        if not state.is_game_over():
            return None
        return self.value(state.score()) * state.to_play

    def key(self, state: Position) -> Hashable:
        history = state.history if state.rules.superko == "positional" else frozenset()
        return (state.board.tobytes(), state.to_play, state.ko, state.passes, history)

"""Strength checks during training: a network (with MCTS) against another, or against GNU Go.

AlphaGo Zero (Silver et al., Nature 2017) gates each new checkpoint: it plays 400 games against
the current best and replaces it when it wins more than 55%.  Here the games are fewer (they are
the expensive part on a CPU) and the result is reported with its Wilson 95% interval so that a
reader can see how little a handful of games settles.

Departures, numbered:
  1. The network under test plays in-process (no GTP subprocess): a plain referee loop over
     :class:`~rocks.go.board.Position`; a GTP opponent (GNU Go) runs through
     :class:`~rocks.engines.gtp_client.GtpClient`.  The release numbers in the model card come
     from the match driver (``rocks arena``), not from here.
  2. Games end by two passes (Tromp-Taylor score), resignation, or the move limit (scored as
     the board stands); GNU Go runs with ``--capture-all-dead`` so its passes leave a board
     Tromp-Taylor scores as it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rocks.engines.gtp_client import GtpClient
from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position, Rules
from rocks.go.sgf import GameRecord, save_sgf
from rocks.search.contracts import EvaluateFn
from rocks.search.mcts import MCTS, MCTSConfig
from rocks.search.policies import wants_resign
from rocks.stats import wilson_interval


@dataclass(frozen=True)
class MatchResult:
    """Games won/lost/drawn by the first player; ``games`` list (colour of first, winner)."""

    wins: int
    losses: int
    draws: int
    games: tuple[tuple[int, int], ...]

    @property
    def played(self) -> int:
        return self.wins + self.losses + self.draws

    @property
    def score(self) -> float:
        return (self.wins + 0.5 * self.draws) / self.played if self.played else float("nan")

    def wilson(self, z: float = 1.96) -> tuple[float, float]:
        return wilson_interval(self.score, self.played, z)


#: Match play resigns only when clearly lost.
EVAL_RESIGN = -0.97


def eval_mcts_config(visits: int, leaves_per_batch: int = 8) -> MCTSConfig:
    """Match play: no noise; the most visited move is played."""
    return MCTSConfig(num_simulations=visits, dirichlet_epsilon=0.0,
                      leaves_per_batch=leaves_per_batch)


def _winner(pos: Position) -> int:
    s = pos.score()
    return BLACK if s > 0 else WHITE if s < 0 else 0


def play_nets(first: EvaluateFn, second: EvaluateFn, games: int, visits: int,
              size: int = 9, komi: float = 7.5, seed: int = 0, max_moves: int = 0,
              start: int = 0, sgf_dir: str | Path | None = None,
              names: tuple[str, str] = ("first", "second")) -> MatchResult:
    """Games ``start`` .. ``start + games - 1`` (first plays Black in even games); game ``g``
    draws its randomness (Black's random first move, the searches) from (seed, g).  With
    ``sgf_dir`` each game is also written there as ``game_<g>.sgf`` (atomically)."""
    limit = max_moves or 3 * size * size
    w = lo = d = 0
    log: list[tuple[int, int]] = []
    cfg = eval_mcts_config(visits)
    for g in range(start, start + games):
        first_colour = BLACK if g % 2 == 0 else WHITE
        rng = np.random.default_rng([seed, g])
        pos = Position.empty(size, komi, Rules())
        trees = {c: MCTS(pos, cfg, rng) for c in (BLACK, WHITE)}
        evals = {first_colour: first, -first_colour: second}
        winner = 0
        resigned = False
        # A random first move for Black, so that deterministic players do not repeat games.
        legal = np.flatnonzero(pos.legal_moves()[:-1])
        pos = pos.play(int(rng.choice(legal)))
        while not pos.is_game_over() and len(pos.moves) < limit:
            tree = trees[pos.to_play]
            tree.set_root(pos)
            res = tree.run(evals[pos.to_play])
            if wants_resign(res, EVAL_RESIGN):
                winner, resigned = -pos.to_play, True
                break
            pos = pos.play(res.move)
        else:
            winner = _winner(pos)
        if sgf_dir is not None:
            result = ("B+R" if winner == BLACK else "W+R") if resigned else pos.result_string()
            black, white = names if first_colour == BLACK else names[::-1]
            save_sgf(GameRecord(size=size, komi=komi, rules="Chinese", moves=pos.moves,
                                result=result, black_player=black, white_player=white),
                     Path(sgf_dir) / f"game_{g}.sgf")
        log.append((first_colour, winner))
        if winner == 0:
            d += 1
        elif winner == first_colour:
            w += 1
        else:
            lo += 1
    return MatchResult(w, lo, d, tuple(log))


def play_vs_gtp(evaluate: EvaluateFn, opponent_argv: Sequence[str], games: int, visits: int,
                size: int = 9, komi: float = 7.5, seed: int = 0, max_moves: int = 0,
                move_timeout_s: float = 60.0, start: int = 0,
                sgf_dir: str | Path | None = None) -> MatchResult:
    """The network (MCTS, ``visits`` per move) against a GTP engine, colours alternating:
    Black in even games, counting from game ``start``.  With ``sgf_dir`` each game is also
    written there as ``game_<g>.sgf`` (atomically)."""
    limit = max_moves or 3 * size * size
    cfg = eval_mcts_config(visits)
    w = lo = d = 0
    log: list[tuple[int, int]] = []
    for g in range(start, start + games):
        me = BLACK if g % 2 == 0 else WHITE
        rng = np.random.default_rng([seed, g])
        pos = Position.empty(size, komi, Rules())
        tree = MCTS(pos, cfg, rng)
        winner = 0
        with GtpClient(list(opponent_argv), timeout_s=move_timeout_s) as opp:
            opp.send_many([f"boardsize {size}", "clear_board", f"komi {komi:g}"])
            while not pos.is_game_over() and len(pos.moves) < limit:
                colour = pos.to_play
                name = "black" if colour == BLACK else "white"
                if colour == me:
                    tree.set_root(pos)
                    res = tree.run(evaluate)
                    if wants_resign(res, EVAL_RESIGN):
                        winner = -me
                        break
                    move = res.move
                    opp.send(f"play {name} {coords.to_gtp(move, size)}")
                else:
                    answer = opp.send(f"genmove {name}").strip()
                    if answer.lower() == "resign":
                        winner = me
                        break
                    move = coords.from_gtp(answer, size)
                pos = pos.play(move)
            else:
                winner = _winner(pos)
        if sgf_dir is not None:
            resigned = not pos.is_game_over() and len(pos.moves) < limit
            result = ("B+R" if winner == BLACK else "W+R") if resigned else pos.result_string()
            players = ("rocks", " ".join(opponent_argv[:1]) or "gtp")
            black, white = players if me == BLACK else players[::-1]
            save_sgf(GameRecord(size=size, komi=komi, rules="Chinese", moves=pos.moves,
                                result=result, black_player=black, white_player=white),
                     Path(sgf_dir) / f"game_{g}.sgf")
        log.append((me, winner))
        if winner == 0:
            d += 1
        elif winner == me:
            w += 1
        else:
            lo += 1
    return MatchResult(w, lo, d, tuple(log))

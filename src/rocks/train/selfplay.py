"""Self-play: many games at once, their leaves pooled into one network call, games -> shards.

Follows AlphaGo Zero (Silver et al., Nature 2017): every move is chosen by MCTS from the current
network, Dirichlet noise Dir(α) with weight ε at the root, moves sampled with τ = 1 in the opening
and played greedily after; π (root visit distribution) and z (the result) are recorded; players
resign below a threshold except in a fraction of games kept to measure false resignations.
With KataGo's playout cap randomization (Wu, arXiv 1902.10565, section 3.1): a full search of
``full_visits`` on a fraction ``full_prob`` of moves, a fast one of ``fast_visits`` elsewhere,
and only the full searches become training examples; optionally (``forced_playouts_k`` > 0)
KataGo's forced playouts with policy target pruning (section 3.2, :mod:`rocks.search.forced`):
a full search forces visits on its visited root children, and its recorded π is the pruned
visit distribution without them.  ``search="gumbel"`` plays with Gumbel
AlphaZero instead (Danihelka et al., ICLR 2022; :mod:`rocks.search.gumbel`): its completed-Q
policy π' is the policy target and its Gumbel-sampled action the move.

Departures, numbered:
  1. PUCT: noise and temperature apply to full searches only; fast searches play their most
     visited move (KataGo also disables noise on fast searches).  Gumbel: every search samples
     its move through its Gumbel noise, full or fast (as mctx's ``gumbel_muzero_policy`` acts).
  2. Games run in ``parallel`` slots; when a game ends its slot starts the next one, and the
     finished game is written at once as its own shard (and SGF) so a kill loses only the
     games in flight.  Game ``i`` of a generation draws its randomness from (seed, gen, i).
  3. Value targets: +1/-1 for the winner by Tromp-Taylor after two passes or at the move
     limit, or the resigner's opponent, blended with the search's root value when
     ``value_mix`` > 0: (1 - λ) z + λ v (KataGo's idea that a search value is a lower-variance
     target).  Ownership and score targets only for games played to two passes (a resigned
     game's final board is not a result).
  4. Forced playouts and policy target pruning (KataGo, section 3.2) are off by default
     (``forced_playouts_k`` = 0: π is the plain visit distribution, as in AlphaGo Zero; KataGo
     uses k = 2).  When on, they apply to full PUCT searches only (fast searches write no
     target), and the opening's τ = 1 move is sampled from the pruned π, not from the raw
     visits, so the forced visits explore without making the played moves more random.
     Gumbel refuses them: its completed-Q target is the other route to a sharper policy
     target at few visits that this project measures.
  5. For resignation calibration (AlphaGo Zero keeps false resignations under 5%), each game
     records, per colour, the lowest ``max(root value, Q of the best move)`` it saw: the
     quantity the resignation test compares with the threshold.  In a no-resign game the
     winner's lowest value says which thresholds would have resigned a won game
     (:func:`calibrate_resign_threshold`).  Each game also records the loser's highest value:
     a loser that once stood at 0.9 or more was blind to what lost it (a "false confidence";
     our nets' losses to GNU Go were seen to be mostly such), and whether self-play shows
     them too says whether it can find those positions by itself.
  6. Sparring games (not in AlphaGo Zero, which learns from self-play only): a share
     ``sparring_fraction`` of the games is played against an outside ``Opponent`` (the loop's:
     GNU Go, :mod:`rocks.train.sparring`) on one colour, the net's colour alternating between
     sparring games.  Only the net's moves become examples, their z the result against that
     opponent.  The idea is AlphaStar's league (Vinyals et al., Nature 2019) in its smallest
     form: self-play alone was seen here to buy wins against its own ancestors and none
     against outside engines, and a fixed opponent cannot be out-cycled.  The opponent
     thinks in its own process, on a thread, while the other games' leaves are evaluated.
     An opponent's illegal move or resignation loses it the game; an opponent that fails
     (dies, times out) stops the stage with its error, and the games in flight are replayed
     on resume.
  7. Start positions (KataGo's ``startPosesProb``/``startPosesFromSgfDir``, and its
     ``hintPoses``: positions mined from games where the net went wrong): a share
     ``start_fraction`` of the games begins from one of ``play_games``' ``starts``, a position
     given as the moves that reach it from the empty board, drawn uniformly per game.  The
     moves of the start are not searched and write no examples; the SGF holds them all.
     AlphaGo Zero starts every game from the empty board.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from rocks.go import features
from rocks.go.board import BLACK, Position, Rules
from rocks.go.sgf import GameRecord, save_sgf
from rocks.search.contracts import EvaluateFn, Evaluation, as_evaluation
from rocks.search.gumbel import GumbelConfig, GumbelMCTS
from rocks.search.mcts import MCTS, MCTSConfig
from rocks.search.policies import MovePolicy, choose_move, resign_statistic, wants_resign
from rocks.train.shards import Examples, write_shard

__all__ = ["EvaluateFn", "Evaluation", "Opponent", "OpponentFactory", "SelfPlayConfig",
           "SelfPlayGame", "play_games", "save_game", "net_evaluate", "sparring_colour",
           "calibrate_resign_threshold", "resign_stats", "start_position"]


class Opponent(Protocol):
    """An outside player of sparring games (departure 6), one per game."""

    name: str

    def genmove(self, position: Position) -> int | None:
        """Its move (a flat index; ``size*size`` passes) in ``position``; None resigns."""

    def close(self) -> None:
        """Release it (the game is over)."""


OpponentFactory = Callable[[int], Opponent]  # game index -> a fresh opponent for that game


SearchKind = Literal["puct", "gumbel"]


@dataclass(frozen=True)
class SelfPlayConfig:
    """How self-play games are played.

    Attributes:
        size, komi: the game (area scoring, positional superko, no suicide).
        parallel: games in flight at once (their leaves share one network call).
        full_visits, fast_visits, full_prob: playout cap randomization.
        search: ``puct`` (AlphaGo Zero's search, settings in ``puct``) or ``gumbel`` (Gumbel
            AlphaZero, settings in ``gumbel``; its policy target is the completed-Q policy).
        puct: the PUCT search (its ``num_simulations`` is replaced by full/fast visits and its
            ``forced_playouts_k`` by this config's; its Dirichlet noise applies to full searches
            only).
        gumbel: the Gumbel search (``num_simulations`` replaced likewise).
        temperature_moves: PUCT: moves of the game sampled with τ = 1 (then the most visited);
            Gumbel samples every move through its own noise.
        resign_threshold: resign when root value and best Q are below it (-1: never).
        no_resign_fraction: share of games where nobody resigns (to measure false resigns).
        max_moves: moves after which the game is scored as it stands (0: 3 * size^2).
        value_mix: λ in the value target (1 - λ) z + λ v, v the search's root value (KataGo
            blends short-horizon search values into its value targets); 0 is AlphaGo Zero's z.
        forced_playouts_k: k of KataGo's forced playouts, n_forced = sqrt(k P ΣN), with the
            pruned policy target (departure 4; KataGo: 2); full PUCT searches only; 0: off.
        in_planes: input planes the examples record: the playing network's (19, or 22 with
            the ladder planes; ``rocks.go.features``); the loop sets it from its network.
            ``search="gumbel"`` refuses k > 0.
        sparring_fraction: share of games played against an outside opponent on one colour
            (the loop's ``--sparring``, e.g. GNU Go; departure 6), spread evenly over the
            games, the opponent's colour alternating; 0: self-play only.
    """

    size: int = 9
    komi: float = 7.5
    parallel: int = 16
    full_visits: int = 128
    fast_visits: int = 24
    full_prob: float = 0.25
    search: SearchKind = "puct"
    puct: MCTSConfig = field(default_factory=lambda: MCTSConfig(
        c_puct=1.5, fpu_reduction_root=0.1, dirichlet_epsilon=0.25, leaves_per_batch=8))
    gumbel: GumbelConfig = field(default_factory=lambda: GumbelConfig(leaves_per_batch=8))
    temperature_moves: int = 10
    resign_threshold: float = -0.9
    no_resign_fraction: float = 0.2
    max_moves: int = 0
    value_mix: float = 0.0
    forced_playouts_k: float = 0.0
    in_planes: int = features.NUM_PLANES
    sparring_fraction: float = 0.0
    start_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.start_fraction <= 1.0:
            raise ValueError("start_fraction must lie in [0, 1]")
        if not 0.0 <= self.sparring_fraction <= 1.0:
            raise ValueError("sparring_fraction must lie in [0, 1]")
        if self.search not in ("puct", "gumbel"):
            raise ValueError(f"search must be 'puct' or 'gumbel', not {self.search!r}")
        if not 0.0 <= self.value_mix <= 1.0:
            raise ValueError("value_mix must lie in [0, 1]")
        if self.forced_playouts_k < 0:
            raise ValueError("forced_playouts_k must be >= 0")
        if self.forced_playouts_k > 0 and self.search != "puct":
            raise ValueError("forced playouts are a PUCT idea: search='gumbel' has its own "
                             "policy target; set forced_playouts_k = 0")
        features.check_planes(self.in_planes)

    @property
    def move_limit(self) -> int:
        return self.max_moves or 3 * self.size * self.size

    def mcts(self, full: bool) -> MCTSConfig | GumbelConfig:
        """The search settings of a full or a fast search."""
        visits = self.full_visits if full else self.fast_visits
        if self.search == "gumbel":
            return dataclasses.replace(self.gumbel, num_simulations=visits)
        return dataclasses.replace(self.puct, num_simulations=visits,
                                   dirichlet_epsilon=self.puct.dirichlet_epsilon if full else 0.0,
                                   forced_playouts_k=self.forced_playouts_k if full else 0.0)

    def new_search(self, root: Position, full: bool, rng: np.random.Generator) -> MCTS:
        cfg = self.mcts(full)
        if isinstance(cfg, GumbelConfig):
            return GumbelMCTS(root, cfg, rng)
        return MCTS(root, cfg, rng)

    def move_policy(self, full: bool) -> MovePolicy:
        """PUCT samples the opening of full searches with τ = 1; Gumbel plays its own choice."""
        sampled = self.search == "puct" and full
        return MovePolicy(temperature=1.0, temperature_moves=self.temperature_moves
                          if sampled else 0, resign_threshold=self.resign_threshold)


@dataclass(frozen=True)
class SelfPlayGame:
    """One finished game: its record, its training examples and how it ended."""

    index: int
    record: GameRecord
    examples: Examples
    winner: int  # BLACK, WHITE or 0
    resigned: bool
    no_resign: bool
    would_resign: tuple[int, ...]  # colours that wanted to resign in a no-resign game
    full_searches: int
    moves: int
    winner_min_value: float = float("nan")  # the winner's lowest resign statistic (5.)
    loser_max_value: float = float("nan")  # the loser's highest resign statistic (5.)
    opponent_colour: int = 0  # the outside opponent's colour in a sparring game (6.), else 0
    start: int = -1  # the index of its start position in ``starts`` (7.), else -1
    start_moves: int = 0  # moves of the start position (7.), not searched


def sparring_colour(index: int, fraction: float) -> int:
    """The opponent's colour in game ``index`` (0: a self-play game).  Sparring games are
    spread evenly (game i is one when floor((i + 1) f) > floor(i f)) and the opponent takes
    White and Black in turn, so any run of games holds both colours equally."""
    k = int(np.floor((index + 1) * fraction + 1e-9))
    if k <= int(np.floor(index * fraction + 1e-9)):
        return 0
    return -BLACK if k % 2 else BLACK


@dataclass
class _Slot:
    index: int
    rng: np.random.Generator
    no_resign: bool
    mcts: MCTS
    full: bool
    opponent: Opponent | None = None
    opponent_colour: int = 0
    start: int = -1
    start_moves: int = 0
    reply: Future | None = None  # the opponent's move, being thought
    planes: list[np.ndarray] = field(default_factory=list)
    policies: list[np.ndarray] = field(default_factory=list)
    movers: list[int] = field(default_factory=list)
    root_values: list[float] = field(default_factory=list)
    would_resign: set[int] = field(default_factory=set)
    resigned_by: int = 0
    min_value: dict[int, float] = field(default_factory=lambda: {BLACK: 1.0, -BLACK: 1.0})
    max_value: dict[int, float] = field(default_factory=lambda: {BLACK: -1.0, -BLACK: -1.0})


def net_evaluate(evaluator: Callable[[Sequence[Position]], object]) -> EvaluateFn:
    """Adapt a :class:`rocks.nets.Evaluator` (or fake) to the search's Evaluation."""

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        ev = evaluator(positions)
        if isinstance(ev, tuple):
            return Evaluation(np.asarray(ev[0]), np.asarray(ev[1]))
        return Evaluation(ev.priors, ev.values)  # type: ignore[attr-defined]

    return evaluate


def start_position(cfg: SelfPlayConfig, moves: Sequence[int]) -> Position:
    """The position ``moves`` reach from the empty board (departure 7); ValueError if one is
    illegal or off the board, or the game is already over."""
    pos = Position.empty(cfg.size, cfg.komi, Rules())
    for i, move in enumerate(moves, start=1):
        if not 0 <= move <= cfg.size * cfg.size or not pos.is_legal(move):
            raise ValueError(f"start position: move {i} ({move}) is illegal")
        pos = pos.play(move)
    if pos.is_game_over() or len(pos.moves) >= cfg.move_limit:
        raise ValueError(f"start position of {len(moves)} moves: the game is already over")
    return pos


def _new_slot(cfg: SelfPlayConfig, seed: Sequence[int], index: int,
              opponent: OpponentFactory | None,
              starts: Sequence[Sequence[int]] = ()) -> _Slot:
    rng = np.random.default_rng([*seed, index])
    full = bool(rng.random() < cfg.full_prob)
    root = Position.empty(cfg.size, cfg.komi, Rules())
    no_resign = bool(rng.random() < cfg.no_resign_fraction)
    start = -1
    # Drawn only when starts are on, so that runs without them keep their games (departure 7).
    if cfg.start_fraction > 0 and rng.random() < cfg.start_fraction:
        start = int(rng.integers(len(starts)))
        root = start_position(cfg, starts[start])
    slot = _Slot(index, rng, no_resign, cfg.new_search(root, full, rng), full,
                 start=start, start_moves=len(root.moves))
    colour = sparring_colour(index, cfg.sparring_fraction)
    if colour:
        if opponent is None:
            raise ValueError("sparring_fraction > 0 needs an opponent (play_games' opponent)")
        slot.opponent, slot.opponent_colour = opponent(index), colour
    return slot


def _opponent_to_play(slot: _Slot) -> bool:
    return slot.opponent is not None and slot.mcts.root.to_play == slot.opponent_colour


def _opponent_moved(cfg: SelfPlayConfig, slot: _Slot, move: int | None) -> bool:
    """Play the opponent's move (departure 6); True when the game is over."""
    root = slot.mcts.root
    if move is None or not (0 <= move <= cfg.size * cfg.size) or not root.is_legal(move):
        slot.resigned_by = root.to_play  # resigning, or forfeiting by an illegal move
        return True
    slot.mcts.advance(move)
    pos = slot.mcts.root
    return pos.is_game_over() or len(pos.moves) >= cfg.move_limit


def _finish(cfg: SelfPlayConfig, slot: _Slot) -> SelfPlayGame:
    if slot.opponent is not None:
        slot.opponent.close()
    pos = slot.mcts.root
    npts = cfg.size * cfg.size
    if slot.resigned_by:
        winner = -slot.resigned_by
        result = f"{'B' if winner == BLACK else 'W'}+R"
    else:
        score = pos.score()
        winner = BLACK if score > 0 else -BLACK if score < 0 else 0
        result = pos.result_string()
    played_out = pos.is_game_over()
    n = len(slot.planes)
    movers = np.array(slot.movers, dtype=np.float32)
    own = pos.ownership().astype(np.int8)
    examples = Examples.build(
        planes=np.stack(slot.planes) if n else np.zeros((0, cfg.in_planes, cfg.size,
                                                         cfg.size)),
        policy=np.stack(slot.policies) if n else np.zeros((0, npts + 1)),
        policy_weight=np.ones(n),
        value=(1 - cfg.value_mix) * winner * movers
        + cfg.value_mix * np.asarray(slot.root_values, dtype=np.float32),
        value_weight=np.ones(n),
        ownership=(own[None, :] * movers[:, None].astype(np.int8)) if n
        else np.zeros((0, npts)),
        score=pos.score() * movers if played_out else np.zeros(n),
        aux_weight=np.full(n, 1.0 if played_out else 0.0))
    names = {BLACK: "rocks-selfplay", -BLACK: "rocks-selfplay"}
    if slot.opponent is not None:
        names[slot.opponent_colour] = slot.opponent.name
    record = GameRecord(size=cfg.size, komi=cfg.komi, rules="Chinese", moves=pos.moves,
                        result=result, black_player=names[BLACK], white_player=names[-BLACK])
    # The opponent's values are unknown: only the net's side says anything about resigning.
    known = winner and winner != slot.opponent_colour
    loser_known = winner and -winner != slot.opponent_colour
    return SelfPlayGame(slot.index, record, examples, winner, bool(slot.resigned_by),
                        slot.no_resign, tuple(sorted(slot.would_resign)), n, len(pos.moves),
                        slot.min_value[winner] if known else float("nan"),
                        slot.max_value[-winner] if loser_known else float("nan"),
                        slot.opponent_colour, slot.start, slot.start_moves)


def _after_search(cfg: SelfPlayConfig, slot: _Slot) -> bool:
    """Record the search, play its move; True when the game is over."""
    res = slot.mcts.result()
    root = slot.mcts.root
    if res.visits.sum() > 0:
        stat = resign_statistic(res)
        slot.min_value[root.to_play] = min(slot.min_value[root.to_play], stat)
        slot.max_value[root.to_play] = max(slot.max_value[root.to_play], stat)
    if slot.full:
        slot.planes.append(features.position_planes(root, planes=cfg.in_planes))
        slot.policies.append(res.training_policy())
        slot.movers.append(root.to_play)
        slot.root_values.append(res.root_value)
    policy = cfg.move_policy(slot.full)
    if wants_resign(res, policy.resign_threshold):
        if slot.no_resign:
            slot.would_resign.add(root.to_play)
        else:
            slot.resigned_by = root.to_play
            return True
    pruned = slot.full and res.policy_target is not None and cfg.search == "puct"
    move = choose_move(res, len(root.moves), policy, slot.rng,
                       counts=res.policy_target if pruned else None)  # departure 4
    # Decide the next search's kind before advancing: advance() adds root noise per its cfg.
    slot.full = bool(slot.rng.random() < cfg.full_prob)
    slot.mcts.cfg = cfg.mcts(slot.full)
    slot.mcts.advance(move)
    pos = slot.mcts.root
    return pos.is_game_over() or len(pos.moves) >= cfg.move_limit


def play_games(evaluate: EvaluateFn, cfg: SelfPlayConfig, indices: Sequence[int],
               seed: Sequence[int] = (0,),
               on_game: Callable[[SelfPlayGame], None] | None = None,
               opponent: OpponentFactory | None = None,
               starts: Sequence[Sequence[int]] = ()) -> list[SelfPlayGame]:
    """Play the games ``indices`` (``cfg.parallel`` at a time); ``on_game`` sees each as it ends.

    The leaves of all games in flight go to ``evaluate`` together.  ``opponent`` makes the
    outside player of each sparring game (departure 6; needed when
    ``cfg.sparring_fraction`` > 0); its moves are thought on threads meanwhile.  ``starts``:
    the start positions, as flat moves from the empty board (departure 7; needed when
    ``cfg.start_fraction`` > 0)."""
    if cfg.start_fraction > 0 and not starts:
        raise ValueError("start_fraction > 0 needs start positions (play_games' starts)")
    todo = list(indices)[::-1]
    slots: list[_Slot] = []
    done: list[SelfPlayGame] = []
    threads = ThreadPoolExecutor(max_workers=cfg.parallel) if cfg.sparring_fraction else None

    def start_turn(s: _Slot) -> None:
        if _opponent_to_play(s):
            assert threads is not None and s.opponent is not None
            s.reply = threads.submit(s.opponent.genmove, s.mcts.root)
        else:
            s.mcts.begin()

    def searching(s: _Slot) -> bool:
        return s.reply is None and not s.mcts.done()

    def end(s: _Slot) -> None:
        game = _finish(cfg, s)
        done.append(game)
        if on_game is not None:
            on_game(game)

    try:
        while todo or slots:
            while todo and len(slots) < cfg.parallel:
                slots.append(_new_slot(cfg, seed, todo.pop(), opponent, starts))
                start_turn(slots[-1])
            pending = [(s, s.mcts.gather(min(s.mcts.cfg.leaves_per_batch,
                                             s.mcts.target - s.mcts.simulations)))
                       for s in slots if searching(s)]
            positions = [p.position for _, leaves in pending for p in leaves]
            if positions:
                ev = as_evaluation(evaluate(positions), len(positions))
                offset = 0
                for s, leaves in pending:
                    s.mcts.apply(leaves, ev, offset)
                    offset += len(leaves)
            elif any(s.reply is not None for s in slots):  # only opponents are thinking
                wait([s.reply for s in slots if s.reply is not None],
                     return_when=FIRST_COMPLETED)
            still: list[_Slot] = []
            for s in slots:
                if s.reply is not None:
                    if not s.reply.done():
                        still.append(s)
                        continue
                    move, s.reply = s.reply.result(), None  # its error stops the stage
                    over = _opponent_moved(cfg, s, move)
                elif not s.mcts.done():
                    still.append(s)
                    continue
                else:
                    over = _after_search(cfg, s)
                if over:
                    end(s)
                else:
                    start_turn(s)
                    still.append(s)
            slots = still
    finally:
        # A failed stage: the opponents of the games in flight go too, once none is thinking
        # (a GTP engine answers one caller at a time).
        if threads is not None:
            threads.shutdown(wait=True, cancel_futures=True)
        for s in slots:
            if s.opponent is not None:
                s.opponent.close()
    return done


def save_game(game: SelfPlayGame, shard_path: str | Path, sgf_path: str | Path | None = None,
              meta: dict[str, object] | None = None) -> None:
    """Write a game's examples (shard) and record (SGF), each atomically; SGF first so that
    the shard, which marks the game as done, exists only when both do."""
    if sgf_path is not None:
        save_sgf(game.record, sgf_path)
    write_shard(shard_path, game.examples,
                {"source": "selfplay", "index": game.index, **(meta or {})})


def resign_stats(games: Sequence[SelfPlayGame]) -> dict[str, float]:
    """False resignations among no-resign games: a side wanted to resign but went on to win."""
    checked = [g for g in games if g.no_resign and g.would_resign]
    false = [g for g in checked if g.winner in g.would_resign]
    return {"no_resign_games": float(sum(g.no_resign for g in games)),
            "would_resign": float(len(checked)),
            "false_resign_rate": len(false) / len(checked) if checked else float("nan")}


def calibrate_resign_threshold(winner_min_values: Sequence[float], configured: float,
                               false_rate: float = 0.05, min_games: int = 10) -> float:
    """The highest threshold (at most ``configured``) that would have resigned no more than
    ``false_rate`` of the won no-resign games; ``configured`` until ``min_games`` are known."""
    values = np.asarray([v for v in winner_min_values if np.isfinite(v)], dtype=np.float64)
    if len(values) < min_games:
        return configured
    return float(min(configured, np.quantile(values, false_rate)))

"""Value-network data by AlphaGo's recipe: one position per game, labelled by policy play.

Follows AlphaGo (Silver et al., Nature 2016, "Reinforcement learning of value networks" and
Methods, "Value network"): successive positions of one game are strongly correlated and a
value network trained on whole games memorises them, so each game gives one position.  A time
step U is drawn uniformly; moves 1..U-1 are sampled from the SL policy, move U is uniformly
random among the legal moves, and the RL policy plays the game out from there.  The example is
(s_{U+1}, z), z the outcome from the view of the player to move in s_{U+1}.  Playing a policy
without search is hundreds of times cheaper than a self-play search per move, which is the
point on a machine with two cores.

Departures, numbered:
  1. ``evaluate`` plays the moves before U and ``finish`` (default: the same network) the
     moves after it; AlphaGo used its SL and RL policies there.
  2. The random move follows u ~ uniform{0, ..., max_u} policy moves (so U = u + 1), max_u =
     3/4 of the board's points by default (AlphaGo: U in 1..450 on 19x19), so that s_{U+1}
     ranges from the opening to the endgame of a short 9x9 game.  A game that ends before
     its random move gives no example.
  3. A move is sampled from the network's priors at ``temperature`` over the empty points and
     pass; a draw that is illegal (suicide, superko) or fills the mover's own eye (the playout
     heuristic, :meth:`rocks.go.board.Position.is_eye`) is struck out and drawn again, so a
     policy without search does not destroy its own living groups.  The random move U is
     drawn the same way from uniform priors over the points (pass only when nothing else is
     left).
  4. The game ends at two passes or at ``max_moves``; z and the ownership and score targets
     are the Tromp-Taylor result of the final board (stones the policy left on the board count
     as alive, as in self-play).  Ownership and score are kept only for games that ended by
     two passes (their weight is 0 otherwise).
  5. ``positions_per_game`` > 1 also takes s_{U+1+k*stride} (k = 1, 2, ...) while the game
     lasts: more examples per CPU-second at the price of the correlation AlphaGo avoided;
     the default is AlphaGo's one.

:func:`write_value_data` (``rocks data value-games``) plays them in chunks into the folder
layout of ``rocks data import`` (``train/`` and ``val/`` shards, split by game), resuming chunk
by chunk, so that ``rocks train supervised --data`` and any mix of shards can read them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from rocks.go import features
from rocks.go.board import BLACK, EMPTY, WHITE, Position, Rules
from rocks.go.sgf import GameRecord
from rocks.search.contracts import EvaluateFn, as_evaluation
from rocks.train.shards import Examples, write_shard

__all__ = ["ValueGamesConfig", "ValueGame", "ValueDataConfig", "play_value_games",
           "sample_move", "write_value_data", "chunk_path", "games_table"]


@dataclass(frozen=True)
class ValueGamesConfig:
    """How the value games are played.

    Attributes:
        size, komi: the game (area scoring, positional superko, no suicide).
        parallel: games in flight at once (their positions share one network call).
        max_u: the most policy moves before the random one (None: 3/4 of the board's points).
        temperature: of the policy's move sampling (1: the network's priors as they are).
        max_moves: moves after which the game is scored as it stands (0: 2 * size^2).
        positions_per_game: examples a game gives (departure 5; AlphaGo: 1).
        stride: moves between a game's examples when it gives more than one.
        in_planes: input planes the examples record (19, or 22 with the ladder planes).
    """

    size: int = 9
    komi: float = 7.5
    parallel: int = 128
    max_u: int | None = None
    temperature: float = 1.0
    max_moves: int = 0
    positions_per_game: int = 1
    stride: int = 8
    in_planes: int = features.NUM_PLANES

    def __post_init__(self) -> None:
        if self.parallel < 1:
            raise ValueError("parallel must be >= 1")
        if (self.max_u is not None and self.max_u < 0) or self.max_moves < 0:
            raise ValueError("max_u and max_moves must be >= 0")
        if self.temperature <= 0:
            raise ValueError("temperature must be > 0")
        if self.positions_per_game < 1 or self.stride < 1:
            raise ValueError("positions_per_game and stride must be >= 1")
        features.check_planes(self.in_planes)

    @property
    def u_limit(self) -> int:
        return (3 * self.size * self.size) // 4 if self.max_u is None else self.max_u

    @property
    def move_limit(self) -> int:
        return self.max_moves or 2 * self.size * self.size


@dataclass(frozen=True)
class ValueGame:
    """One finished game: its u (policy moves before the random one), its examples (empty if
    it ended before the random move) and its result."""

    index: int
    u: int
    examples: Examples
    winner: int  # BLACK, WHITE or 0 (a draw under an integer komi)
    moves: int
    played_out: bool  # ended by two passes (not at the move limit)
    record: GameRecord


@dataclass
class _Game:
    index: int
    u: int
    rng: np.random.Generator
    position: Position
    planes: list[np.ndarray] = field(default_factory=list)
    movers: list[int] = field(default_factory=list)
    next_record: int = -1  # move number of the next position to record


def sample_move(position: Position, priors: np.ndarray, rng: np.random.Generator,
                temperature: float = 1.0) -> int:
    """A move drawn from ``priors`` (pass last) over the empty points and pass, redrawn while
    the draw is illegal or fills the mover's own eye (departure 3); pass when nothing is left."""
    n = position.size * position.size
    p = np.asarray(priors, dtype=np.float64)[: n + 1].copy()
    p[:n][position.board != EMPTY] = 0.0
    p = np.clip(p, 0.0, None)
    if temperature != 1.0:
        p = p ** (1.0 / temperature)
    while True:
        total = p.sum()
        if not total > 0.0:
            return n
        move = int(rng.choice(n + 1, p=p / total))
        if move == n:
            return n
        if not position.is_eye(move) and position.is_legal(move):
            return move
        p[move] = 0.0


def _random_move(position: Position, rng: np.random.Generator) -> int:
    """AlphaGo's move U: uniform over the points that ``sample_move`` accepts, pass if none."""
    n = position.size * position.size
    uniform = np.ones(n + 1)
    uniform[n] = 0.0  # pass only when no point is left
    return sample_move(position, uniform, rng)


def _finish(cfg: ValueGamesConfig, g: _Game) -> ValueGame:
    pos = g.position
    score = pos.score()
    winner = BLACK if score > 0 else WHITE if score < 0 else 0
    played_out = pos.is_game_over()
    n = len(g.planes)
    npts = cfg.size * cfg.size
    movers = np.asarray(g.movers, dtype=np.float32)
    own = pos.ownership().astype(np.float32)
    examples = Examples.build(
        planes=np.stack(g.planes) if n else np.zeros((0, cfg.in_planes, cfg.size, cfg.size)),
        policy=np.zeros((n, npts + 1)),
        policy_weight=np.zeros(n),  # no move target: the policy that played is not a teacher
        value=winner * movers,
        value_weight=np.ones(n),
        ownership=own[None, :] * movers[:, None] if n else np.zeros((0, npts)),
        score=score * movers,
        aux_weight=np.full(n, 1.0 if played_out else 0.0))
    record = GameRecord(size=cfg.size, komi=cfg.komi, rules="Chinese", moves=pos.moves,
                        result=pos.result_string(), black_player="rocks-policy",
                        white_player="rocks-policy",
                        comments=((0, f"rocks:value-game u={g.u}"),))
    return ValueGame(g.index, g.u, examples, winner, len(pos.moves), played_out, record)


def _new_game(cfg: ValueGamesConfig, seed: Sequence[int], index: int) -> _Game:
    rng = np.random.default_rng([*seed, index])
    u = int(rng.integers(0, cfg.u_limit + 1))
    return _Game(index, u, rng, Position.empty(cfg.size, cfg.komi, Rules()), next_record=u + 1)


def _over(cfg: ValueGamesConfig, g: _Game) -> bool:
    return g.position.is_game_over() or len(g.position.moves) >= cfg.move_limit


def _record_if_due(cfg: ValueGamesConfig, g: _Game) -> None:
    pos = g.position
    if len(pos.moves) == g.next_record and len(g.planes) < cfg.positions_per_game:
        g.planes.append(features.position_planes(pos, planes=cfg.in_planes))
        g.movers.append(pos.to_play)
        g.next_record += cfg.stride


def play_value_games(evaluate: EvaluateFn, cfg: ValueGamesConfig, indices: Sequence[int],
                     seed: Sequence[int] = (0,), finish: EvaluateFn | None = None,
                     on_game: Callable[[ValueGame], None] | None = None) -> list[ValueGame]:
    """Play the games ``indices`` (``cfg.parallel`` at a time); ``on_game`` sees each as it
    ends.  Game ``i`` draws its U and moves from (seed, i) alone, so a game is the same
    whichever others share its batches (for a deterministic network)."""
    finish = finish or evaluate
    todo = list(indices)[::-1]
    games: list[_Game] = []
    done: list[ValueGame] = []
    while todo or games:
        while todo and len(games) < cfg.parallel:
            games.append(_new_game(cfg, seed, todo.pop()))
        moves: dict[int, int] = {}
        for stage_fn, before in ((evaluate, True), (finish, False)):
            batch = [g for g in games if len(g.position.moves) != g.u
                     and (len(g.position.moves) < g.u) == before]
            if not batch:
                continue
            ev = as_evaluation(stage_fn([g.position for g in batch]), len(batch))
            for g, priors in zip(batch, ev.priors, strict=True):
                moves[g.index] = sample_move(g.position, priors, g.rng, cfg.temperature)
        still: list[_Game] = []
        for g in games:
            move = moves.get(g.index)
            if move is None:  # move U
                move = _random_move(g.position, g.rng)
            g.position = g.position.play(move)
            _record_if_due(cfg, g)
            if _over(cfg, g):
                game = _finish(cfg, g)
                done.append(game)
                if on_game is not None:
                    on_game(game)
            else:
                still.append(g)
        games = still
    return done


# ------------------------------------------------------------------ chunks on disk


@dataclass(frozen=True)
class ValueDataConfig:
    """``rocks data value-games``: AlphaGo's value-network data from a network's policy.

    Attributes:
        model: the checkpoint whose policy plays every move but the random one.
        out_dir: ``train/`` and ``val/`` shards (one per chunk), ``games/`` (a CSV row per
            game), ``sgf/`` (the first chunk's first 16 games), ``value_data_config.json``.
        games: game indices 0..games-1.
        chunk: games per shard, the unit of resumption (a chunk's shard marks it done).
        val_chunks: the last chunks are held out (``val/``).
        seed: game i is a function of (seed, i) and the network only.
        play: how the games are played (``--play.parallel``, ``--play.temperature``, ...);
            its ``in_planes`` is set from the model.
    """

    model: str = "models/rocks-9x9-b6c64.safetensors"
    out_dir: str = field(default="value_games", metadata={"flag": "--out"})
    games: int = 8192
    chunk: int = 512
    val_chunks: int = 1
    seed: int = 0
    play: ValueGamesConfig = field(default_factory=ValueGamesConfig)

    def __post_init__(self) -> None:
        if self.games < 1 or self.chunk < 1:
            raise ValueError("games and chunk must be >= 1")
        if not 0 <= self.val_chunks < math.ceil(self.games / self.chunk):
            raise ValueError("val_chunks must leave at least one training chunk")

    @property
    def chunks(self) -> int:
        return math.ceil(self.games / self.chunk)


def chunk_path(cfg: ValueDataConfig, i: int) -> Path:
    """Chunk ``i``'s shard: in ``val/`` for the last ``val_chunks`` chunks, else ``train/``."""
    split = "val" if i >= cfg.chunks - cfg.val_chunks else "train"
    return Path(cfg.out_dir) / split / f"chunk_{i:04d}.npz"


def write_value_data(cfg: ValueDataConfig, evaluate: EvaluateFn | None = None,
                     on_chunk: Callable[[dict[str, float]], None] | None = None
                     ) -> dict[str, float]:
    """Play the chunks of ``cfg`` that are not on disk yet; ``evaluate`` (default: the
    model, bf16 where it passes, batch = ``play.parallel``) plays the moves.  ``on_chunk``
    sees each new chunk's statistics.  Returns the statistics of every game on disk."""
    import pandas as pd

    from rocks.atomic import write_json, write_text
    from rocks.go.sgf import save_sgf
    from rocks.progress import progress

    play = cfg.play
    if evaluate is None:
        from rocks.nets.checkpoint import read_checkpoint
        from rocks.nets.evaluator import Evaluator
        from rocks.train.selfplay import net_evaluate

        net = read_checkpoint(cfg.model).net
        play = replace(play, in_planes=net.config.in_planes)
        evaluate = net_evaluate(Evaluator(net, batch_size=play.parallel, use_bf16=True,
                                          channels_last=True))
    out = Path(cfg.out_dir)
    (out / "games").mkdir(parents=True, exist_ok=True)
    write_json(out / "value_data_config.json", {**asdict(cfg), "play": asdict(play)})
    for i in progress(range(cfg.chunks), desc="value games"):
        path = chunk_path(cfg, i)
        if path.exists():
            continue
        start = time.process_time()
        games = sorted(play_value_games(evaluate, play,
                                        range(i * cfg.chunk, min(cfg.games, (i + 1) * cfg.chunk)),
                                        seed=(cfg.seed,)), key=lambda g: g.index)
        rows = pd.DataFrame([dict(index=g.index, u=g.u, moves=g.moves, winner=g.winner,
                                  played_out=g.played_out, examples=len(g.examples),
                                  result=g.record.result) for g in games])
        write_text(out / "games" / f"chunk_{i:04d}.csv", rows.to_csv(index=False))
        if i == 0:
            (out / "sgf").mkdir(exist_ok=True)
            for g in games[:16]:
                save_sgf(g.record, out / "sgf" / f"game_{g.index:06d}.sgf")
        parts = [g.examples for g in games if len(g.examples)]
        if not parts:
            raise ValueError(f"chunk {i}: no game lasted to its random move")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_shard(path, Examples.concat(parts), {"chunk": i})  # last: marks the chunk done
        if on_chunk is not None:
            on_chunk(dict(chunk=i, games=len(games), examples=sum(len(p) for p in parts),
                          cpu_s=round(time.process_time() - start, 1),
                          mean_moves=round(float(rows.moves.mean()), 1),
                          black_wins=round(float((rows.winner == BLACK).mean()), 3),
                          played_out=round(float(rows.played_out.mean()), 3)))
    table = games_table(out)
    return dict(games=float(len(table)), examples=float(table.examples.sum()),
                mean_moves=float(table.moves.mean()),
                black_wins=float((table.winner == BLACK).mean()),
                played_out=float(table.played_out.mean()))


def games_table(out_dir: str | Path):
    """A row per game on disk in ``out_dir`` (index, u, moves, winner, played_out, examples,
    result): the ``games/`` CSVs of :func:`write_value_data`, in chunk order."""
    import pandas as pd

    files = sorted((Path(out_dir) / "games").glob("chunk_*.csv"))
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)

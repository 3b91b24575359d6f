"""Random Go games: length and Tromp-Taylor score by board size.

How long is a game between two uniformly random players (random legal move that does not fill
the player's own eye; pass only when no such move is left; two passes end the game), and how is
the final Tromp-Taylor area margin (Black area - White area, before komi) distributed, on 5x5,
7x7, 9x9 and 13x13?  These are the light playouts of Monte Carlo Go (Brügmann 1993; Gelly et al.
2006, MoGo), the baseline every playout policy and value estimate in rocks is compared with.

Run:   rocks lab run random-go-games --set size=9 --set games=1000
Sweep: rocks lab sweep random-go-games --param size=5,7,9,13 --param superko=positional,none
Then:  rocks lab run random-go-games --set analyze=true   (figures across all runs)

Uses the plain rules of rocks.go.board.Position (no fast path), so it also measures their speed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from rocks.go.board import BLACK, EMPTY, Position, Rules
from rocks.lab import Run, collect, new_figure, progress, start_run


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    size: int = 9  # board side
    games: int = 1000  # random games to play
    komi: float = 0.0  # komi for the win-rate metric (the margin itself is before komi)
    superko: str = "positional"  # positional | none (simple ko only, as many fast playouts)
    suicide: bool = False  # allow suicide (pure Tromp-Taylor) or not (CGOS, Chinese rules)
    move_cap: float = 3.0  # a game stops after move_cap * size * size moves
    seed: int = 0  # random seed
    analyze: bool = False  # instead of playing, draw figures across every earlier run


def random_game(pos: Position, cap: int, rng: np.random.Generator) -> tuple[Position, bool]:
    """Play uniformly random non-eye-filling legal moves to the end; (final position, capped)."""
    while not pos.is_game_over():
        if pos.move_number >= cap:
            return pos, True
        empties = np.flatnonzero(pos.board == EMPTY)
        rng.shuffle(empties)
        move = pos.pass_move
        # The first acceptable point of a random order is uniform over acceptable points.
        for p in empties:
            p = int(p)
            if not pos.is_eye(p) and pos.is_legal(p):
                move = p
                break
        pos = pos.play(move)
    return pos, False


def play(cfg: Config, run: Run) -> None:
    rng = np.random.default_rng(cfg.seed)
    rules = Rules(suicide=cfg.suicide, superko=cfg.superko)  # type: ignore[arg-type]
    start = Position.empty(cfg.size, cfg.komi, rules)
    cap = int(cfg.move_cap * cfg.size * cfg.size)
    log = run.metrics("games")
    t0 = time.perf_counter()
    for game in progress(range(cfg.games), desc=f"{cfg.size}x{cfg.size} games"):
        t = time.perf_counter()
        pos, capped = random_game(start, cap, rng)
        black, white = pos.area()
        passes = sum(1 for _, m in pos.moves if m == pos.pass_move)
        log.log(game=game, size=cfg.size, moves=pos.move_number, passes=passes,
                stones_black=int((pos.board == BLACK).sum()),
                stones_white=int((pos.board == -BLACK).sum()),
                area_black=black, area_white=white, margin=black - white,
                captured_by_black=pos.captures[0], captured_by_white=pos.captures[1],
                capped=capped, seconds=round(time.perf_counter() - t, 5))
    seconds = time.perf_counter() - t0
    log.close()
    df = log.read()
    points = cfg.size * cfg.size
    margin = df["margin"].to_numpy()

    fig, axes = new_figure(1, 3, width=4.2, height=3.4)
    axes[0].hist(df["moves"], bins=40, color="tab:blue")
    axes[0].set(title="game length", xlabel="moves (passes included)", ylabel="games")
    lo, hi = margin.min(), margin.max()
    axes[1].hist(margin, bins=np.arange(lo - 0.5, hi + 1.5), color="tab:green")
    axes[1].set(title="area margin B - W (no komi)", xlabel="points", ylabel="games")
    komis = np.arange(-points / 2, points / 2 + 0.5, 0.5)
    axes[2].plot(komis, [(margin > k).mean() for k in komis], color="black")
    axes[2].axhline(0.5, color="grey", linestyle=":")
    axes[2].set(title="Black wins", xlabel="komi", ylabel="fraction of games")
    fig.suptitle(f"{cfg.games} random games on {cfg.size}x{cfg.size}, superko={cfg.superko}")
    run.save_figure(fig, "games")

    run.finish("moves_per_point", df["moves"].mean() / points,
               mean_margin=margin.mean(), std_margin=margin.std(ddof=1),
               black_win_rate=float((margin > cfg.komi).mean()),
               p_capped=df["capped"].mean(), mean_moves=df["moves"].mean(),
               median_margin=float(np.median(margin)),
               draw_rate=float((margin == cfg.komi).mean()),
               se_margin=margin.std(ddof=1) / np.sqrt(len(margin)),
               captured_per_point=(df["captured_by_black"] + df["captured_by_white"]).mean()
               / points, games_per_second=cfg.games / seconds)


def analyze(run: Run) -> None:
    """Figures across every earlier run: length and margin distributions by size and superko."""
    df = collect(run.experiment, "games.csv")
    df["points"] = df["size"] ** 2
    df["moves_per_point"] = df["moves"] / df["points"]
    # One colour owning every point: the other side's stones were all captured at the end.
    df["whole_board"] = df["margin"].abs() == df["points"]
    df["neutral"] = df["points"] - df["area_black"] - df["area_white"]
    df["captured"] = (df["captured_by_black"] + df["captured_by_white"]) / df["points"]
    table = (df.groupby(["superko", "size"])
               .agg(games=("game", "size"), mean_moves=("moves", "mean"),
                    moves_per_point=("moves_per_point", "mean"),
                    mean_margin=("margin", "mean"), std_margin=("margin", "std"),
                    median_margin=("margin", "median"), p_capped=("capped", "mean"),
                    black_wins_komi0=("margin", lambda m: (m > 0).mean()),
                    p_whole_board=("whole_board", "mean"), mean_neutral=("neutral", "mean"),
                    captured_per_point=("captured", "mean"),
                    ms_per_game=("seconds", lambda s: 1000 * s.mean()))
               .reset_index())
    table.to_csv(run.dir / "by_size.csv", index=False)
    print(table.to_string(index=False))

    fig, axes = new_figure(1, 3, width=4.4, height=3.6)
    for (superko, size), grp in df.groupby(["superko", "size"]):
        style = "-" if superko == "positional" else "--"
        label = f"{size}x{size} {superko}"
        lengths = np.sort(grp["moves_per_point"].to_numpy())
        axes[0].plot(lengths, np.linspace(0, 1, len(lengths)), style, label=label)
        m = np.sort((grp["margin"] / grp["points"]).to_numpy())
        axes[1].plot(m, np.linspace(0, 1, len(m)), style, label=label)
    axes[0].set(title="game length (CDF)", xlabel="moves / board points", ylabel="fraction")
    axes[1].set(title="area margin B - W (CDF)", xlabel="margin / board points",
                ylabel="fraction")
    axes[0].legend(fontsize="x-small")
    pos = table[table["superko"] == "positional"]
    axes[2].errorbar(pos["size"], pos["mean_margin"],
                     yerr=1.96 * pos["std_margin"] / np.sqrt(pos["games"]), marker="o",
                     capsize=3, label="mean margin ±95%")
    axes[2].plot(pos["size"], pos["std_margin"], marker="s", label="std of margin")
    axes[2].axhline(0, color="grey", linestyle=":")
    axes[2].set(title="margin by size (positional superko)", xlabel="board size",
                ylabel="points")
    axes[2].legend(fontsize="small")
    run.save_figure(fig, "by_size")
    run.finish("games", float(len(df)), runs=int(df["run_id"].nunique()))


if __name__ == "__main__":
    run = start_run(Config, __file__)
    if run.config.analyze:
        analyze(run)
    else:
        play(run.config, run)

"""Game review: every position of a game analysed, each move's point loss, the biggest mistakes.

Follows what KaTrain (Sanderland's teaching app over KataGo) shows a player after a game: each
move's points lost = the mover's score lead before it minus the lead after it (both searched),
the engine's better move and its variation, and a graph of win rate and score over the game.
``rocks review GAME.sgf`` writes, in ``--out``:

- ``GAME-review.sgf``: the game, each move's node commented (``C``: win rate, score lead, point
  loss, best move and variation), Sabaki's win-rate property ``SBKV`` (Black's, in percent),
  ``BM`` on the biggest mistakes, and the best variation as a branch beside the move played;
- ``mistakes.txt``: each side's biggest mistakes;
- ``graph.png``: Black's win rate and score lead over the game, mistakes marked.

Departures, numbered:
  1. Point loss is KaTrain's: the position's score lead minus the move's, both from the search
     of the position before the move (:mod:`rocks.play.analyst`, departure 1: one ply deep
     each, from the network's score head); a move the search did not report is scored by one
     evaluation of the position after it; the engine's own best move loses 0 by definition.
  2. Where the model's training board size is not recorded (checkpoint metadata ``size``, else
     the ``NxN`` in its file name), the review says the size is unknown rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rocks.go import coords
from rocks.go.board import BLACK
from rocks.go.sgf import GameRecord, load_sgf
from rocks.play.analyst import Analysis, Analyst, make_analyst
from rocks.play.players import Device, Precision, resolve_model


@dataclass(frozen=True)
class ReviewConfig:
    """Options of ``rocks review``.

    Attributes:
        sgf: the game to review (its main line).
        visits: search visits per position.
        out: folder of the outputs (none: GAME-review next to the SGF).
        model: network checkpoint: a path, bundled (the shipped 9x9 model) or none (random
            rollouts: no score head, score leads from the count).
        mistakes: mistakes listed per side.
        min_loss: points a move must lose to count as a mistake.
        threads: search threads, one core each.
        precision: network arithmetic: auto, fp32 or bf16.
        device: where the network runs: auto, cpu, cuda or mps.
        seed: random seed of the searches.
        quiet: no progress bar.
    """

    sgf: str = field(metadata={"positional": True})
    visits: int = 100
    out: str | None = None
    model: str = "bundled"
    mistakes: int = 5
    min_loss: float = 1.0
    threads: int = 1
    precision: Precision = "auto"
    device: Device = "auto"
    seed: int | None = 0
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.visits < 1 or self.mistakes < 0 or self.threads < 1:
            raise ValueError("visits and threads must be at least 1, mistakes not negative")


@dataclass(frozen=True)
class MoveReview:
    """One move of the game and what the engine thinks of it.

    Attributes:
        number: move number (1 = the first move).
        colour: BLACK or WHITE, who played it.
        move: flat index played.
        winrate: Black's win rate after the move.
        score_lead: Black's score lead after the move.
        loss: points the mover lost with it (>= 0; departure 1).
        winrate_loss: the mover's win rate lost with it (>= 0).
        best: the engine's move in the position before.
        best_pv: the engine's variation from that position.
    """

    number: int
    colour: int
    move: int
    winrate: float
    score_lead: float
    loss: float
    winrate_loss: float
    best: int | None
    best_pv: tuple[int, ...]


@dataclass(frozen=True)
class Review:
    """A reviewed game: its moves, each side's biggest mistakes, where the outputs went."""

    record: GameRecord
    start: tuple[float, float]  # Black's win rate and lead before the first move
    moves: tuple[MoveReview, ...]
    mistakes: dict[int, tuple[MoveReview, ...]]
    notes: tuple[str, ...]
    sgf_path: Path | None = None
    mistakes_path: Path | None = None
    graph_path: Path | None = None

    @property
    def summary(self) -> str:
        lines = [*self.notes, mistakes_text(self)]
        if self.sgf_path:
            lines.append(f"annotated SGF: {self.sgf_path}\nmistakes: {self.mistakes_path}\n"
                         f"graph: {self.graph_path}")
        return "\n".join(lines)


def size_note(model: str | None, size: int) -> str | None:
    """A line saying the model never saw this board size (or that nobody knows), else None."""
    if model is None:
        return None
    seen: int | None = None
    try:
        from rocks.nets.checkpoint import read_checkpoint

        meta = read_checkpoint(model).metadata or {}
        for key in ("size", "board_size"):
            if str(meta.get(key, "")).isdigit():
                seen = int(meta[key])
    except Exception:  # noqa: BLE001 - the name is the fallback (departure 2)
        pass
    if seen is None:
        match = re.search(r"(\d+)x\1", Path(model).name)
        seen = int(match.group(1)) if match else None
    if seen is None:
        return f"note: the model does not record its training board size; {size}x{size} " \
               "may be new to it"
    if seen != size:
        return f"note: the model was trained on {seen}x{seen} and has never seen " \
               f"{size}x{size}: its judgement here is a guess"
    return None


def review_game(record: GameRecord, analyst: Analyst, visits: int, mistakes: int = 5,
                show_progress: bool = False, notes: tuple[str, ...] = (),
                min_loss: float = 1.0) -> Review:
    """Analyse every position of ``record``'s main line and rate each move."""
    positions = record.positions()
    it = positions
    if show_progress:
        from rocks.progress import progress

        it = progress(positions, desc="review", total=len(positions), log_interval=5.0)
    analyses: list[Analysis] = []
    for pos in it:
        found = analyst.analyse(pos, visits)
        assert found is not None  # nothing stops it
        analyses.append(found)
    moves = []
    for i, (colour, move) in enumerate(record.moves, start=1):
        before, after = analyses[i - 1], analyses[i]
        # KaTrain's point loss: the position's lead minus the move's, both from the search of
        # the position before it (one ply deep each; departure 1).
        played = next((m for m in before.moves if m.move == move), None)
        if played is not None:
            wr_move, lead_move = played.winrate, played.score_lead
        elif before.position.to_play == colour:
            wr_move, lead_move = analyst.move_value(before.position, move)
        else:  # a move out of turn: judge it by the position it leads to
            wr_move, lead_move = _winrate_for(after, colour), _lead_for(after, colour)
        best = before.best.move if before.best else None
        own_best = best == move
        moves.append(MoveReview(
            i, colour, move, _winrate_for(after, BLACK), _lead_for(after, BLACK),
            0.0 if own_best else max(0.0, _lead_for(before, colour) - lead_move),
            0.0 if own_best else max(0.0, _winrate_for(before, colour) - wr_move),
            best, before.best.pv if before.best else ()))
    worst = {c: tuple(sorted((m for m in moves if m.colour == c and m.loss >= min_loss),
                             key=lambda m: -m.loss)[:mistakes]) for c in (BLACK, -BLACK)}
    start = (_winrate_for(analyses[0], BLACK), _lead_for(analyses[0], BLACK))
    return Review(record, start, tuple(moves), worst, notes)


def _lead_for(a: Analysis, colour: int) -> float:
    return a.score_lead if a.position.to_play == colour else -a.score_lead


def _winrate_for(a: Analysis, colour: int) -> float:
    return a.winrate if a.position.to_play == colour else 1.0 - a.winrate


# ------------------------------------------------------------------------------ outputs
def _who(colour: int) -> str:
    return "B" if colour == BLACK else "W"


def _lead_text(lead_black: float) -> str:
    return f"B+{lead_black:.1f}" if lead_black >= 0 else f"W+{-lead_black:.1f}"


def move_comment(m: MoveReview, size: int) -> str:
    """The ``C`` text of a reviewed move's node (what Sabaki and KaTrain show beside it)."""
    lines = [f"Move {m.number}: {_who(m.colour)} {coords.to_gtp(m.move, size)}",
             f"Black win rate: {100 * m.winrate:.1f}%   Score: {_lead_text(m.score_lead)}",
             f"Point loss: {m.loss:.1f}   Win rate lost: {100 * m.winrate_loss:.1f}%"]
    if m.best is not None:
        best = coords.to_gtp(m.best, size)
        lines.append(f"Best: {best}" + ("" if m.best != m.move else " (played)"))
        if m.best_pv:
            lines.append("Variation: " + " ".join(coords.to_gtp(v, size) for v in m.best_pv))
    return "\n".join(lines)


def mistakes_text(review: Review) -> str:
    size = review.record.size
    out = []
    for colour, name in ((BLACK, "Black"), (-BLACK, "White")):
        out.append(f"{name}'s biggest mistakes:")
        rows = review.mistakes.get(colour, ())
        if not rows:
            out.append("  none")
        for m in rows:
            best = coords.to_gtp(m.best, size) if m.best is not None else "?"
            out.append(f"  move {m.number:>3} {coords.to_gtp(m.move, size):>4}: "
                       f"-{m.loss:.1f} points, -{100 * m.winrate_loss:.0f}% win rate; "
                       f"better {best}")
    return "\n".join(out)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("]", "\\]")


def annotated_sgf(review: Review) -> str:
    """The game with each move reviewed (see the module docstring)."""
    rec = review.record
    size = rec.size
    flagged = {m.number for ms in review.mistakes.values() for m in ms}
    root = [f"GM[1]FF[4]CA[UTF-8]AP[rocks review]SZ[{size}]KM[{rec.komi:g}]"]
    if rec.rules:
        root.append(f"RU[{_esc(rec.rules)}]")
    if rec.handicap:
        root.append(f"HA[{rec.handicap}]")
    for prop, pts in (("AB", rec.black_setup), ("AW", rec.white_setup)):
        if pts:
            root.append(prop + "".join(f"[{coords.to_sgf(p, size)}]" for p in pts))
    if rec.first_player != BLACK:
        root.append("PL[W]")
    for prop, text in (("PB", rec.black_player), ("PW", rec.white_player),
                       ("RE", rec.result or ""), ("DT", rec.date)):
        if text:
            root.append(f"{prop}[{_esc(text)}]")
    wr, lead = review.start
    intro = "\n".join([*review.notes, f"Black win rate {100 * wr:.1f}%, score "
                       f"{_lead_text(lead)}", mistakes_text(review)])
    root.append(f"C[{_esc(intro)}]SBKV[{100 * wr:.1f}]")
    out = "(;" + "".join(root)
    tails = []
    for m in review.moves:
        node = (f";{_who(m.colour)}[{coords.to_sgf(m.move, size)}]"
                f"C[{_esc(move_comment(m, size))}]SBKV[{100 * m.winrate:.1f}]"
                + ("BM[1]" if m.number in flagged else ""))
        if m.best is not None and m.best != m.move and m.best_pv:
            colour = m.colour
            var = ""
            for k, v in enumerate(m.best_pv):
                var += f";{_who(colour)}[{coords.to_sgf(v, size)}]"
                if k == 0:
                    var += f"C[{_esc('rocks: better than ' + coords.to_gtp(m.move, size))}]"
                colour = -colour
            out += "\n(" + node
            tails.append(f")\n({var})")
        else:
            out += "\n" + node
    return out + "".join(reversed(tails)) + ")\n"


def write_graph(review: Review, path: Path) -> Path:
    """Black's win rate and score lead over the game (PNG), mistakes marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [0] + [m.number for m in review.moves]
    wr = [100 * review.start[0]] + [100 * m.winrate for m in review.moves]
    lead = [review.start[1]] + [m.score_lead for m in review.moves]
    fig, (a, b) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    a.plot(xs, wr, color="black", lw=1.5)
    a.axhline(50, color="grey", lw=0.8, ls=":")
    a.set_ylim(0, 100)
    a.set_ylabel("Black win rate (%)")
    b.plot(xs, lead, color="tab:blue", lw=1.5)
    b.axhline(0, color="grey", lw=0.8, ls=":")
    b.set_ylabel("Black score lead")
    b.set_xlabel("move")
    for colour, marker in ((BLACK, "v"), (-BLACK, "^")):
        ms = review.mistakes.get(colour, ())
        a.scatter([m.number for m in ms], [100 * m.winrate for m in ms], marker=marker,
                  color="tab:red", zorder=3, label=f"{'Black' if colour == BLACK else 'White'}"
                  " mistakes")
    a.legend(loc="best", fontsize=8)
    name = Path(review.record.black_player or "Black").name
    fig.suptitle(f"{name} vs {review.record.white_player or 'White'}: rocks review")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def run_review(config: ReviewConfig, analyst: Analyst | None = None) -> Review:
    """``rocks review``: load, analyse, write the three outputs."""
    sgf = Path(config.sgf)
    record = load_sgf(sgf)
    note = size_note(resolve_model(config.model), record.size)
    notes = (note,) if note else ()
    if note:
        import sys

        print(note, file=sys.stderr)
    if analyst is None:
        analyst = make_analyst(config.model, config.threads, precision=config.precision,
                               device=config.device, seed=config.seed)
    review = review_game(record, analyst, config.visits, config.mistakes,
                         show_progress=not config.quiet, notes=notes, min_loss=config.min_loss)
    out = Path(config.out) if config.out else sgf.with_name(sgf.stem + "-review")
    out.mkdir(parents=True, exist_ok=True)
    sgf_path = out / f"{sgf.stem}-review.sgf"
    sgf_path.write_text(annotated_sgf(review), encoding="utf-8")
    mistakes_path = out / "mistakes.txt"
    mistakes_path.write_text("\n".join([*notes, mistakes_text(review)]) + "\n",
                             encoding="utf-8")
    graph_path = write_graph(review, out / "graph.png")
    from dataclasses import replace

    return replace(review, sgf_path=sgf_path, mistakes_path=mistakes_path,
                   graph_path=graph_path)



"""Go game records and SGF: read and write :class:`GameRecord` on top of sgfmill.

Follows SGF FF[4] (Hollosi, red-bean.com/sgf) for the game of Go (GM[1]); parsing and
serialising are sgfmill's, the record type and every check are ours.  Departures, numbered:
  1. Only the main line is read (the first child at every branch); other variations are dropped.
  2. Setup stones (AB/AW, and AE) count only before the first move; setup later in the game is
     refused with an SgfError rather than silently misread.
  3. Moves are replayed under the record's rules when it is read (``check=True``), so an illegal
     move is reported at read time with its move number.  RU maps to rocks' rule options:
     Chinese/CGOS/AGA -> no suicide, positional superko; Tromp-Taylor/NZ -> suicide allowed;
     Japanese/Korean -> no suicide, simple ko only; anything else -> the caller's default.
  4. Comments are kept per node as (move number, text), 0 for the root; other properties
     (markup, timing, variations' contents) are not kept.

Coordinates: points are read and written as raw SGF values ("cf") through
:func:`rocks.go.coords.from_sgf` / :func:`~rocks.go.coords.to_sgf`, the one converter; sgfmill's
own (row from the bottom, col) tuples are never used.  Compressed point lists (``AB[aa:cc]``)
are expanded here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sgfmill import sgf as sgfmill_sgf

from rocks.atomic import write_text
from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove, Position, Rules
from rocks.userfiles import UserFileError, read_user_file


class SgfError(ValueError):
    """An SGF text that is malformed or describes something rocks cannot replay."""


_RULES_BY_NAME = {
    "chinese": Rules(),
    "cgos": Rules(),
    "aga": Rules(),
    "tromp-taylor": Rules(suicide=True),
    "trompt-taylor": Rules(suicide=True),
    "tt": Rules(suicide=True),
    "nz": Rules(suicide=True),
    "new zealand": Rules(suicide=True),
    "japanese": Rules(superko="none"),
    "korean": Rules(superko="none"),
}


def parse_rules(name: str | None) -> Rules | None:
    """Rules for an SGF RU value, or None if we do not know it (departure 3)."""
    if not name:
        return None
    text = name.strip().lower()
    if text.startswith("rocks:"):
        opts = dict(kv.split("=", 1) for kv in text[6:].split(",") if "=" in kv)
        try:
            return Rules(suicide=opts.get("suicide") == "yes",
                         superko=opts.get("superko", "positional"))  # type: ignore[arg-type]
        except ValueError:
            return None
    return _RULES_BY_NAME.get(text)



def rules_name(rules: Rules) -> str:
    """The RU value we write for these rules (read back by :func:`parse_rules`)."""
    if rules == Rules():
        return "Chinese"
    if rules == Rules(suicide=True):
        return "Tromp-Taylor"
    return f"rocks:suicide={'yes' if rules.suicide else 'no'},superko={rules.superko}"

@dataclass(frozen=True)
class GameRecord:
    """One game of Go as recorded.

    Attributes:
        size: board side.
        komi: points added to White's score.
        rules: the SGF RU text ("" if absent); see :meth:`rules_obj`.
        handicap: HA, number of handicap stones (0 if none).
        black_setup, white_setup: flat indices of setup stones (AB/AW).
        first_player: BLACK or WHITE, who moves first (PL, else White after a handicap).
        moves: (colour, flat move) in order; pass is ``size*size``.
        result: RE as written ("B+3.5", "W+R", "0", ...), or None.
        black_player, white_player: PB/PW.
        date: DT.
        comments: (move number, text); 0 is the root, n the node of the n-th move.
    """

    size: int
    komi: float = 7.5
    rules: str = ""
    handicap: int = 0
    black_setup: tuple[int, ...] = ()
    white_setup: tuple[int, ...] = ()
    first_player: int = BLACK
    moves: tuple[tuple[int, int], ...] = ()
    result: str | None = None
    black_player: str = ""
    white_player: str = ""
    date: str = ""
    comments: tuple[tuple[int, str], ...] = ()

    def rules_obj(self) -> Rules | None:
        return parse_rules(self.rules)

    def start(self, rules: Rules | None = None) -> Position:
        """The position before the first move."""
        rules = rules or self.rules_obj() or Rules()
        try:
            return Position.setup(self.size, self.komi, rules, self.black_setup,
                                  self.white_setup, self.first_player)
        except (IllegalMove, ValueError) as exc:
            raise SgfError(f"bad setup stones: {exc}") from None

    def replay(self, rules: Rules | None = None) -> Iterator[Position]:
        """The start position, then the position after each move; SgfError on an illegal move.

        A move out of turn (two moves by one colour) is played as that colour, as GTP allows.
        """
        pos = self.start(rules)
        yield pos
        for i, (colour, move) in enumerate(self.moves, start=1):
            if colour != pos.to_play:
                pos = replace(pos, to_play=colour, ko=None, _legal_cache={})
            try:
                pos = pos.play(move)
            except IllegalMove as exc:
                who = "B" if colour == BLACK else "W"
                raise SgfError(f"move {i} ({who} {coords.to_gtp(move, self.size)}) "
                               f"is illegal: {exc}") from None
            yield pos

    def positions(self, rules: Rules | None = None) -> list[Position]:
        return list(self.replay(rules))

    def final_position(self, rules: Rules | None = None) -> Position:
        return self.positions(rules)[-1]


def _point(raw: bytes, size: int) -> int:
    """Flat index of a raw SGF move value (pass included); CoordinateError if malformed."""
    try:
        return coords.from_sgf(raw.decode("ascii"), size)
    except UnicodeDecodeError:
        raise coords.CoordinateError(f"{raw!r} is not an SGF point") from None


def _points(node, prop: str, size: int) -> set[int]:
    """Flat indices of a setup property's point list, compressed rectangles expanded."""
    out: set[int] = set()
    raws = node.get_raw_list(prop) if node.has_property(prop) else []
    for raw in raws if raws != [b""] else []:  # AB[] is an empty list (an SGF "elist")
        first, colon, last = raw.partition(b":")
        a = _point(first, size)
        b = _point(last, size) if colon else a
        if coords.is_pass(a, size) or coords.is_pass(b, size):
            raise coords.CoordinateError(f"{raw!r} is not a point of the board")
        (r0, c0), (r1, c1) = divmod(a, size), divmod(b, size)
        if r0 > r1 or c0 > c1:
            raise coords.CoordinateError(f"{raw!r} is not a top-left:bottom-right rectangle")
        out.update(r * size + c for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
    return out


def _text(node, prop: str) -> str:
    try:
        return node.get(prop) if node.has_property(prop) else ""
    except ValueError:
        return ""


def read_sgf(data: str | bytes, check: bool = True) -> GameRecord:
    """Parse SGF text into a GameRecord (main line); SgfError names any problem.

    With ``check`` the moves are replayed under the record's rules (departure 3).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        game = sgfmill_sgf.Sgf_game.from_bytes(raw)
    except ValueError as exc:
        raise SgfError(f"not a readable SGF game: {exc or 'syntax error'}") from None
    root = game.get_root()
    try:
        gm = root.get("GM") if root.has_property("GM") else 1
    except ValueError:
        raise SgfError("GM is not a number") from None
    if gm != 1:
        raise SgfError(f"GM[{gm}] is not Go (GM[1])")
    size = game.get_size()
    try:
        coords.check_size(size)
    except coords.CoordinateError as exc:
        raise SgfError(f"unsupported board size: {exc}") from None
    try:
        komi = game.get_komi()
    except ValueError:
        raise SgfError(f"KM is not a number: {root.get_raw('KM')!r}") from None
    try:
        handicap = game.get_handicap() or 0
    except ValueError:
        raise SgfError(f"HA is not a number: {root.get_raw('HA')!r}") from None

    black: set[int] = set()
    white: set[int] = set()
    moves: list[tuple[int, int]] = []
    comments: list[tuple[int, str]] = []
    first_player: int | None = None
    try:
        nodes = game.get_main_sequence()
    except ValueError as exc:
        raise SgfError(f"bad game tree: {exc}") from None
    for node in nodes:
        colour, raw = node.get_raw_move()
        if colour is not None:
            try:
                move = _point(raw, size)
            except coords.CoordinateError:
                raise SgfError(f"move {len(moves) + 1} is off the board or malformed: "
                               f"{raw!r}") from None
        has_setup = node.has_setup_stones()
        if has_setup:
            try:
                ab, aw, ae = (_points(node, prop, size) for prop in ("AB", "AW", "AE"))
            except coords.CoordinateError:
                where = f"after move {len(moves)}" if moves else "before the first move"
                raise SgfError(f"setup stone off the board or malformed {where}") from None
            if moves:
                raise SgfError(f"setup stones after move {len(moves)} are not supported")
            # In the order AB, AW, AE, as a point in two of them ends in the later one.
            black, white = (black | ab) - aw - ae, ((white - ab) | aw) - ae
        if not moves and node.has_property("PL"):
            try:
                first_player = BLACK if node.get("PL") == "b" else WHITE
            except ValueError:
                raise SgfError(f"PL is not a colour: {node.get_raw('PL')!r}") from None
        if colour is not None:
            moves.append((BLACK if colour == "b" else WHITE, move))
        comment = _text(node, "C")
        if comment:
            comments.append((len(moves), comment))
    if first_player is None:
        if moves:
            first_player = moves[0][0]
        else:
            first_player = WHITE if handicap >= 2 and black and not white else BLACK
    record = GameRecord(
        size=size, komi=float(komi), rules=_text(root, "RU"), handicap=int(handicap),
        black_setup=tuple(sorted(black)), white_setup=tuple(sorted(white)),
        first_player=first_player, moves=tuple(moves), result=_text(root, "RE") or None,
        black_player=_text(root, "PB"), white_player=_text(root, "PW"), date=_text(root, "DT"),
        comments=tuple(comments),
    )
    if check:
        for _ in record.replay():
            pass
    return record


def write_sgf(record: GameRecord) -> str:
    """SGF FF[4] text for ``record`` (one line of nodes, pass written as ``tt``/``""``)."""
    game = sgfmill_sgf.Sgf_game(record.size)
    root = game.get_root()
    root.set("KM", record.komi)
    if record.rules:
        root.set("RU", record.rules)
    if record.handicap:
        root.set("HA", record.handicap)
    for prop, value in (("PB", record.black_player), ("PW", record.white_player),
                        ("DT", record.date), ("RE", record.result)):
        if value:
            root.set(prop, value)
    for prop, points in (("AB", record.black_setup), ("AW", record.white_setup)):
        if points:
            root.set_raw_list(prop, sorted(coords.to_sgf(p, record.size).encode() for p in points))
    # read_sgf infers the first player from the first move, or from a lone handicap.
    if record.moves:
        implied = record.moves[0][0]
    else:
        implied = WHITE if record.handicap >= 2 and record.black_setup and \
            not record.white_setup else BLACK
    if record.first_player != implied:
        root.set("PL", "b" if record.first_player == BLACK else "w")
    notes = dict(record.comments)
    if notes.get(0):
        root.set("C", notes[0])
    for i, (colour, move) in enumerate(record.moves, start=1):
        node = game.extend_main_sequence()
        node.set_raw("B" if colour == BLACK else "W", coords.to_sgf(move, record.size).encode())
        if notes.get(i):
            node.set("C", notes[i])
    return game.serialise().decode("utf-8")


#: The largest SGF file read from a path: a game is kilobytes, a collection a few megabytes.
SGF_MAX_BYTES = 32 * 2**20


def load_sgf(path: str | os.PathLike, check: bool = True,
             max_bytes: int = SGF_MAX_BYTES) -> GameRecord:
    """Read an SGF file; SgfError (never a crash or a hang) if it is unreadable, not a regular
    file (a device, a FIFO), larger than ``max_bytes`` (:mod:`rocks.userfiles`) or malformed."""
    try:
        data = read_user_file(path, max_bytes, what="SGF file")
    except UserFileError as exc:
        raise SgfError(str(exc)) from exc
    return read_sgf(data, check)


def save_sgf(record: GameRecord, path: str | os.PathLike) -> Path:
    """Write ``record`` to ``path`` atomically (temporary file, then rename)."""
    return write_text(path, write_sgf(record))

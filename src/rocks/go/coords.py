"""The one place that converts between the ways of naming a point on a Go board.

Follows the conventions of GTP v2 (Gustafsson & Farnebäck) and SGF FF[4]; modelled on the
single-module design of minigo's ``coords.py``.

Conversion table on a board of ``size`` (``N = size * size``)::

    name        example (9x9, the point third from the left, fourth from the bottom)
    flat        int in [0, N); row-major from the top-left corner: flat = row * size + col
                -> 5 * 9 + 2 = 47.  Pass is the flat index N (``pass_move(size)``), so a
                policy over moves is a vector of N + 1 numbers.
    (row, col)  (5, 2): row 0 is the TOP row (as in SGF), col 0 the left column.
    GTP vertex  "C4": column letter A..T skipping I, row number counted from the BOTTOM;
                "pass" (any case) for pass.  Accepts lower case.
    SGF point   "cf": column letter then row letter, both from 'a' at the top-left;
                "" is pass, and "tt" is pass too on boards up to 19x19 (``to_sgf`` writes
                "tt" there, as sgfmill and older readers do, and "" on larger boards).

Every function raises :class:`CoordinateError` (a ``ValueError``) on input it cannot read, with
a message that names the input and the board size.
"""

from __future__ import annotations

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I, as GTP requires
MIN_SIZE = 2
MAX_SIZE = 25  # the GTP column alphabet's limit; the rules are tested up to 19


class CoordinateError(ValueError):
    """A point name that does not exist on the board it was read for."""


def check_size(size: int) -> int:
    """Return ``size`` if it is a board size we support, else raise CoordinateError."""
    if not isinstance(size, int) or isinstance(size, bool) or not MIN_SIZE <= size <= MAX_SIZE:
        raise CoordinateError(f"board size must be an integer {MIN_SIZE}..{MAX_SIZE}, got {size!r}")
    return size


def pass_move(size: int) -> int:
    """The flat index that stands for pass on a board of ``size``."""
    return size * size


def is_pass(move: int, size: int) -> bool:
    return move == size * size


def to_flat(row: int, col: int, size: int) -> int:
    if not (0 <= row < size and 0 <= col < size):
        raise CoordinateError(f"(row, col) = ({row}, {col}) is off a {size}x{size} board")
    return row * size + col


def from_flat(move: int, size: int) -> tuple[int, int] | None:
    """(row, col) of a flat index, or None for pass."""
    if move == size * size:
        return None
    if not 0 <= move < size * size:
        raise CoordinateError(f"flat index {move} is off a {size}x{size} board")
    return divmod(move, size)


def to_gtp(move: int, size: int) -> str:
    rc = from_flat(move, size)
    if rc is None:
        return "pass"
    row, col = rc
    return f"{GTP_COLUMNS[col]}{size - row}"


def from_gtp(vertex: str, size: int) -> int:
    """Flat index of a GTP vertex such as ``"D4"`` or ``"pass"``."""
    text = vertex.strip().upper()
    if text == "PASS":
        return size * size
    if len(text) < 2 or text[0] not in GTP_COLUMNS or not text[1:].isdigit():
        raise CoordinateError(f"{vertex!r} is not a GTP vertex")
    col = GTP_COLUMNS.index(text[0])
    number = int(text[1:])
    if col >= size or not 1 <= number <= size:
        raise CoordinateError(f"{vertex!r} is off a {size}x{size} board")
    return (size - number) * size + col


def to_sgf(move: int, size: int) -> str:
    """SGF point of a flat index, such as ``"dd"``; pass is ``"tt"`` up to 19x19, else ``""``."""
    rc = from_flat(move, size)
    if rc is None:
        return "tt" if size <= 19 else ""
    row, col = rc
    return chr(ord("a") + col) + chr(ord("a") + row)


def from_sgf(point: str, size: int) -> int:
    """Flat index of an SGF point such as ``"dd"``; ``""`` (and ``"tt"`` up to 19x19) is pass."""
    if point == "" or (point == "tt" and size <= 19):
        return size * size
    if len(point) != 2 or not point.isalpha() or not point.islower():
        raise CoordinateError(f"{point!r} is not an SGF point")
    col = ord(point[0]) - ord("a")
    row = ord(point[1]) - ord("a")
    if col >= size or row >= size:
        raise CoordinateError(f"SGF point {point!r} is off a {size}x{size} board")
    return row * size + col


def neighbours(move: int, size: int) -> list[int]:
    """The on-board orthogonal neighbours of a flat index (not of pass)."""
    row, col = divmod(move, size)
    out = []
    if row > 0:
        out.append(move - size)
    if row < size - 1:
        out.append(move + size)
    if col > 0:
        out.append(move - 1)
    if col < size - 1:
        out.append(move + 1)
    return out

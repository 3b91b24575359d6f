"""GTP v2, the Go Text Protocol (Gustafsson & Farnebäck, GTP draft 2), over an Engine.

Every command is a handler ``cmd_<name>(args: list[str]) -> str`` (minigo's ``gtp_engine.py``
style); a handler raises :class:`GtpError` for a ``?`` response.  :class:`GtpEngine` keeps the
handlers in a registry, so other modules add commands without touching this one::

    class AnalysisCommands:
        def __init__(self, gtp: GtpEngine): self.gtp = gtp
        @gtp_name("lz-analyze")
        def cmd_lz_analyze(self, args): ...

    gtp.register_handlers(AnalysisCommands(gtp))

A handler's GTP name is its method name without ``cmd_`` unless :func:`gtp_name` says otherwise
(GTP names may hold ``-``, Python names may not).  Streaming commands (``lz-analyze``) call
``gtp.begin_stream()``, write their lines to ``gtp.out`` until ``gtp.input_pending()`` says the
controller has sent the next command (input is read by a thread, so a handler can keep working
while it waits), and return :class:`Streamed` text that ends the response.

Protocol details kept (spec section 3): control characters other than HT and LF are removed,
``#`` starts a comment, HT becomes a space, blank lines are ignored; an optional numeric id is
echoed; responses are ``=id text`` or ``?id message`` followed by an empty line.  No input line
can stop the engine or corrupt its state: every handler either completes or changes nothing.

Departures, numbered:
  1. Besides the standard set we answer GNU Go's ``list_stones``, ``captures``, ``is_legal``
     and ``printsgf`` (so the same tests can drive GNU Go and rocks) and KGS's
     ``kgs-genmove_cleanup`` (the same as ``genmove``: our players never pass with dead stones
     on the board).
  2. ``syntax error`` messages say what was expected after a colon.
  3. ``final_status_list dead`` is empty: stones count as alive (Tromp-Taylor, see Engine).
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TextIO

from rocks import __version__
from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove
from rocks.go.sgf import SgfError, load_sgf, save_sgf
from rocks.play.engine import Engine, EngineError

Handler = Callable[[list[str]], str]


class GtpError(Exception):
    """A failure reported to the controller as ``? message``."""


class Streamed(str):
    """What a streaming handler returns after :meth:`GtpEngine.begin_stream`: its lines are
    already written; this text (empty, or lines each ending in a newline) ends the response."""


def gtp_name(name: str) -> Callable[[Callable], Callable]:
    """Give a ``cmd_`` handler a GTP name that is not a Python identifier (``lz-analyze``)."""

    def mark(fn: Callable) -> Callable:
        fn.gtp_name = name  # type: ignore[attr-defined]
        return fn

    return mark


def clean_line(line: str) -> str:
    """GTP 3.1 preprocessing: drop control characters and comments, HT -> space, strip."""
    line = line.split("#", 1)[0]
    line = "".join(" " if c == "\t" else c for c in line if c == "\t" or ord(c) >= 32
                   and ord(c) != 127)
    return line.strip()


def parse_colour(text: str) -> int:
    t = text.lower()
    if t in ("b", "black"):
        return BLACK
    if t in ("w", "white"):
        return WHITE
    raise GtpError(f"syntax error: expected a colour (black or white), got {text!r}")


def parse_int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise GtpError(f"syntax error: {what} must be an integer, got {text!r}") from None


def parse_float(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise GtpError(f"syntax error: {what} must be a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise GtpError(f"syntax error: {what} must be finite, got {text!r}")
    return value


def need(args: list[str], n: int, usage: str) -> None:
    if len(args) < n:
        raise GtpError(f"syntax error: usage: {usage}")


class GtpEngine:
    """GTP v2 front end: a handler registry and a read-eval-print loop over an Engine."""

    def __init__(self, engine: Engine, out: TextIO | None = None) -> None:
        self.engine = engine
        self.out = out if out is not None else sys.stdout
        self.handlers: dict[str, Handler] = {}
        self.quit = False
        self.command_id = ""  # id of the command being handled (streaming responses echo it)
        self._pending: queue.Queue[str | None] = queue.Queue()
        self.register_handlers(self)

    # ----------------------------------------------------------------- registry
    def register(self, name: str, handler: Handler) -> None:
        self.handlers[name] = handler

    def register_handlers(self, obj: object) -> None:
        """Register every ``cmd_*`` method of ``obj`` under its GTP name."""
        for attr in dir(obj):
            if attr.startswith("cmd_"):
                fn = getattr(obj, attr)
                if callable(fn):
                    self.register(getattr(fn, "gtp_name", attr[4:]), fn)

    # ----------------------------------------------------------------- protocol
    def handle_line(self, line: str) -> str | None:
        """The full response (ending in a blank line) to one input line; None if it is blank."""
        text = clean_line(line)
        if not text:
            return None
        words = text.split()
        ident = ""
        if words[0].isdigit():
            ident, words = words[0], words[1:]
            if not words:
                return f"?{ident} syntax error: no command after the id\n\n"
        name, args = words[0], words[1:]
        handler = self.handlers.get(name)
        if handler is None:
            return f"?{ident} unknown command\n\n"
        self.command_id = ident
        try:
            result = handler(args)
            if isinstance(result, Streamed):
                return f"{result}\n"
        except GtpError as exc:
            return f"?{ident} {self._one_block(str(exc))}\n\n"
        except Exception as exc:  # noqa: BLE001 - a bug in one command must not kill the engine
            return f"?{ident} internal error: {type(exc).__name__}: {exc}\n\n"
        return f"={ident} {self._one_block(result)}\n\n"

    @staticmethod
    def _one_block(text: str) -> str:
        # A blank line ends a response, so a response must not contain one.
        lines = text.rstrip("\n").split("\n")
        return "\n".join([lines[0]] + [line if line.strip() else " " for line in lines[1:]])

    def serve(self, lines: Iterable[str] | None = None) -> None:
        """Answer commands until ``quit`` or the end of input (stdin unless ``lines``)."""
        self._pending = queue.Queue()
        threading.Thread(target=self._read_input, args=(sys.stdin if lines is None else lines,),
                         daemon=True).start()
        while True:
            line = self._pending.get()
            if line is None:
                break
            response = self.handle_line(line)
            if response is None:
                continue
            self.out.write(response)
            self.out.flush()
            if self.quit:
                break

    def _read_input(self, lines: Iterable[str]) -> None:
        try:
            for line in lines:
                self._pending.put(line)
        except (OSError, ValueError, UnicodeDecodeError):
            pass  # a closed or undecodable input ends the session like end of input
        self._pending.put(None)

    def begin_stream(self) -> None:
        """Start a multi-line response now (``=id`` alone on a line, as Leela Zero does); the
        handler then writes its lines to ``out`` and returns :class:`Streamed`."""
        self.out.write(f"={self.command_id}\n")
        self.out.flush()

    def input_pending(self) -> bool:
        """True when the controller has sent a line not yet handled (streaming handlers stop)."""
        return not self._pending.empty()

    # ----------------------------------------------------------------- helpers
    def vertex(self, text: str) -> int:
        try:
            return coords.from_gtp(text, self.engine.size)
        except coords.CoordinateError:
            raise GtpError(f"syntax error: {text!r} is not a vertex of this "
                           f"{self.engine.size}x{self.engine.size} board") from None

    def name_of(self, move: int) -> str:
        return coords.to_gtp(move, self.engine.size)

    def vertices(self, moves: Iterable[int]) -> str:
        return " ".join(self.name_of(m) for m in moves)

    # ----------------------------------------------------------------- administration
    def cmd_protocol_version(self, args: list[str]) -> str:
        return "2"

    def cmd_name(self, args: list[str]) -> str:
        return self.engine.config.name

    def cmd_version(self, args: list[str]) -> str:
        return f"{__version__} ({self.engine.player.name} player)"

    def cmd_known_command(self, args: list[str]) -> str:
        need(args, 1, "known_command command_name")
        return "true" if args[0] in self.handlers else "false"

    def cmd_list_commands(self, args: list[str]) -> str:
        return "\n".join(sorted(self.handlers))

    def cmd_quit(self, args: list[str]) -> str:
        self.quit = True
        return ""

    # ----------------------------------------------------------------- setup
    def cmd_boardsize(self, args: list[str]) -> str:
        need(args, 1, "boardsize size")
        size = parse_int(args[0], "size")
        try:
            self.engine.set_size(size)
        except EngineError:
            raise GtpError("unacceptable size") from None
        return ""

    def cmd_clear_board(self, args: list[str]) -> str:
        self.engine.clear_board()
        return ""

    def cmd_komi(self, args: list[str]) -> str:
        need(args, 1, "komi new_komi")
        self.engine.set_komi(parse_float(args[0], "komi"))
        return ""

    def cmd_fixed_handicap(self, args: list[str]) -> str:
        need(args, 1, "fixed_handicap number_of_stones")
        n = parse_int(args[0], "number of stones")
        if self.engine.position.moves or self.engine.position.board.any():
            raise GtpError("board not empty")
        try:
            return self.vertices(self.engine.fixed_handicap(n))
        except EngineError:
            raise GtpError("invalid number of stones") from None

    def cmd_place_free_handicap(self, args: list[str]) -> str:
        need(args, 1, "place_free_handicap number_of_stones")
        n = parse_int(args[0], "number of stones")
        if self.engine.position.moves or self.engine.position.board.any():
            raise GtpError("board not empty")
        try:
            return self.vertices(self.engine.free_handicap(n))
        except EngineError:
            raise GtpError("invalid number of stones") from None

    def cmd_set_free_handicap(self, args: list[str]) -> str:
        need(args, 2, "set_free_handicap vertex vertex...")
        if self.engine.position.moves or self.engine.position.board.any():
            raise GtpError("board not empty")
        try:
            points = [coords.from_gtp(a, self.engine.size) for a in args]
        except coords.CoordinateError:
            raise GtpError("bad vertex list") from None
        try:
            self.engine.set_handicap(points)
        except EngineError:
            raise GtpError("bad vertex list") from None
        return ""

    # ----------------------------------------------------------------- play
    def cmd_play(self, args: list[str]) -> str:
        need(args, 2, "play color vertex")
        colour = parse_colour(args[0])
        move = self.vertex(args[1])
        try:
            self.engine.play(colour, move)
        except IllegalMove:
            raise GtpError("illegal move") from None
        return ""

    def _genmove(self, args: list[str], play: bool) -> str:
        need(args, 1, "genmove color")
        colour = parse_colour(args[0])
        try:
            decision = self.engine.genmove(colour, play=play)
        except EngineError as exc:
            raise GtpError(str(exc)) from None
        return "resign" if decision.resign else self.name_of(decision.move)

    def cmd_genmove(self, args: list[str]) -> str:
        return self._genmove(args, play=True)

    def cmd_reg_genmove(self, args: list[str]) -> str:
        return self._genmove(args, play=False)

    @gtp_name("kgs-genmove_cleanup")
    def cmd_kgs_genmove_cleanup(self, args: list[str]) -> str:
        return self._genmove(args, play=True)

    def cmd_undo(self, args: list[str]) -> str:
        try:
            self.engine.undo()
        except EngineError:
            raise GtpError("cannot undo") from None
        return ""

    # ----------------------------------------------------------------- time
    def cmd_time_settings(self, args: list[str]) -> str:
        need(args, 3, "time_settings main_time byo_yomi_time byo_yomi_stones")
        main = parse_float(args[0], "main time")
        byo = parse_float(args[1], "byo-yomi time")
        stones = parse_int(args[2], "byo-yomi stones")
        try:
            self.engine.set_time(main, byo, stones)
        except EngineError as exc:
            raise GtpError(f"syntax error: {exc}") from None
        return ""

    def cmd_time_left(self, args: list[str]) -> str:
        need(args, 3, "time_left color time stones")
        colour = parse_colour(args[0])
        left = parse_float(args[1], "time")
        stones = parse_int(args[2], "stones")
        if left < 0 or stones < 0:
            raise GtpError("syntax error: time and stones must not be negative")
        self.engine.set_time_left(colour, left, stones)
        return ""

    # ----------------------------------------------------------------- scoring and display
    def cmd_showboard(self, args: list[str]) -> str:
        return "\n" + str(self.engine.position)

    def cmd_final_score(self, args: list[str]) -> str:
        return self.engine.result_string()

    def cmd_final_status_list(self, args: list[str]) -> str:
        need(args, 1, "final_status_list alive|dead|seki")
        try:
            return self.vertices(self.engine.final_status(args[0].lower()))
        except EngineError as exc:
            raise GtpError(f"syntax error: {exc}") from None

    # ----------------------------------------------------------------- SGF
    def cmd_loadsgf(self, args: list[str]) -> str:
        need(args, 1, "loadsgf filename [move_number]")
        move_number = parse_int(args[1], "move number") if len(args) > 1 else None
        try:
            record = load_sgf(args[0])
            self.engine.load_record(record, move_number)
        except (SgfError, EngineError) as exc:
            raise GtpError(f"cannot load file: {exc}") from None
        return ""

    def cmd_printsgf(self, args: list[str]) -> str:
        if args:
            try:
                save_sgf(self.engine.to_record(), args[0])
            except OSError as exc:
                raise GtpError(f"cannot write file: {exc}") from None
            return ""
        return self.engine.to_sgf()

    # ----------------------------------------------------------------- GNU Go extensions
    def cmd_list_stones(self, args: list[str]) -> str:
        need(args, 1, "list_stones color")
        colour = parse_colour(args[0])
        board = self.engine.position.board
        return self.vertices(int(p) for p in (board == colour).nonzero()[0])

    def cmd_captures(self, args: list[str]) -> str:
        need(args, 1, "captures color")
        colour = parse_colour(args[0])
        return str(self.engine.position.captures[0 if colour == BLACK else 1])

    def cmd_is_legal(self, args: list[str]) -> str:
        need(args, 2, "is_legal color vertex")
        colour = parse_colour(args[0])
        move = self.vertex(args[1])
        try:
            pos = self.engine.position_for(colour)
        except EngineError as exc:
            raise GtpError(str(exc)) from None
        return "1" if pos.is_legal(move) else "0"

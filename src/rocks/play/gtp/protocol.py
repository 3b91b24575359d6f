"""GTP v2, the Go Text Protocol (Gustafsson & Farnebäck, GTP draft 2): the protocol loop.

Every command is a handler ``cmd_<name>(args: list[str]) -> str`` (minigo's ``gtp_engine.py``
style); a handler raises :class:`GtpError` for a ``?`` response.  :class:`GtpEngine` keeps the
handlers in a registry and runs the read-eval-print loop; the commands come in families, one
handler class per family (minigo's ``gtp_cmd_handlers.py``), plugged in with
:meth:`GtpEngine.register_handlers`::

    class KgsCommands:
        def __init__(self, gtp: GtpEngine): self.gtp = gtp
        @gtp_name("kgs-time_settings")
        def cmd_kgs_time_settings(self, args): ...

    gtp.register_handlers(KgsCommands(gtp))

The families are the modules of :mod:`rocks.play.gtp`; :func:`rocks.play.gtp.command.build_gtp`
registers them all.  A handler's GTP name is its method name without ``cmd_`` unless
:func:`gtp_name` says otherwise (GTP names may hold ``-``, Python names may not).  Streaming
commands (``lz-analyze``) call ``gtp.begin_stream()``, write their lines to ``gtp.out`` until
``gtp.input_pending()`` says the controller has sent the next command (input is read by a
thread, so a handler can keep working while it waits), and return :class:`Streamed` text that
ends the response.

Protocol details kept (spec section 3): control characters other than HT and LF are removed,
``#`` starts a comment, HT becomes a space, blank lines are ignored; an optional numeric id is
echoed; responses are ``=id text`` or ``?id message`` followed by an empty line.  No input line
can stop the engine or corrupt its state: every handler either completes or changes nothing.

Departures, numbered:
  1. ``syntax error`` messages say what was expected after a colon.
  2. A handler that raises anything else answers ``? internal error: ...`` and the engine goes
     on: a bug in one command must not end the session.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TextIO

from rocks.go import coords
from rocks.go.board import BLACK, WHITE
from rocks.play.engine import Engine

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
    """GTP v2 front end: a handler registry and a read-eval-print loop over an Engine (with no
    commands until families are registered)."""

    def __init__(self, engine: Engine, out: TextIO | None = None) -> None:
        self.engine = engine
        self.out = out if out is not None else sys.stdout
        self.handlers: dict[str, Handler] = {}
        self.quit = False
        self.command_id = ""  # id of the command being handled (streaming responses echo it)
        self._pending: queue.Queue[str | None] = queue.Queue()

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

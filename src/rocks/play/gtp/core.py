"""The core GTP v2 commands (GTP draft 2 section 6), and GNU Go's extensions, over an Engine.

The standard command set of Gustafsson & Farnebäck's GTP draft 2: administration
(``protocol_version`` ... ``quit``), setup (``boardsize``, ``clear_board``, ``komi``, handicaps),
play (``play``, ``genmove``, ``undo``), time (``time_settings``, ``time_left``), scoring
(``final_score``, ``final_status_list``), SGF (``loadsgf``, ``printsgf``) and ``showboard``;
one handler class, as minigo's ``BasicCmdHandler``.

Departures, numbered:
  1. Besides the standard set we answer GNU Go's ``list_stones``, ``captures``, ``is_legal``
     and ``printsgf`` (so the same tests can drive GNU Go and rocks).
  2. ``final_status_list dead`` is empty: stones count as alive (Tromp-Taylor, see Engine).
  3. ``loadsgf`` reads only a regular file of at most :data:`rocks.go.sgf.SGF_MAX_BYTES`
     bytes (:mod:`rocks.userfiles`): a device, a FIFO or a huge file is refused with ``?``,
     never read until memory runs out, and the game is left as it was.
"""

from __future__ import annotations

from rocks import __version__
from rocks.go import coords
from rocks.go.board import BLACK, IllegalMove
from rocks.go.sgf import SgfError, load_sgf, save_sgf
from rocks.play.engine import Engine, EngineError
from rocks.play.gtp.protocol import GtpEngine, GtpError, need, parse_colour, parse_float, parse_int


class CoreCommands:
    """The standard GTP v2 commands and GNU Go's extensions (the module docstring lists them)."""

    def __init__(self, gtp: GtpEngine) -> None:
        self.gtp = gtp

    @property
    def engine(self) -> Engine:
        return self.gtp.engine

    # ----------------------------------------------------------------- administration
    def cmd_protocol_version(self, args: list[str]) -> str:
        return "2"

    def cmd_name(self, args: list[str]) -> str:
        return self.engine.config.name

    def cmd_version(self, args: list[str]) -> str:
        return f"{__version__} ({self.engine.player.name} player)"

    def cmd_known_command(self, args: list[str]) -> str:
        need(args, 1, "known_command command_name")
        return "true" if args[0] in self.gtp.handlers else "false"

    def cmd_list_commands(self, args: list[str]) -> str:
        return "\n".join(sorted(self.gtp.handlers))

    def cmd_quit(self, args: list[str]) -> str:
        self.gtp.quit = True
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
            return self.gtp.vertices(self.engine.fixed_handicap(n))
        except EngineError:
            raise GtpError("invalid number of stones") from None

    def cmd_place_free_handicap(self, args: list[str]) -> str:
        need(args, 1, "place_free_handicap number_of_stones")
        n = parse_int(args[0], "number of stones")
        if self.engine.position.moves or self.engine.position.board.any():
            raise GtpError("board not empty")
        try:
            return self.gtp.vertices(self.engine.free_handicap(n))
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
        move = self.gtp.vertex(args[1])
        try:
            self.engine.play(colour, move)
        except IllegalMove:
            raise GtpError("illegal move") from None
        return ""

    def genmove(self, args: list[str], play: bool) -> str:
        """``genmove`` (``play``) or ``reg_genmove``: the move for the colour in ``args``."""
        need(args, 1, "genmove color")
        colour = parse_colour(args[0])
        try:
            decision = self.engine.genmove(colour, play=play)
        except EngineError as exc:
            raise GtpError(str(exc)) from None
        return "resign" if decision.resign else self.gtp.name_of(decision.move)

    def cmd_genmove(self, args: list[str]) -> str:
        return self.genmove(args, play=True)

    def cmd_reg_genmove(self, args: list[str]) -> str:
        return self.genmove(args, play=False)

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
            return self.gtp.vertices(self.engine.final_status(args[0].lower()))
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
        return self.gtp.vertices(int(p) for p in (board == colour).nonzero()[0])

    def cmd_captures(self, args: list[str]) -> str:
        need(args, 1, "captures color")
        colour = parse_colour(args[0])
        return str(self.engine.position.captures[0 if colour == BLACK else 1])

    def cmd_is_legal(self, args: list[str]) -> str:
        need(args, 2, "is_legal color vertex")
        colour = parse_colour(args[0])
        move = self.gtp.vertex(args[1])
        try:
            pos = self.engine.position_for(colour)
        except EngineError as exc:
            raise GtpError(str(exc)) from None
        return "1" if pos.is_legal(move) else "0"

"""KGS's GTP extensions (kgsGtp's documentation): ``kgs-time_settings`` and
``kgs-genmove_cleanup``, as minigo's ``KgsCmdHandler``.

- ``kgs-time_settings none | absolute MAIN | canadian MAIN BYO STONES | byoyomi MAIN BYO
  PERIODS`` onto the Engine's Canadian clock.
- ``kgs-genmove_cleanup``: the same as ``genmove``: our players never pass with dead stones
  on the board, so there is nothing to clean up.

Departures, numbered:
  1. Japanese byo-yomi maps to Canadian overtime of one stone per period, and the KGS habit of
     sending periods left in place of stones left in ``time_left`` is undone while byo-yomi is
     set, so each move in overtime may use the period time.
"""

from __future__ import annotations

from collections.abc import Sequence

from rocks.play.engine import EngineError
from rocks.play.gtp.core import CoreCommands
from rocks.play.gtp.protocol import GtpEngine, GtpError, gtp_name, parse_float, parse_int


def parse_kgs_time(args: Sequence[str]) -> tuple[float, float, int, bool]:
    """``kgs-time_settings`` arguments -> (main s, byo-yomi s, stones, is Japanese byo-yomi)
    in GTP ``time_settings`` terms (departure 1)."""
    if not args:
        raise GtpError("syntax error: usage: kgs-time_settings none|absolute|canadian|byoyomi "
                       "...")
    kind = args[0].lower()
    wanted = {"none": 1, "absolute": 2, "canadian": 4, "byoyomi": 4}
    if kind not in wanted:
        raise GtpError(f"syntax error: time system must be none, absolute, canadian or "
                       f"byoyomi, got {args[0]!r}")
    if len(args) < wanted[kind]:
        usage = {"absolute": "absolute main_time", "canadian": "canadian main_time "
                 "byo_yomi_time byo_yomi_stones", "byoyomi": "byoyomi main_time "
                 "byo_yomi_time byo_yomi_periods"}[kind]
        raise GtpError(f"syntax error: usage: kgs-time_settings {usage}")
    if kind == "none":
        return 0.0, 0.0, 0, False
    main = parse_float(args[1], "main time")
    if main < 0:
        raise GtpError("syntax error: main time must not be negative")
    if kind == "absolute":
        return main, 0.0, 0, False
    byo = parse_float(args[2], "byo-yomi time")
    count = parse_int(args[3], "byo-yomi stones" if kind == "canadian" else "byo-yomi periods")
    if byo < 0 or count < 0:
        raise GtpError("syntax error: byo-yomi time and count must not be negative")
    if kind == "canadian":
        return main, byo, count, False
    if count == 0 or byo == 0:  # no periods: only the main time is left
        return main, 0.0, 0, False
    return main, byo, 1, True


class KgsCommands:
    """KGS's commands over one :class:`~rocks.play.gtp.protocol.GtpEngine`; ``core`` is the
    family whose ``time_settings``, ``time_left`` and ``genmove`` these extend."""

    def __init__(self, gtp: GtpEngine, core: CoreCommands) -> None:
        self.gtp = gtp
        self.core = core
        self.japanese_byoyomi = False

    @gtp_name("kgs-genmove_cleanup")
    def cmd_kgs_genmove_cleanup(self, args: list[str]) -> str:
        return self.core.genmove(args, play=True)

    @gtp_name("kgs-time_settings")
    def cmd_kgs_time_settings(self, args: list[str]) -> str:
        main, byo, stones, japanese = parse_kgs_time(args)
        try:
            self.gtp.engine.set_time(main, byo, stones)
        except EngineError as exc:
            raise GtpError(f"syntax error: {exc}") from None
        self.japanese_byoyomi = japanese
        return ""

    def cmd_time_settings(self, args: list[str]) -> str:
        """GTP ``time_settings`` (Canadian) also ends the KGS byo-yomi mapping."""
        result = self.core.cmd_time_settings(args)
        self.japanese_byoyomi = False
        return result

    def cmd_time_left(self, args: list[str]) -> str:
        """GTP ``time_left``; in Japanese byo-yomi the KGS "stones" are periods (departure 1)."""
        if self.japanese_byoyomi and len(args) >= 3 and args[2].isdigit() and int(args[2]) > 0:
            args = [args[0], args[1], "1", *args[3:]]
        return self.core.cmd_time_left(args)

"""GoGui's analyze commands: the network's policy and ownership, the search's candidates, PV and
win rate, as GoGui draws them (GoGui's documentation, "Analyze Commands").

``gogui-analyze_commands`` lists "type/label/command" lines, and GoGui shows each command's
answer by its type: a policy heatmap (``gfx`` with INFLUENCE and LABEL), an ownership map
(``dboard``), candidates with win rates (``gfx``), the principal variation (``var``) and a
one-line win rate (``string``).  One handler class, as minigo's ``GoGuiCmdHandler``.

Departures, numbered:
  1. The policy and ownership maps need the player's network (its ``evaluate``/``evaluator``,
     or the ``evaluate`` given); the policy without one is a ``?``.
  2. The ownership map is the network's when it predicts ownership, else the Tromp-Taylor
     area of the board as it stands; +1 is Black, -1 White.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rocks.go import coords
from rocks.go.board import BLACK, Position
from rocks.play.decision import Decision, Player
from rocks.play.gtp.analysis import (
    AnalysisConfig,
    analyse,
    candidates_of,
    position_to_analyse,
    winrate_of,
)
from rocks.play.gtp.protocol import GtpEngine, GtpError, gtp_name, parse_colour
from rocks.search.contracts import Evaluation, as_evaluation


class GoGuiCommands:
    """GoGui's analyze commands over one :class:`~rocks.play.gtp.protocol.GtpEngine`.

    Args:
        gtp: the engine front end.
        config: report settings (candidates shown, search seconds, ownership digits).
        evaluate: the network (``rocks.nets`` ``evaluate(positions) -> Evaluation``) behind the
            policy and ownership maps; None looks for the player's ``evaluate``/``evaluator``.
    """

    def __init__(self, gtp: GtpEngine, config: AnalysisConfig | None = None,
                 evaluate: Callable | None = None) -> None:
        self.gtp = gtp
        self.config = config or AnalysisConfig()
        self._evaluate = evaluate

    @property
    def player(self) -> Player:
        return self.gtp.engine.player

    ANALYZE_COMMANDS = (
        ("gfx", "rocks: policy heatmap", "rocks-policy %m"),
        ("dboard", "rocks: ownership", "rocks-ownership %m"),
        ("gfx", "rocks: candidates and win rates", "rocks-candidates %m"),
        ("var", "rocks: principal variation", "rocks-pv %m"),
        ("string", "rocks: win rate", "rocks-winrate %m"),
    )

    @gtp_name("gogui-analyze_commands")
    def cmd_gogui_analyze_commands(self, args: list[str]) -> str:
        return "\n".join("/".join(entry) for entry in self.ANALYZE_COMMANDS)

    @property
    def evaluate(self) -> Callable | None:
        if self._evaluate is not None:
            return self._evaluate
        for name in ("evaluate", "evaluator"):
            fn = getattr(self.player, name, None)
            if callable(fn):
                return fn
        return None

    def _optional_colour(self, args: list[str]) -> Position:
        return position_to_analyse(self.gtp, parse_colour(args[0]) if args else None)

    def _network(self, position: Position) -> Evaluation | None:
        evaluate = self.evaluate
        if evaluate is None:
            return None
        return as_evaluation(evaluate([position]), 1)

    def _policy(self, position: Position) -> np.ndarray:
        ev = self._network(position)
        if ev is None:
            raise GtpError(f"the {self.player.name} player has no network "
                           "(start rocks gtp with a model)")
        priors = np.asarray(ev.priors, dtype=np.float64)[0]
        priors = np.where(position.legal_moves(), np.maximum(priors, 0.0), 0.0)
        total = priors.sum()
        return priors / total if total > 0 else priors

    @gtp_name("rocks-policy")
    def cmd_rocks_policy(self, args: list[str]) -> str:
        """gfx: the network's move probabilities as a heatmap, the top five labelled in %."""
        position = self._optional_colour(args)
        p = self._policy(position)
        size, n = position.size, position.size * position.size
        top = float(p[:n].max()) if p[:n].any() else 0.0
        lines = []
        if top > 0:
            shown = [int(m) for m in np.flatnonzero(p[:n] >= 0.01 * top)]
            lines.append("INFLUENCE " + " ".join(
                f"{coords.to_gtp(m, size)} {p[m] / top:.3f}" for m in shown))
        best = [int(m) for m in np.argsort(-p, kind="stable")[:5] if p[m] > 0]
        labels = [m for m in best if m != n]
        if labels:
            lines.append("LABEL " + " ".join(
                f"{coords.to_gtp(m, size)} {100 * p[m]:.0f}" for m in labels))
        lines.append("TEXT policy: " + ", ".join(
            f"{coords.to_gtp(m, size)} {100 * p[m]:.1f}%" for m in best))
        return "\n".join(lines)

    @gtp_name("rocks-ownership")
    def cmd_rocks_ownership(self, args: list[str]) -> str:
        """dboard: who owns each point, +1 Black and -1 White (departure 2)."""
        position = self._optional_colour(args)
        ev = self._network(position)
        if ev is not None and ev.ownership is not None:
            # rocks.nets reports ownership from the mover's side.
            own = np.asarray(ev.ownership, dtype=np.float64)[0] * position.to_play
        else:
            own = np.asarray(position.ownership(), dtype=np.float64)
        size, d = position.size, self.config.ownership_decimals
        own = np.clip(own, -1.0, 1.0).reshape(size, size)
        return "\n".join(" ".join(f"{v:.{d}f}" for v in row) for row in own)

    def _analysed(self, args: list[str]) -> tuple[Position, Decision]:
        position = self._optional_colour(args)
        return position, analyse(self.player, position, self.config.gogui_seconds)

    @gtp_name("rocks-candidates")
    def cmd_rocks_candidates(self, args: list[str]) -> str:
        """gfx: the candidates labelled with their win rates (%), shaded by visits."""
        position, decision = self._analysed(args)
        size = position.size
        shown = [c for c in candidates_of(decision) if c.move != position.pass_move]
        shown = shown[:self.config.max_candidates]
        lines = []
        most = max((c.visits for c in shown), default=0)
        if most > 0:
            lines.append("INFLUENCE " + " ".join(
                f"{coords.to_gtp(c.move, size)} {c.visits / most:.3f}" for c in shown))
        if shown and decision.candidates:
            lines.append("LABEL " + " ".join(
                f"{coords.to_gtp(c.move, size)} {100 * winrate_of(c):.0f}" for c in shown))
        lines.append("TEXT " + self._summary(position, decision))
        return "\n".join(lines)

    @gtp_name("rocks-pv")
    def cmd_rocks_pv(self, args: list[str]) -> str:
        """var: the principal variation, the side to move first."""
        position, decision = self._analysed(args)
        line = decision.pv or (decision.move,)
        return " ".join(coords.to_gtp(m, position.size) for m in line)

    @gtp_name("rocks-winrate")
    def cmd_rocks_winrate(self, args: list[str]) -> str:
        """string: the side to move's win rate, visits and principal variation on one line."""
        position, decision = self._analysed(args)
        return self._summary(position, decision)

    def _summary(self, position: Position, decision: Decision) -> str:
        side = "B" if position.to_play == BLACK else "W"
        size = position.size
        if not decision.candidates and decision.winrate is None:
            return (f"{side} to play; the {self.player.name} player reports no analysis "
                    f"(its move: {coords.to_gtp(decision.move, size)})")
        best = candidates_of(decision)[0]
        rate = decision.winrate if decision.winrate is not None else winrate_of(best)
        text = f"{side} to play: win rate {100 * rate:.1f}%"
        if decision.score_lead is not None:
            text += f", lead {decision.score_lead:+.1f}"
        line = decision.pv or best.pv or (best.move,)
        return (text + f", {decision.visits} visits, PV "
                + " ".join(coords.to_gtp(m, size) for m in line))

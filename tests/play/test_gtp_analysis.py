"""Specification of the GTP analysis commands (rocks.play.gtp: analysis, gogui, kgs) as Go GUIs
drive them.

The searching player here is a fake: PUCT search (rocks.search.mcts) over a network with
uniform priors and value 0, keeping its tree between calls as the real MCTS player does.
"""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position
from rocks.play.decision import Analyser, Decision
from rocks.play.engine import Engine, EngineConfig
from rocks.play.gtp.analysis import AnalysisConfig, lcb, lz_info, parse_analyze_args
from rocks.play.gtp.command import build_gtp
from rocks.play.gtp.gogui import GoGuiCommands
from rocks.play.gtp.kgs import parse_kgs_time
from rocks.play.gtp.protocol import GtpEngine, GtpError
from rocks.play.players import RandomPlayer
from rocks.search.contracts import Candidate
from rocks.search.mcts import MCTS, MCTSConfig


def uniform(positions):
    n = positions[0].size ** 2 + 1
    return np.full((len(positions), n), 1.0 / n, np.float32), np.zeros(len(positions), np.float32)


class FakeEvaluation:
    def __init__(self, priors, values, ownership=None):
        self.priors, self.values, self.ownership = priors, values, ownership


class UniformSearchPlayer:
    """Analyser + Player: one search tree continued across calls on the same game."""

    name = "uniform-search"

    def __init__(self) -> None:
        self.mcts: MCTS | None = None
        self.calls = 0

    def evaluate(self, positions):
        priors, values = uniform(positions)
        return FakeEvaluation(priors, values)

    def analyze(self, position: Position, time_budget_s: float) -> Decision:
        self.calls += 1
        if self.mcts is None or self.mcts.root.size != position.size:
            self.mcts = MCTS(position, MCTSConfig(num_simulations=10**9, leaves_per_batch=8),
                             rng=np.random.default_rng(0))
        else:
            self.mcts.set_root(position)
        r = self.mcts.run(uniform, num_simulations=10**9, time_budget_s=time_budget_s)
        cands = tuple(Candidate(c.move, c.visits, c.prior, c.q, c.pv) for c in r.candidates)
        return Decision(move=r.move, winrate=(r.root_value + 1) / 2, pv=r.pv, candidates=cands,
                        visits=int(r.visits.sum()))

    def select_move(self, position: Position, time_budget_s: float) -> Decision:
        return self.analyze(position, time_budget_s)


@pytest.fixture(autouse=True, scope="module")
def compiled_search():
    """Compile the search's numba kernels once, so timed streams measure searching."""
    UniformSearchPlayer().analyze(Position.empty(9).play_gtp("E5"), 0.05)


def new_gtp(player=None, size: int = 9, config: AnalysisConfig | None = None,
            move_time: float = 0.3):
    out = io.StringIO()
    engine = Engine(EngineConfig(size=size, default_move_time_s=move_time),
                    player if player is not None else UniformSearchPlayer())
    gtp = build_gtp(engine, out=out,
                    analysis=config or AnalysisConfig(step_s=0.02, gogui_seconds=0.1))
    return gtp, out


def run(gtp: GtpEngine, line: str) -> str:
    return gtp.handle_line(line).rstrip("\n")


def scripted(lines_and_pauses):
    """Input as a GUI sends it: lines, with pauses (seconds) where the GUI waits."""
    for item in lines_and_pauses:
        if isinstance(item, float):
            time.sleep(item)
        elif callable(item):  # wait (bounded) until the engine has shown what the GUI waits for
            deadline = time.monotonic() + 60
            while not item() and time.monotonic() < deadline:
                time.sleep(0.02)
        else:
            yield item + "\n"


def shown(out: io.StringIO, lines: int = 1):
    """A wait condition: the engine has written at least ``lines`` analysis lines."""
    return lambda: out.getvalue().count("\ninfo ") >= lines


def responses(text: str) -> list[str]:
    """Split a transcript into responses (each ends with a blank line)."""
    return [r for r in text.split("\n\n") if r]


INFO = re.compile(r"info move (\S+) visits (\d+) winrate (\d+) prior (\d+) lcb (\d+) "
                  r"order (\d+) pv((?: \S+)+?)(?= info |$)")


def parse_info_line(line: str) -> list[dict]:
    entries = [dict(move=m[0], visits=int(m[1]), winrate=int(m[2]), prior=int(m[3]),
                    lcb=int(m[4]), order=int(m[5]), pv=m[6].split()) for m in INFO.findall(line)]
    # Nothing in the line but the entries we parsed.
    assert " ".join(f"info move {e['move']} visits {e['visits']} winrate {e['winrate']} prior "
                    f"{e['prior']} lcb {e['lcb']} order {e['order']} pv {' '.join(e['pv'])}"
                    for e in entries) == line
    return entries


def test_a_sabaki_session_streams_leela_zero_lines_until_the_next_command():
    gtp, out = new_gtp()
    gtp.serve(scripted([
        "1 boardsize 9", "2 clear_board", "3 komi 7.5", "4 play B E5", "5 play W C3",
        "6 lz-analyze B 10", shown(out, 2), "7 name",
    ]))
    rs = responses(out.getvalue())
    assert rs[:5] == ["=1 ", "=2 ", "=3 ", "=4 ", "=5 "]
    stream = rs[5].split("\n")
    assert stream[0] == "=6"  # Leela Zero's header: the id alone
    assert rs[6] == "=7 rocks"
    lines = stream[1:]
    assert len(lines) >= 2, "the GUI waited for two report lines"
    position = Position.empty(9).play_gtp("E5", "C3")
    before = 0
    for line in lines:
        entries = parse_info_line(line)
        assert entries and [e["order"] for e in entries] == list(range(len(entries)))
        total = sum(e["visits"] for e in entries)
        assert total >= before  # one search continues: visits only grow
        before = total
        for e in entries:
            assert 0 <= e["lcb"] <= e["winrate"] <= 10000 and 0 <= e["prior"] <= 10000
            assert e["pv"][0] == e["move"]
            pos = position
            for vertex in e["pv"]:  # every PV move legal in turn
                move = coords.from_gtp(vertex, 9)
                assert pos.is_legal(move), (vertex, e["pv"])
                pos = pos.play(move)
    # uniform priors over 82 moves minus 2 occupied points: 1/80 each
    assert parse_info_line(lines[-1])[0]["prior"] == round(10000 / 80)
    assert gtp.engine.position.moves == position.moves  # analysis plays nothing


def test_analysis_stops_on_a_bare_newline_and_keyword_interval_forms():
    gtp, out = new_gtp()
    gtp.serve(scripted(["lz-analyze interval 5", shown(out, 1), "", "lz-analyze w interval 5",
                        shown(out, 2), "name"]))
    rs = responses(out.getvalue())
    assert rs[0].startswith("=\ninfo move ") and rs[1].startswith("=\ninfo move ")
    assert rs[2] == "= rocks"
    # White's analysis after no moves: white to play on the empty board, all 82 moves possible
    assert parse_info_line(rs[1].split("\n")[1])[0]["prior"] == round(10000 / 82)


def test_interval_zero_searches_without_reporting():
    gtp, out = new_gtp()
    gtp.serve(scripted(["lz-analyze 0", lambda: gtp.engine.player.calls >= 2, "name"]))
    assert out.getvalue() == "=\n\n= rocks\n\n"
    assert gtp.engine.player.calls >= 2


def test_genmove_analyze_reports_then_plays():
    gtp, out = new_gtp()
    gtp.serve(scripted(["komi 6.5", "3 lz-genmove_analyze b 5", "list_stones b"]))
    rs = responses(out.getvalue())
    head, *lines, last = rs[1].split("\n")
    assert head == "=3" and last.startswith("play ")
    assert lines and all(parse_info_line(line) for line in lines)
    vertex = last.split()[1]
    assert rs[2] == f"= {vertex}"  # the move was played
    assert gtp.engine.position.to_play == WHITE


def test_kata_analyze_has_float_fields_and_ownership():
    gtp, out = new_gtp()
    gtp.serve(scripted(["play b D4", "kata-analyze 5 ownership true", shown(out), "name"]))
    stream = responses(out.getvalue())[1].split("\n")
    line = stream[1]
    info, own = line.split(" ownership ")
    first = info.split(" info ")[0].split()[1:]
    pv_at = first.index("pv")
    fields = dict(zip(first[:pv_at:2], first[1:pv_at:2], strict=True))
    fields["pv"] = first[pv_at + 1:]
    assert {"move", "visits", "utility", "winrate", "prior", "lcb", "utilityLcb", "order",
            "pv"} <= set(fields)
    assert 0.0 <= float(fields["winrate"]) <= 1.0 and 0.0 <= float(fields["prior"]) <= 1.0
    values = [float(v) for v in own.split()]
    assert len(values) == 81
    # No network ownership: the board's area, seen by White (to move): D4 is Black's, so -1.
    d4 = coords.from_gtp("D4", 9)
    assert values[d4] == -1.0 and all(-1.0 <= v <= 1.0 for v in values)


def test_a_player_that_does_not_search_is_shown_once_with_zero_visits():
    gtp, out = new_gtp(RandomPlayer(seed=3))
    gtp.serve(scripted(["lz-analyze 1", shown(out), 0.2, "name"]))
    stream = responses(out.getvalue())[0].split("\n")
    assert len(stream) == 2
    (entry,) = parse_info_line(stream[1])
    assert entry["visits"] == 0 and entry["winrate"] == 5000


class TenVisitsPerCall:
    """An Analyser whose search grows by exactly 10 visits per call."""

    name = "ten"

    def __init__(self) -> None:
        self.calls = 0

    def analyze(self, position: Position, time_budget_s: float) -> Decision:
        self.calls += 1
        n = 10 * self.calls
        return Decision(move=0, visits=n, candidates=(Candidate(0, n, 0.5, 0.0, (0,)),))

    def select_move(self, position: Position, time_budget_s: float) -> Decision:
        return self.analyze(position, time_budget_s)


def test_analysis_stops_searching_at_max_visits_and_waits():
    player = TenVisitsPerCall()
    gtp, out = new_gtp(player, config=AnalysisConfig(step_s=0.01, max_visits=30))
    gtp.serve(scripted(["lz-analyze 1", lambda: player.calls >= 3, 0.2, "name"]))
    stream = responses(out.getvalue())
    assert player.calls == 3
    assert stream[0].split("\n")[-1] == ("info move A9 visits 30 winrate 5000 prior 5000 "
                                          "lcb 3211 order 0 pv A9")
    assert stream[1] == "= rocks"


@pytest.mark.parametrize("args, message", [
    (["b", "x", "1"], "unknown key"), (["interval"], "needs a value"),
    (["avoid", "b", "D4", "1"], "not supported"), (["-5"], "not be negative"),
    (["ownership", "maybe"], "true or false"),
])
def test_bad_analyze_arguments_are_refused_before_the_stream_starts(args, message):
    with pytest.raises(GtpError, match=message):
        parse_analyze_args(args)
    gtp, _ = new_gtp()
    assert run(gtp, "lz-analyze " + " ".join(args)).startswith("? syntax error")


def test_analyze_argument_forms():
    assert parse_analyze_args([]).colour is None
    r = parse_analyze_args(["B", "50", "minmoves", "3", "maxmoves", "4"])
    assert (r.colour, r.interval_cs, r.max_moves) == (BLACK, 50, 4)
    assert parse_analyze_args(["interval", "20"]).interval_cs == 20
    assert parse_analyze_args(["white", "interval", "7", "ownership", "true"]).ownership


def test_info_entry_format_and_lcb():
    c = Candidate(move=coords.from_gtp("D4", 9), visits=100, prior=0.1234, q=0.2,
                  pv=(coords.from_gtp("D4", 9), coords.from_gtp("F6", 9)))
    assert lz_info(c, 0, 9) == ("info move D4 visits 100 winrate 6000 prior 1234 lcb 5040 "
                                "order 0 pv D4 F6")
    assert lcb(0.6, 100) == pytest.approx(0.6 - 1.96 * (0.24 / 100) ** 0.5)
    assert lcb(0.5, 0) == 0.0 and lcb(1.0, 5) == 1.0


def test_gogui_analyze_commands_name_commands_that_exist():
    gtp, _ = new_gtp()
    listing = run(gtp, "gogui-analyze_commands")[2:].split("\n")
    types = {"gfx", "dboard", "var", "string"}
    for entry in listing:
        kind, label, command = entry.split("/")
        assert kind in types and label
        name = command.split()[0]
        assert run(gtp, f"known_command {name}") == "= true"


def test_gogui_policy_is_a_heatmap_of_legal_moves():
    gtp, _ = new_gtp()
    run(gtp, "play b E5")
    lines = run(gtp, "rocks-policy w")[2:].split("\n")
    assert lines[0].startswith("INFLUENCE ")
    words = lines[0].split()[1:]
    points = dict(zip(words[::2], map(float, words[1::2]), strict=True))
    assert len(points) == 80 and "E5" not in points  # occupied: not a move
    assert all(v == pytest.approx(1.0) for v in points.values())  # uniform: all at the top
    assert lines[1].startswith("LABEL ") and lines[-1].startswith("TEXT policy: ")


def test_gogui_ownership_is_a_board_of_numbers_top_row_first():
    gtp, _ = new_gtp()
    run(gtp, "play b A9")
    rows = run(gtp, "rocks-ownership")[2:].split("\n")
    assert len(rows) == 9 and all(len(r.split()) == 9 for r in rows)
    # One black stone: Tromp-Taylor gives Black the whole board.
    assert all(float(v) == 1.0 for r in rows for v in r.split())
    run(gtp, "play w J1")
    rows = run(gtp, "rocks-ownership")[2:].split("\n")
    assert float(rows[0].split()[0]) == 1.0 and float(rows[-1].split()[-1]) == -1.0


def test_gogui_candidates_pv_and_winrate():
    gtp, _ = new_gtp()
    lines = run(gtp, "rocks-candidates b")[2:].split("\n")
    assert lines[0].startswith("INFLUENCE ") and lines[1].startswith("LABEL ")
    assert re.fullmatch(r"TEXT B to play: win rate \d+\.\d%, \d+ visits, PV( [A-J]\d)+",
                        lines[-1])
    pv = run(gtp, "rocks-pv b")[2:].split()
    pos = gtp.engine.position
    for vertex in pv:
        pos = pos.play(coords.from_gtp(vertex, 9))
    assert re.fullmatch(r"= B to play: win rate \d+\.\d%, \d+ visits, PV( \S+)+",
                        run(gtp, "rocks-winrate"))


def test_gogui_policy_needs_a_network():
    gtp, _ = new_gtp(RandomPlayer(seed=1))
    assert run(gtp, "rocks-policy b") == "? the random player has no network (start rocks gtp " \
        "with a model)"
    assert "reports no analysis" in run(gtp, "rocks-winrate")


# ---------------------------------------------------------------------------- KGS time
@pytest.mark.parametrize("args, expected", [
    (["none"], (0.0, 0.0, 0, False)),
    (["absolute", "600"], (600.0, 0.0, 0, False)),
    (["canadian", "600", "300", "25"], (600.0, 300.0, 25, False)),
    (["byoyomi", "600", "30", "5"], (600.0, 30.0, 1, True)),
    (["byoyomi", "600", "30", "0"], (600.0, 0.0, 0, False)),
])
def test_kgs_time_systems_map_onto_time_settings(args, expected):
    assert parse_kgs_time(args) == expected


@pytest.mark.parametrize("line", ["kgs-time_settings", "kgs-time_settings fischer 1 2",
                                  "kgs-time_settings canadian 600 30",
                                  "kgs-time_settings absolute -1"])
def test_bad_kgs_time_settings_change_nothing(line):
    gtp, _ = new_gtp()
    run(gtp, "kgs-time_settings absolute 60")
    assert run(gtp, line).startswith("? syntax error")
    assert gtp.engine.clocks[BLACK].main_time_s == 60.0


def test_kgs_time_settings_set_the_engine_clock_and_budget():
    gtp, _ = new_gtp()
    engine = gtp.engine
    assert run(gtp, "kgs-time_settings none") == "= "
    assert engine.time_budget(BLACK) == engine.config.default_move_time_s
    run(gtp, "kgs-time_settings absolute 100")
    absolute = engine.time_budget(BLACK)
    assert 0 < absolute < 100 / 10  # spread over the moves still to play
    run(gtp, "kgs-time_settings canadian 0 60 10")
    assert engine.time_budget(BLACK) == pytest.approx(0.9 * 6.0)  # 60 s for 10 stones
    # Japanese byo-yomi, 30 s x 5 periods; in overtime KGS reports periods as "stones".
    run(gtp, "kgs-time_settings byoyomi 0 30 5")
    run(gtp, "time_left b 30 5")
    assert engine.time_budget(BLACK) == pytest.approx(0.9 * 30.0)  # not 30 s / 5
    run(gtp, "time_settings 0 30 5")  # plain Canadian again: 5 stones are 5 stones
    run(gtp, "time_left b 30 5")
    assert engine.time_budget(BLACK) == pytest.approx(0.9 * 6.0)


def test_the_fake_player_is_an_analyser():
    assert isinstance(UniformSearchPlayer(), Analyser)
    assert not isinstance(RandomPlayer(), Analyser)


def test_gogui_ownership_from_a_network_is_turned_to_blacks_view():
    def mover_owns_everything(positions):
        n = positions[0].size ** 2
        priors, values = uniform(positions)
        return FakeEvaluation(priors, values, np.ones((len(positions), n), np.float32))

    gtp, _ = new_gtp()
    gtp.register_handlers(GoGuiCommands(gtp, evaluate=mover_owns_everything))
    black = run(gtp, "rocks-ownership b")[2:].split()
    white = run(gtp, "rocks-ownership w")[2:].split()
    assert set(black) == {"1.000"} and set(white) == {"-1.000"} and len(white) == 81


def test_gogui_maps_from_a_real_network():
    from rocks.nets import Evaluator, NetConfig, PolicyValueNet

    net = PolicyValueNet(NetConfig(blocks=1, channels=8, pool_channels=4, head_channels=4,
                                   value_hidden=8))
    gtp, _ = new_gtp(size=7)
    gtp.register_handlers(GoGuiCommands(gtp, evaluate=Evaluator(net, batch_size=1)))
    run(gtp, "play b D4")
    policy = run(gtp, "rocks-policy w")[2:].split("\n")
    words = policy[0].split()[1:]
    shares = dict(zip(words[::2], map(float, words[1::2]), strict=True))
    assert "D4" not in shares and max(shares.values()) == 1.0
    assert all(0 < v <= 1 for v in shares.values())
    rows = run(gtp, "rocks-ownership")[2:].split("\n")
    assert len(rows) == 7 and all(-1 <= float(v) <= 1 for r in rows for v in r.split())


@pytest.mark.timeout(60)
def test_rocks_gtp_streams_over_real_pipes_until_the_gui_speaks():
    import subprocess

    from rocks.engines.commands import rocks_gtp_command

    proc = subprocess.Popen(rocks_gtp_command("--player", "random", "--size", "9", "--seed", "2"),
                            text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write("play b E5\n5 lz-analyze w 10\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "= \n" and proc.stdout.readline() == "\n"
        assert proc.stdout.readline() == "=5\n"  # the stream is open ...
        assert proc.stdout.readline().startswith("info move ")
        proc.stdin.write("name\n")  # ... until the next command
        proc.stdin.flush()
        assert proc.stdout.readline() == "\n"
        assert proc.stdout.readline() == "= rocks\n"
        out, err = proc.communicate("quit\n", timeout=30)
        assert proc.returncode == 0 and err == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------- the MCTS player
def test_genmove_analyze_stops_at_the_players_visits_like_genmove():
    class TenPerCallCapped(TenVisitsPerCall):
        move_visits = 30

    player = TenPerCallCapped()
    gtp, out = new_gtp(player, move_time=30.0)  # time is no limit here
    gtp.serve(scripted(["lz-genmove_analyze b 1"]))
    # slices of 10, 20, 30, 40 visits (30 new after the first), then select_move chooses
    assert player.calls == 5
    assert responses(out.getvalue())[0].split("\n")[-1] == "play A9"


def test_the_mcts_player_streams_past_its_move_visits_and_plays_with_them():
    from rocks.play.mcts_player import MCTSPlayer, MCTSPlayerConfig

    player = MCTSPlayer(uniform, MCTSPlayerConfig(visits=20, seed=1))
    assert isinstance(player, Analyser) and player.move_visits == 20
    gtp, out = new_gtp(player)

    def searched_past_move_visits() -> bool:
        lines = [x for x in out.getvalue().split("\n") if x.startswith("info ")]
        return bool(lines) and sum(e["visits"] for e in parse_info_line(lines[-1])) > 20

    gtp.serve(scripted(["play b C3", "lz-analyze 10", searched_past_move_visits,
                        "lz-genmove_analyze w 10",
                        "list_stones white"]))
    rs = responses(out.getvalue())
    stream = rs[1].split("\n")
    assert stream[0] == "=" and len(stream) >= 2
    last = parse_info_line(stream[-1])
    assert sum(e["visits"] for e in last) > 20  # analysis is not capped by the move's visits
    played = rs[2].split("\n")[-1]
    assert played.startswith("play ") and rs[3] == "= " + played.split()[1]

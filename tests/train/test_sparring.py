"""Sparring games (rocks.train.selfplay departure 6, rocks.train.sparring): a share of the
self-play games is played against an outside opponent on one colour; only the net's moves
become examples, and their value targets are the result against that opponent."""

from __future__ import annotations

import csv
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position
from rocks.nets.evaluator import uniform_evaluator
from rocks.train.loop import Loop, LoopConfig
from rocks.train.selfplay import SelfPlayConfig, net_evaluate, play_games, sparring_colour
from rocks.train.sparring import GtpOpponent, SparringSpec, gnugo_opponents
from rocks.train.supervised import TrainConfigError

CFG = SelfPlayConfig(size=5, komi=0.5, parallel=3, full_visits=8, fast_visits=2,
                     full_prob=1.0, max_moves=24, resign_threshold=-1.0,
                     sparring_fraction=1.0)


class FirstLegal:
    """Plays the first legal point (pass when none), or ``script`` moves in GTP; logs calls."""

    name = "first-legal"

    def __init__(self, script: tuple[str, ...] = (), slow_s: float = 0.0) -> None:
        self.script = list(script)
        self.slow_s = slow_s
        self.seen: list[int] = []  # the move numbers it was asked at
        self.closed = False
        self.threads: set[str] = set()

    def genmove(self, position: Position) -> int | None:
        self.seen.append(len(position.moves))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.slow_s)
        if self.script:
            text = self.script.pop(0)
            return None if text == "resign" else coords.from_gtp(text, position.size)
        legal = np.flatnonzero(position.legal_moves()[:-1])
        return int(legal[0]) if len(legal) else position.size ** 2

    def close(self) -> None:
        self.closed = True


def test_sparring_games_are_spread_evenly_and_the_opponent_alternates_colours():
    assert [sparring_colour(i, 0.0) for i in range(4)] == [0, 0, 0, 0]
    assert [sparring_colour(i, 1.0) for i in range(4)] == [WHITE, BLACK, WHITE, BLACK]
    quarter = [sparring_colour(i, 0.25) for i in range(16)]
    assert [i for i, c in enumerate(quarter) if c] == [3, 7, 11, 15]
    assert [c for c in quarter if c] == [WHITE, BLACK, WHITE, BLACK]
    with pytest.raises(ValueError, match="sparring_fraction"):
        SelfPlayConfig(sparring_fraction=1.5)


def test_only_the_nets_moves_become_examples_valued_by_the_result_against_the_opponent():
    made: dict[int, FirstLegal] = {}

    def opponent(index: int) -> FirstLegal:
        made[index] = FirstLegal()
        return made[index]

    games = play_games(net_evaluate(uniform_evaluator(5)), CFG, range(4), seed=(5,),
                       opponent=opponent)
    assert sorted(g.index for g in games) == [0, 1, 2, 3]
    for g in games:
        opp = g.opponent_colour
        assert opp == sparring_colour(g.index, 1.0) and made[g.index].closed
        net = -opp
        # The opponent was asked exactly at its own turns, and played exactly those moves.
        asked = made[g.index].seen
        assert all((n % 2 == 0) == (opp == BLACK) for n in asked)
        assert all(g.record.moves[n][0] == opp for n in asked if n < len(g.record.moves))
        # full_prob 1: every net move, and nothing else, is an example, from the net's view.
        assert len(g.examples) == sum(c == net for c, _ in g.record.moves)
        assert np.all(g.examples.value == (1.0 if g.winner == net else -1.0))
        players = {BLACK: g.record.black_player, WHITE: g.record.white_player}
        assert players[opp] == "first-legal" and players[net] == "rocks-selfplay"


def test_an_opponents_resignation_or_illegal_move_loses_it_the_game():
    def resigning(index: int) -> FirstLegal:
        return FirstLegal(("resign",))

    (g,) = play_games(net_evaluate(uniform_evaluator(5)), CFG, [1], seed=(1,),
                      opponent=resigning)  # game 1: the opponent is Black, moves first
    assert (g.opponent_colour, g.winner, g.resigned, g.moves) == (BLACK, WHITE, True, 0)
    assert g.record.result == "W+R"

    def illegal(index: int) -> FirstLegal:
        return FirstLegal(("C3", "C3"))  # the same point twice: occupied

    (g,) = play_games(net_evaluate(uniform_evaluator(5)), CFG, [1], seed=(1,),
                      opponent=illegal)
    assert g.winner == WHITE and g.resigned and g.moves == 2


def test_opponents_think_on_threads_and_a_failing_one_stops_the_stage_closing_the_rest():
    made: list[FirstLegal] = []

    class Dies(FirstLegal):
        def genmove(self, position: Position) -> int | None:
            if len(position.moves) >= 4:
                raise RuntimeError("engine died")
            return super().genmove(position)

    def opponent(index: int) -> FirstLegal:
        made.append(Dies() if index == 2 else FirstLegal(slow_s=0.01))
        return made[-1]

    with pytest.raises(RuntimeError, match="engine died"):
        play_games(net_evaluate(uniform_evaluator(5)), CFG, range(3), seed=(2,),
                   opponent=opponent)
    assert made and all(o.closed for o in made)
    assert all(name != threading.current_thread().name for o in made for name in o.threads)


def test_sparring_needs_an_opponent():
    with pytest.raises(ValueError, match="needs an opponent"):
        play_games(net_evaluate(uniform_evaluator(5)), CFG, [0])


FAKE_GTP = textwrap.dedent('''
    import sys
    log = open(sys.argv[1], "a")
    replies = iter(sys.argv[2:])
    for line in sys.stdin:
        parts = line.split()
        ident, command = parts[0], parts[1:]
        log.write(" ".join(command) + "\\n"); log.flush()
        if command[0] == "quit":
            print(f"={ident}\\n", flush=True); break
        reply = next(replies) if command[0] == "genmove" else ""
        print(f"={ident} {reply}\\n", flush=True)
''')


def test_a_gtp_opponent_is_told_the_moves_since_its_last_and_may_resign(tmp_path):
    script, log = tmp_path / "engine.py", tmp_path / "log.txt"
    script.write_text(FAKE_GTP)
    opp = GtpOpponent([sys.executable, str(script), str(log), "D4", "resign"], "fake", 9, 7.5)
    pos = Position.empty(9, 7.5).play_gtp("E5")
    assert opp.genmove(pos) == coords.from_gtp("D4", 9)
    pos = pos.play_gtp("D4", "C3")  # its own D4 is not sent back to it
    assert opp.genmove(pos) is None
    opp.close()
    assert log.read_text().splitlines() == [
        "boardsize 9", "clear_board", "komi 7.5", "play B E5", "genmove W",
        "play B C3", "genmove W", "quit"]


def test_gnugo_spars_and_the_loop_logs_which_games_were_sparring(tmp_path, gnugo):
    opponents = gnugo_opponents(SparringSpec(0), 9, 7.5, seed=(0, 0), gnugo_path=gnugo)
    opp = opponents(0)
    move = opp.genmove(Position.empty(9, 7.5))
    opp.close()
    assert move is not None and 0 <= move < 81
    tiny = SelfPlayConfig(size=9, parallel=2, full_visits=4, fast_visits=2, max_moves=16,
                          sparring_fraction=0.5)
    cfg = LoopConfig(out_dir=str(tmp_path / "run"), net="b1c16", generations=1,
                     games_per_generation=4, selfplay=tiny, train_steps=2, batch_size=8,
                     bf16=False, gating_games=0, sparring="gnugo:0")
    Loop(cfg).run()
    with open(tmp_path / "run" / "selfplay.csv") as f:
        games = {int(r["game"]): int(r["sparring"]) for r in csv.DictReader(f)}
    assert games == {0: 0, 1: WHITE, 2: 0, 3: BLACK}
    sgf = (tmp_path / "run" / "sgf" / "g0000_000001.sgf").read_text()
    assert "PW[gnugo-0]" in sgf and "PB[rocks-selfplay]" in sgf


def test_the_loop_refuses_sparring_without_an_opponent_or_on_ray_or_not_gnugo():
    sparring = SelfPlayConfig(sparring_fraction=0.25)
    with pytest.raises(TrainConfigError, match="needs an opponent"):
        LoopConfig(selfplay=sparring)
    with pytest.raises(TrainConfigError, match="Ray"):
        LoopConfig(selfplay=sparring, sparring="gnugo:10", ray="local")
    with pytest.raises(TrainConfigError, match="gnugo:LEVEL"):
        LoopConfig(sparring="pachi:10000")
    assert SparringSpec.parse("gnugo:10").name == "gnugo-10"

"""Specification of the arena (rocks.play.arena): schedule, crashes, resume, ratings."""

from __future__ import annotations

import csv
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rocks import stats
from rocks.engines.commands import find_gnugo
from rocks.play import arena
from rocks.play.arena import ArenaConfig, EngineSpec, Pairing, parse_engine, run_arena, schedule
from rocks.play.cli import arena_main

# A GTP engine in a few lines: answers everything with success, passes on genmove.  The
# variants break GTP in the ways real engines do.
FAKE_ENGINE = textwrap.dedent('''
    import os
    import sys
    import time
    mode = sys.argv[1]
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        ident, command = (parts[0], parts[1:]) if parts[0].isdigit() else ("", parts)
        name = command[0] if command else ""
        if name == "quit":
            print(f"={ident}\\n", flush=True)
            break
        if name == "genmove":
            if mode == "crash":
                sys.exit(3)
            if mode == "hang":
                if len(sys.argv) > 2:  # tell the test which process is hanging
                    with open(sys.argv[2], "w") as marker:
                        marker.write(str(os.getpid()))
                time.sleep(60)
            if mode == "garbage":
                print("this is not GTP\\n", flush=True)
                continue
            if mode == "nonsense-move":
                print(f"={ident} Z99\\n", flush=True)
                continue
            print(f"={ident} pass\\n", flush=True)
            continue
        print(f"={ident}\\n", flush=True)
''')


@pytest.fixture
def fake(tmp_path: Path):
    script = tmp_path / "fake_gtp.py"
    script.write_text(FAKE_ENGINE)

    def make(name: str, mode: str) -> EngineSpec:
        return EngineSpec(name, (sys.executable, str(script), mode))
    return make


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_round_robin_schedule_alternates_colours_and_interleaves_rounds():
    a, b, c = (EngineSpec(n, ("x",)) for n in "abc")
    games = schedule(ArenaConfig((a, b, c), "unused", games_per_pair=2))
    assert [g.key for g in games] == ["a__b__000", "a__c__000", "b__c__000",
                                      "a__b__001", "a__c__001", "b__c__001"]
    assert [(g.black.name, g.white.name) for g in games[:4]] == [
        ("a", "b"), ("a", "c"), ("b", "c"), ("b", "a")]
    assert len({g.seed for g in games}) == 6
    assert schedule(ArenaConfig((a, b, c), "x", games_per_pair=2))[0].seed == games[0].seed
    gauntlet = schedule(ArenaConfig((a, b, c), "unused", mode="gauntlet", games_per_pair=1))
    assert [g.key for g in gauntlet] == ["a__b__000", "a__c__000"]


def test_engine_specs_from_the_command_line():
    spec = parse_engine("mine=/usr/bin/env python3 -m thing --seed {seed}")
    assert spec.name == "mine" and spec.command(42)[-1] == "42"
    random = parse_engine("rocks:random")
    assert random.name == "rocks-random" and "--player" in random.argv
    model = parse_engine("rocks:nets/b6.pt:400")
    assert model.name == "rocks-b6-v400"
    args = " ".join(model.argv)
    assert "--model nets/b6.pt" in args and "--visits 400" in args
    assert model.command(7)[-2:] == ["--seed", "7"]  # each game its own seed: games vary
    if find_gnugo() is not None:  # GNU Go clears dead stones, so the count is the result
        assert "--capture-all-dead" in parse_engine("gnugo:10").argv
    for bad, words in [("nonsense", "cannot read"), ("gnugo:11", "1..10"),
                       ("gnugo:ten", "whole number"), ("rocks:m.pt:lots", "whole number"),
                       ("bad name=cmd", "engine name"), ("x=", "empty"),
                       ("pachi:1000", "--pachi PATH")]:
        with pytest.raises(ValueError, match=words):
            parse_engine(bad)
    with pytest.raises(ValueError, match="differ"):
        ArenaConfig((EngineSpec("a", ("x",)), EngineSpec("a", ("y",))), "out")
    with pytest.raises(ValueError, match="two engines"):
        ArenaConfig((EngineSpec("a", ("x",)),), "out")


def test_engines_that_crash_or_break_gtp_lose_and_the_arena_goes_on(tmp_path, fake):
    engines = (fake("steady", "ok"), fake("crasher", "crash"), fake("garbler", "garbage"),
               fake("wild", "nonsense-move"))
    config = ArenaConfig(engines, str(tmp_path / "arena"), games_per_pair=2,
                         move_timeout_s=10.0, jobs=2)
    rows = run_arena(config, progress=False)
    assert len(rows) == 12 and len({r["key"] for r in rows}) == 12
    for r in rows:
        if "steady" in (r["black"], r["white"]):
            assert r["winner"] == "steady", r
        else:  # two broken engines: Black moves first, so Black breaks first and loses
            assert r["winner"] == r["white"], r
    crashed = [r for r in rows if r["winner"] != "" and "crasher" in (r["black"], r["white"])
               and r["reason"] == "engine died"]
    assert crashed, "the crash is recorded as its cause"
    assert {r["reason"] for r in rows if "wild" in (r["black"], r["white"])
            and r["winner"] != "wild"} >= {"illegal move"}
    on_disk = rows_of(tmp_path / "arena" / "results.csv")
    assert sorted(r["key"] for r in on_disk) == sorted(r["key"] for r in rows)
    assert (tmp_path / "arena" / "sgf" / f"{on_disk[0]['key']}.sgf").read_text().startswith("(;")
    table = arena.rate_arena(tmp_path / "arena")
    assert table["steady"].elo == max(r.elo for r in table.ratings)
    assert table["steady"].score == 6.0
    assert (tmp_path / "arena" / "ratings.png").exists()
    assert "steady" in (tmp_path / "arena" / "ratings.txt").read_text()


def test_an_engine_that_cannot_start_loses(tmp_path, fake):
    engines = (fake("steady", "ok"), EngineSpec("ghost", (str(tmp_path / "no-such-binary"),)))
    rows = run_arena(ArenaConfig(engines, str(tmp_path / "a"), games_per_pair=2), progress=False)
    assert [r["winner"] for r in rows] == ["steady", "steady"]
    assert all("could not start" in r["detail"] for r in rows)


def test_an_engine_that_hangs_loses_on_time(tmp_path, fake):
    engines = (fake("sleeper", "hang"), fake("steady", "ok"))
    config = ArenaConfig(engines, str(tmp_path / "a"), games_per_pair=1, move_timeout_s=1.0)
    (row,) = run_arena(config, progress=False)
    assert row["winner"] == "steady" and row["reason"] == "timeout" and row["result"] == "W+T"


class Interrupt(KeyboardInterrupt):
    pass


def scripted_player(played: list[str], stop_after: int | None = None):
    """A game player without processes: Black always wins; optionally 'killed' mid-arena."""

    def play(game: Pairing, config: ArenaConfig, out_dir: Path) -> dict:
        if stop_after is not None and len(played) >= stop_after:
            raise Interrupt("the arena was interrupted")
        played.append(game.key)
        return {"key": game.key, "black": game.black.name, "white": game.white.name,
                "winner": game.black.name, "result": "B+R", "reason": "resign", "score": "0",
                "moves": 10}
    return play


def test_an_interrupted_arena_resumes_without_replaying_games(tmp_path):
    engines = tuple(EngineSpec(n, ("unused",)) for n in ("a", "b", "c"))
    config = ArenaConfig(engines, str(tmp_path / "arena"), games_per_pair=4, jobs=1)
    first: list[str] = []
    attempts: list[str] = []

    def counting(game, config, out_dir):
        attempts.append(game.key)
        if len(attempts) > 6:  # a game started after the interruption: give the arena time
            time.sleep(1.0)    # to cancel the rest, as a real game would
        return stopping(game, config, out_dir)
    stopping = scripted_player(first, stop_after=5)
    with pytest.raises(Interrupt):
        run_arena(config, progress=False, player=counting)
    assert len(rows_of(tmp_path / "arena" / "results.csv")) == 5
    assert len(attempts) < 8, "an interrupted arena starts no new games"
    second: list[str] = []
    rows = run_arena(config, progress=False, player=scripted_player(second))
    assert len(second) == 7 and not set(first) & set(second)
    assert sorted(r["key"] for r in rows) == sorted(g.key for g in schedule(config))
    assert len(rows_of(tmp_path / "arena" / "results.csv")) == 12
    third: list[str] = []
    run_arena(config, progress=False, player=scripted_player(third))
    assert third == [], "a finished arena plays nothing more"
    # Black always won and colours alternate, so everyone scores half: equal ratings.
    table = arena.rate_arena(tmp_path / "arena", plot=False)
    assert all(abs(r.elo) < 1e-6 for r in table.ratings)


def test_resuming_with_other_game_settings_is_refused(tmp_path):
    engines = tuple(EngineSpec(n, ("unused",)) for n in ("a", "b"))
    run_arena(ArenaConfig(engines, str(tmp_path), games_per_pair=1), progress=False,
              player=scripted_player([]))
    with pytest.raises(ValueError, match="komi"):
        run_arena(ArenaConfig(engines, str(tmp_path), games_per_pair=1, komi=6.5),
                  progress=False, player=scripted_player([]))


def test_the_command_line_runs_and_rates_an_arena(tmp_path, fake, capsys):
    script = fake("x", "ok").argv[1]
    out = tmp_path / "cli-arena"
    code = arena_main(["--engine", f"steady={sys.executable} {script} ok",
                       "--engine", f"crasher={sys.executable} {script} crash",
                       "--games", "2", "--out", str(out), "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "steady" in text and "crasher" in text and "anchor: steady" in text
    assert len(rows_of(out / "results.csv")) == 2
    # Resuming from the folder alone plays nothing new and rates again.
    assert arena_main(["--out", str(out), "--games", "2", "--quiet"]) == 0
    assert len(rows_of(out / "results.csv")) == 2
    assert arena_main(["--engine", "nonsense", "--out", str(out)]) == 2


def test_an_arena_can_grow_and_ratings_cover_every_engine_played(tmp_path):
    a, b, c = (EngineSpec(n, ("unused",)) for n in ("a", "b", "c"))
    run_arena(ArenaConfig((a, b), str(tmp_path), games_per_pair=4), progress=False,
              player=scripted_player([]))
    added: list[str] = []
    run_arena(ArenaConfig((a, b, c), str(tmp_path), games_per_pair=2), progress=False,
              player=scripted_player(added))
    assert sorted(added) == ["a__c__000", "a__c__001", "b__c__000", "b__c__001"]
    run_arena(ArenaConfig((a, b), str(tmp_path), games_per_pair=4), progress=False,
              player=scripted_player([]))  # config.json now names only a and b
    table = arena.rate_arena(tmp_path, plot=False)
    assert {r.name for r in table.ratings} == {"a", "b", "c"} and table["c"].games == 4


def test_a_rescored_game_says_so_in_its_sgf(tmp_path):
    sgf = tmp_path / "game.sgf"
    sgf.write_text("(;GM[1]FF[4]SZ[9]KM[7.5]RE[W+35.5];B[];W[])")
    arena._set_sgf_result(sgf, "B+1.5", "gnugo")
    assert "RE[B+1.5]" in sgf.read_text() and "scored by gnugo" in sgf.read_text()


@pytest.mark.gnugo
def test_games_the_engines_do_not_score_go_to_the_referee(tmp_path, fake, gnugo):
    config = ArenaConfig((fake("a", "ok"), fake("b", "ok")), str(tmp_path), games_per_pair=1)
    (row,) = run_arena(config, progress=False)
    assert row["result"] == "W+7.5" and row["winner"] == "b"
    assert row["detail"].startswith("scored by gnugo")


def test_sigterm_stops_the_arena_and_its_engines_at_once(tmp_path, fake):
    script = fake("x", "ok").argv[1]
    marker = tmp_path / "hanging.pid"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rocks.cli", "arena", "--quiet", "--games", "4",
         "--move-timeout", "120", "--out", str(tmp_path / "a"),
         "--engine", f"sleeper={sys.executable} {script} hang {marker}",
         "--engine", f"steady={sys.executable} {script} ok"],
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not marker.exists() or not marker.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 130
    assert "resume" in proc.stderr.read()
    hanging = int(marker.read_text())
    deadline = time.monotonic() + 10
    while _alive(hanging) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(hanging), "the hanging engine was killed with the arena"
    assert not (tmp_path / "a" / "results.csv").exists(), "no game finished"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:  # a zombie has exited already
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_the_ratings_plot_is_a_png(tmp_path):
    games = [stats.Outcome("a", "b", 1.0), stats.Outcome("b", "c", 0.0),
             stats.Outcome("a", "c", 0.5)] * 5
    path = arena.plot_ratings(stats.fit_ratings(games), tmp_path / "elo.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def fake_pachi(tmp_path: Path) -> Path:
    binary = tmp_path / "pachi"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return binary


def test_pachi_engines_come_from_the_given_binary_and_need_a_referee(tmp_path):
    binary = fake_pachi(tmp_path)
    spec = parse_engine("pachi:1000:2", pachi=str(binary))
    assert spec.name == "pachi-1000-t2" and spec.leaves_dead_stones
    assert spec.command(5) == [str(binary.resolve()), "-D", "-d", "0", "-s", "5", "-t", "=1000",
                               "threads=2"]
    assert dict(spec.env) == {"DATA_DIR": str(tmp_path.resolve())}
    assert parse_engine("pachi", pachi=str(binary)).name == "pachi-10000"
    other = EngineSpec("other", ("x",))
    with pytest.raises(ValueError, match="pachi-1000-t2 pass with dead stones"):
        ArenaConfig((spec, other), "out", scoring="tromp-taylor")
    config = ArenaConfig((spec, other), "out")
    saved = ArenaConfig.from_json(config.to_json())  # config.json keeps env and the flag
    assert saved == config
    game = schedule(config)[0]
    assert config.needs_referee(game)  # even when both engines name the same score
    plain = ArenaConfig((other, EngineSpec("more", ("y",))), "out")
    assert not plain.needs_referee(schedule(plain)[0])
    assert ArenaConfig((other, EngineSpec("more", ("y",))), "out", scoring="gnugo"
                       ).needs_referee(schedule(plain)[0])


def finished(reason: str, result: str, black_says: str | None, white_says: str | None):
    from rocks.engines.match import GameResult
    from rocks.go.sgf import GameRecord

    return GameResult("a", "b", None, result, reason, 0.0, black_says, white_says, 0,
                      (0.0, 0.0), "", GameRecord(size=9, komi=7.5))


def test_the_referee_takes_the_engines_agreed_count_and_leaves_other_endings_alone():
    agreed = finished("two passes", "B+10.5", "W+2.5", "W+2.5")
    assert arena.refereed_result(agreed, False, 5.0) == ("W+2.5", "both engines")
    resigned = finished("resign", "W+R", "B+3.5", "W+1.5")
    assert arena.refereed_result(resigned, True, 5.0) == ("W+R", "tromp-taylor")


def test_an_arena_written_before_engines_had_environments_still_resumes():
    old = ('{"engines": [{"name": "a", "argv": ["x"]}, {"name": "b", "argv": ["y"]}], '
           '"out_dir": "o"}')
    config = ArenaConfig.from_json(old)
    assert config.engines[0].env == () and not config.engines[0].leaves_dead_stones


def result_row(key: str, black: str, white: str, winner: str, reason: str = "score",
               moves: int = 80, result: str = "") -> dict[str, str]:
    return {"key": key, "black": black, "white": white, "winner": winner,
            "result": result or ("B+1.5" if winner == black else "W+1.5" if winner else "Void"),
            "reason": reason, "moves": str(moves)}


def test_a_gauntlet_scores_the_engine_against_its_opponent_by_colour():
    rows = [
        result_row("g0", "rocks", "gnugo-10", "rocks"),          # won as Black
        result_row("g1", "gnugo-10", "rocks", "gnugo-10"),       # lost as White
        result_row("g2", "rocks", "gnugo-10", "gnugo-10"),       # lost as Black
        result_row("g3", "gnugo-10", "rocks", "rocks", reason="resign"),  # won as White
        result_row("g4", "gnugo-10", "rocks", "gnugo-10", reason="engine died", moves=0),
        result_row("g5", "gnugo-10", "rocks", "rocks", reason="engine died", moves=31),
        result_row("g6", "rocks", "gnugo-10", "", result="0"),   # a draw (integer komi)
        result_row("g7", "rocks", "gnugo-10", "", reason="rules disagreement"),  # Void
    ]
    s = arena.gauntlet_score(rows, "gnugo-10")
    # g4 died before a move (load, not Go): left out; g5 died mid-game: a real win.
    assert (s.engine, s.games, s.wins, s.draws, s.forfeits_left_out) == ("rocks", 6, 3, 1, 1)
    assert s.score == pytest.approx(3.5 / 6)
    assert (s.lo, s.hi) == pytest.approx(stats.wilson_interval(3.5 / 6, 6))
    assert s.score_as_black == pytest.approx(1.5 / 3)  # g0 won, g2 lost, g6 drawn
    assert s.score_as_white == pytest.approx(2 / 3)    # g1 lost, g3 and g5 won


def test_a_gauntlet_score_needs_one_engine_against_the_opponent():
    with pytest.raises(ValueError, match="more than one engine"):
        arena.gauntlet_score([result_row("a", "x", "gnugo-10", "x"),
                              result_row("b", "y", "gnugo-10", "y")], "gnugo-10")
    with pytest.raises(ValueError, match="not pachi"):
        arena.gauntlet_score([result_row("a", "x", "gnugo-10", "x")], "pachi")
    empty = arena.gauntlet_score([], "gnugo-10")
    assert empty.games == 0 and math.isnan(empty.score) and (empty.lo, empty.hi) == (0.0, 1.0)

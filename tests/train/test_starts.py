"""Start positions: mined from lost games, saved as SGF, read back for self-play."""

from __future__ import annotations

import pytest

from rocks.configcli import config_from_args
from rocks.go import coords
from rocks.go.board import BLACK, WHITE
from rocks.go.sgf import GameRecord, save_sgf
from rocks.train.cli import data_main, train_parser
from rocks.train.starts import (
    MiningConfig,
    StartPositionError,
    load_start_positions,
    lost_by,
    mine_start_positions,
    save_start_positions,
)

# A 9x9 game of 30 moves along the first rows; only the move list matters here.
MOVES = tuple((BLACK if i % 2 == 0 else WHITE, i) for i in range(30))


def game(black: str, white: str, result: str, moves=MOVES) -> GameRecord:
    return GameRecord(size=9, moves=moves, result=result, black_player=black,
                      white_player=white)


def test_lost_by_reads_the_result_from_the_named_players_side():
    assert lost_by(game("rocks-gen_0010", "gnugo-10", "W+R"), "rocks")
    assert lost_by(game("gnugo-10", "rocks-gen_0010", "B+3.5"), "rocks")
    assert not lost_by(game("gnugo-10", "rocks-gen_0010", "W+3.5"), "rocks")
    assert not lost_by(game("rocks-a", "rocks-b", "W+R"), "rocks")  # both sides: unknown
    assert not lost_by(game("rocks-a", "gnugo-10", "0"), "rocks")  # a draw
    assert not lost_by(game("rocks-a", "gnugo-10", "W+R"), "pachi")


def test_mining_cuts_only_lost_games_inside_the_move_range():
    records = [game("rocks", "gnugo", "W+R"),   # lost: mined
               game("rocks", "gnugo", "B+R"),   # won: skipped
               game("gnugo", "rocks", "B+2.5"),  # lost as White: mined
               game("rocks", "gnugo", "W+R", MOVES[:12])]  # too short for the range
    cfg = MiningConfig(player="rocks", first_move=5, last_move=25, tail=10, per_game=3)
    mined = mine_start_positions(records, cfg)
    assert [g for g, _ in mined] == [0, 0, 0, 2, 2, 2]
    for _, moves in mined:
        assert 5 <= len(moves) <= 20  # 30 moves minus a tail of 10
        assert moves == tuple(m for _, m in MOVES[:len(moves)])
    lengths = [len(m) for g, m in mined if g == 0]
    assert len(set(lengths)) == 3  # distinct cuts
    # Seeded per record: the same records give the same cuts, appending keeps them.
    assert mine_start_positions(records + records, cfg)[:6] == mined


def test_mining_skips_games_with_setup_stones():
    handicap = GameRecord(size=9, black_setup=(20, 60), first_player=WHITE,
                          moves=tuple((WHITE if i % 2 == 0 else BLACK, i) for i in range(30)),
                          result="B+R", black_player="gnugo", white_player="rocks")
    assert mine_start_positions([handicap], MiningConfig(first_move=5, last_move=20)) == []


def test_saved_positions_load_back_in_name_order(tmp_path):
    starts = [(40, 41, 30), (coords.from_gtp("E5", 9),), ()]
    save_start_positions(starts, tmp_path, size=9)
    assert load_start_positions(tmp_path, 9) == tuple(tuple(s) for s in starts)


def test_unusable_start_folders_are_refused_with_the_reason(tmp_path):
    with pytest.raises(StartPositionError, match="not a folder"):
        load_start_positions(tmp_path / "missing", 9)
    with pytest.raises(StartPositionError, match="no \\*.sgf"):
        load_start_positions(tmp_path, 9)
    save_start_positions([(40,)], tmp_path, size=9)
    with pytest.raises(StartPositionError, match="9x9; self-play is 5x5"):
        load_start_positions(tmp_path, 5)
    (tmp_path / "start_000001.sgf").write_text("(;FF[4]SZ[9];B[zz")
    with pytest.raises(StartPositionError, match="start_000001.sgf"):
        load_start_positions(tmp_path, 9)
    (tmp_path / "start_000001.sgf").unlink()
    save_sgf(GameRecord(size=9, black_setup=(10,), moves=((WHITE, 40),)),
             tmp_path / "start_000002.sgf")
    with pytest.raises(StartPositionError, match="setup stones"):
        load_start_positions(tmp_path, 9)


def test_the_loop_command_takes_a_start_folder_and_fraction():
    args = train_parser().parse_args(["loop", "--start-positions", "starts",
                                      "--selfplay.start-fraction", "0.5"])
    cfg = config_from_args(args._config, args)
    assert cfg.start_positions == "starts" and cfg.selfplay.start_fraction == 0.5


def test_rocks_data_starts_mines_a_folder_and_skips_what_it_cannot_read(tmp_path, capsys):
    games = tmp_path / "games"
    games.mkdir()
    save_sgf(game("rocks-net", "gnugo-10", "W+R"), games / "lost.sgf")
    save_sgf(game("gnugo-10", "rocks-net", "W+R"), games / "won.sgf")
    (games / "broken.sgf").write_text("(;FF[4]SZ[9];B[")
    save_sgf(GameRecord(size=13, moves=MOVES, result="W+R", black_player="rocks-net"),
             games / "big.sgf")
    out = tmp_path / "starts"
    save_start_positions([(1,), (2,), (3,)], out, size=9)  # an earlier mining: replaced
    assert data_main(["starts", str(games), "--out", str(out), "--per-game", "2",
                      "--first-move", "5"]) == 0
    said = capsys.readouterr().out
    assert "4 SGF files (1 unreadable, 1 of another size), 1 lost by 'rocks'" in said
    assert len(load_start_positions(out, 9)) == 2
    rows = (out / "starts.csv").read_text().splitlines()
    assert rows[0] == "start,source,moves,player_colour" and len(rows) == 3
    assert all(r.endswith(",B") and "lost.sgf" in r for r in rows[1:])
    assert data_main(["starts", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "missing: no such file or folder" in capsys.readouterr().err

"""Specification of SGF reading and writing (rocks.go.sgf)."""

from __future__ import annotations

import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position, Rules
from rocks.go.sgf import GameRecord, SgfError, load_sgf, parse_rules, read_sgf, save_sgf, write_sgf


def gtp(v: str, size: int = 9) -> int:
    return coords.from_gtp(v, size)


GAME = """(;GM[1]FF[4]SZ[9]KM[6.5]RU[Chinese]PB[Alice]PW[Bob]DT[2026-11-25]RE[W+2.5]
C[a friendly game]
;B[ee]C[tengen];W[cc];B[gc];W[tt])"""


def test_reads_header_moves_and_comments():
    rec = read_sgf(GAME)
    assert (rec.size, rec.komi, rec.rules, rec.result) == (9, 6.5, "Chinese", "W+2.5")
    assert (rec.black_player, rec.white_player, rec.date) == ("Alice", "Bob", "2026-11-25")
    assert rec.moves == ((BLACK, gtp("E5")), (WHITE, gtp("C7")), (BLACK, gtp("G7")),
                         (WHITE, 81))
    assert rec.comments == ((0, "a friendly game"), (1, "tengen"))
    assert rec.rules_obj() == Rules()


def test_replay_yields_the_start_and_every_position():
    positions = read_sgf(GAME).positions()
    assert len(positions) == 5
    assert positions[0].board.sum() == 0
    assert positions[-1].board[gtp("E5")] == BLACK and positions[-1].passes == 1
    assert positions[-1].hash == Position.empty(9, 6.5).play_gtp("E5", "C7", "G7", "pass").hash


def test_round_trip_keeps_everything():
    rec = GameRecord(size=13, komi=0.5, rules="Tromp-Taylor", handicap=2,
                     black_setup=(gtp("K10", 13), gtp("D4", 13)), white_setup=(gtp("G7", 13),),
                     first_player=WHITE,
                     moves=((WHITE, gtp("C3", 13)), (BLACK, 169), (WHITE, gtp("N13", 13))),
                     result="B+R", black_player="X [the] one", white_player="Y\\Z",
                     date="2026-01-02", comments=((0, "root\nnote"), (2, "a pass")))
    again = read_sgf(write_sgf(rec))
    assert again == rec


def test_round_trip_of_a_played_out_random_game():
    from rocks.play.engine import Engine, EngineConfig
    from rocks.play.players import RandomPlayer

    engine = Engine(EngineConfig(size=7), RandomPlayer(seed=5))
    while not engine.is_game_over():
        engine.genmove(engine.position.to_play)
    rec = read_sgf(engine.to_sgf())
    assert rec.result == engine.result_string()
    assert rec.final_position().hash == engine.position.hash
    assert rec.moves == engine.position.moves


def test_handicap_without_moves_means_white_moves_first():
    rec = read_sgf("(;GM[1]SZ[9]HA[2]AB[cg][gc])")
    assert rec.first_player == WHITE and rec.handicap == 2
    assert rec.start().to_play == WHITE
    assert "PL" not in write_sgf(rec)
    assert read_sgf("(;GM[1]SZ[9]PL[W])").first_player == WHITE


def test_variations_keep_the_main_line():
    rec = read_sgf("(;GM[1]SZ[9];B[ee](;W[cc];B[gg])(;W[gc]))")
    assert rec.moves == ((BLACK, gtp("E5")), (WHITE, gtp("C7")), (BLACK, gtp("G3")))


def test_setup_stones_remove_with_ae_before_the_first_move():
    rec = read_sgf("(;GM[1]SZ[9]AB[aa][bb]AW[cc];AE[bb])")
    assert rec.black_setup == (gtp("A9"),) and rec.white_setup == (gtp("C7"),)


def test_compressed_point_lists_are_expanded_in_order_ab_aw_ae():
    rec = read_sgf("(;GM[1]SZ[9]AB[aa:cb][ee]AW[bb][ee]AE[ca];B[gg])")
    # aa:cb is the rectangle A9..C8; E5 is in AB and AW, so the later AW wins; AE clears C9.
    assert rec.black_setup == tuple(sorted(gtp(v) for v in ("A9", "B9", "A8", "C8")))
    assert rec.white_setup == tuple(sorted(gtp(v) for v in ("B8", "E5")))
    assert read_sgf("(;GM[1]SZ[9]AB[])").black_setup == ()  # an empty list
    for bad in ("AB[cb:aa]", "AB[aa:jj]", "AB[tt]", "AW[aa][]"):
        with pytest.raises(SgfError, match="setup stone off the board or malformed"):
            read_sgf(f"(;GM[1]SZ[9]{bad})")


def test_written_points_and_passes_are_raw_sgf_points():
    rec = read_sgf("(;GM[1]SZ[9]AB[ia][aa];B[cf];W[tt])")
    text = write_sgf(rec)
    assert "AB[aa][ia]" in text and ";B[cf]" in text and ";W[tt]" in text
    big = read_sgf("(;GM[1]SZ[21];B[tt];W[])")
    assert big.moves == ((BLACK, 19 * 21 + 19), (WHITE, 21 * 21))  # tt is a point beyond 19x19
    assert ";B[tt];W[]" in write_sgf(big)


def test_non_square_or_unknown_rules_are_handled():
    assert parse_rules("Japanese") == Rules(superko="none")
    assert parse_rules("NZ") == Rules(suicide=True)
    assert parse_rules("something else") is None
    assert parse_rules("rocks:suicide=yes,superko=none") == Rules(True, "none")
    rec = read_sgf("(;GM[1]SZ[5]RU[Tromp-Taylor];B[aa];W[ba];B[ab];W[bb];B[tt];W[ac])")
    # W A3 (= "ac") captures the two black stones A5, A4 under suicide-allowed rules.
    assert rec.final_position().captures == (0, 2)


@pytest.mark.parametrize("text, words", [
    ("this is not sgf", "not a readable SGF"),
    ("", "not a readable SGF"),
    ("(;GM[1]SZ[9];B[ee]", "not a readable SGF"),
    ("(;GM[2]SZ[9])", "GM[2] is not Go"),
    ("(;GM[1]SZ[1])", "unsupported board size"),
    ("(;GM[1]SZ[26])", "unsupported board size"),
    ("(;GM[1]SZ[30])", "not a readable SGF"),
    ("(;GM[1]SZ[9:13])", "not a readable SGF"),
    ("(;GM[1]SZ[9]KM[lots])", "KM is not a number"),
    ("(;GM[1]SZ[9]HA[two])", "HA is not a number"),
    ("(;GM[1]SZ[9];B[jj])", "move 1 is off the board or malformed: b'jj'"),
    ("(;GM[1]SZ[9];B[ee];W[z])", "move 2 is off the board or malformed: b'z'"),
    ("(;GM[1]SZ[9];B[ee];W[ee])", "move 2 (W E5) is illegal"),
    ("(;GM[1]SZ[9]AB[ee];W[ee])", "move 1 (W E5) is illegal"),
    ("(;GM[1]SZ[9];B[ee];AB[aa])", "setup stones after move 1"),
    ("(;GM[1]SZ[5]AB[ba][ab]AW[aa])", "bad setup stones"),
    ("(;GM[1]SZ[9]AB[zz])", "setup stone off the board or malformed before the first"),
    ("(;GM[1]SZ[9];B[aa];AB[zz])", "setup stone off the board or malformed after move 1"),
])
def test_malformed_sgf_gives_a_clear_error(text, words):
    with pytest.raises(SgfError) as info:
        read_sgf(text)
    assert words in str(info.value)


def test_suicide_in_a_record_is_illegal_unless_the_rules_allow_it():
    moves = ";B[ac];W[ab];B[bb];W[ee];B[ba];W[aa]"  # W A5 fills the last liberty of A4-A5
    with pytest.raises(SgfError, match=r"move 6 \(W A5\) is illegal.*suicide"):
        read_sgf(f"(;GM[1]SZ[5]{moves})")
    # Tromp-Taylor allows it: the two white stones are taken by their own move.
    end = read_sgf(f"(;GM[1]SZ[5]RU[Tromp-Taylor]{moves})").final_position()
    assert end.board[0] == 0 and end.board[5] == 0 and end.captures == (2, 0)


def test_files_are_written_atomically_and_read_back(tmp_path):
    rec = read_sgf(GAME)
    path = save_sgf(rec, tmp_path / "games" / "g.sgf")
    assert load_sgf(path) == rec
    assert [p.name for p in path.parent.iterdir()] == ["g.sgf"]


def test_missing_and_binary_files_give_sgf_errors(tmp_path):
    with pytest.raises(SgfError, match="cannot read"):
        load_sgf(tmp_path / "nope.sgf")
    junk = tmp_path / "junk.sgf"
    junk.write_bytes(bytes(range(256)))
    with pytest.raises(SgfError):
        load_sgf(junk)

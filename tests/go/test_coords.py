"""rocks.go.coords converts between every way of naming a point, as its docstring table says."""

import pytest

from rocks.go import coords
from rocks.go.coords import CoordinateError


def test_the_docstring_example_in_every_system():
    # 9x9, the point third from the left and fourth from the bottom.
    assert coords.to_flat(5, 2, 9) == 47
    assert coords.from_flat(47, 9) == (5, 2)
    assert coords.to_gtp(47, 9) == "C4"
    assert coords.from_gtp("C4", 9) == 47
    assert coords.to_sgf(47, 9) == "cf"
    assert coords.from_sgf("cf", 9) == 47


@pytest.mark.parametrize("size", [2, 5, 9, 13, 19, 25])
def test_corners_are_where_each_system_puts_them(size):
    n = size * size
    last = coords.GTP_COLUMNS[size - 1]
    # flat 0 is the top-left corner: row 0 is the top in flat and SGF, the bottom is 1 in GTP.
    assert coords.to_gtp(0, size) == f"A{size}" and coords.to_sgf(0, size) == "aa"
    assert coords.to_gtp(size - 1, size) == f"{last}{size}"
    assert coords.to_gtp(n - size, size) == "A1"
    assert coords.to_gtp(n - 1, size) == f"{last}1"
    bottom_right = chr(ord("a") + size - 1) * 2
    assert coords.to_sgf(n - 1, size) == bottom_right
    assert coords.from_sgf(bottom_right, size) == n - 1


def test_gtp_columns_skip_the_letter_i():
    assert "I" not in coords.GTP_COLUMNS and len(coords.GTP_COLUMNS) == coords.MAX_SIZE
    assert [coords.to_gtp(c, 9)[0] for c in range(9)] == list("ABCDEFGHJ")
    assert coords.to_gtp(8, 9) == "J9" and coords.from_gtp("J9", 9) == 8
    with pytest.raises(CoordinateError, match="'I5' is not a GTP vertex"):
        coords.from_gtp("I5", 9)


@pytest.mark.parametrize("size", range(2, 20))
def test_every_point_round_trips_through_every_system(size):
    for move in range(size * size):
        row, col = coords.from_flat(move, size)
        assert coords.to_flat(row, col, size) == move
        vertex = coords.to_gtp(move, size)
        assert coords.from_gtp(vertex, size) == move
        assert coords.from_gtp(vertex.lower(), size) == move
        assert coords.from_sgf(coords.to_sgf(move, size), size) == move


def test_pass_in_every_system():
    assert coords.pass_move(9) == 81 and coords.is_pass(81, 9) and not coords.is_pass(80, 9)
    assert coords.from_flat(81, 9) is None
    assert coords.to_gtp(81, 9) == "pass"
    assert coords.from_gtp("pass", 9) == coords.from_gtp(" PASS ", 9) == 81
    # SGF: "" is pass everywhere, "tt" only up to 19x19 (beyond, "tt" is a point).
    assert coords.from_sgf("", 9) == coords.from_sgf("tt", 9) == 81
    assert coords.from_sgf("tt", 19) == 361
    assert coords.from_sgf("tt", 20) == 19 * 20 + 19
    assert coords.from_sgf("", 20) == 400
    assert coords.to_sgf(361, 19) == "tt" and coords.to_sgf(400, 20) == ""


@pytest.mark.parametrize("call, words", [
    (lambda: coords.from_gtp("Z1", 9), "'Z1' is off a 9x9 board"),
    (lambda: coords.from_gtp("K1", 9), "'K1' is off a 9x9 board"),
    (lambda: coords.from_gtp("A10", 9), "'A10' is off a 9x9 board"),
    (lambda: coords.from_gtp("A0", 9), "'A0' is off a 9x9 board"),
    (lambda: coords.from_gtp("A", 9), "'A' is not a GTP vertex"),
    (lambda: coords.from_gtp("", 9), "'' is not a GTP vertex"),
    (lambda: coords.from_gtp("11", 9), "'11' is not a GTP vertex"),
    (lambda: coords.from_gtp("A-1", 9), "'A-1' is not a GTP vertex"),
    (lambda: coords.from_sgf("jj", 9), "SGF point 'jj' is off a 9x9 board"),
    (lambda: coords.from_sgf("zz", 25), "SGF point 'zz' is off a 25x25 board"),
    (lambda: coords.from_sgf("CF", 9), "'CF' is not an SGF point"),
    (lambda: coords.from_sgf("c1", 9), "'c1' is not an SGF point"),
    (lambda: coords.from_sgf("cfa", 9), "'cfa' is not an SGF point"),
    (lambda: coords.from_sgf("c", 9), "'c' is not an SGF point"),
    (lambda: coords.to_flat(9, 0, 9), "(row, col) = (9, 0) is off a 9x9 board"),
    (lambda: coords.to_flat(0, -1, 9), "(row, col) = (0, -1) is off a 9x9 board"),
    (lambda: coords.from_flat(82, 9), "flat index 82 is off a 9x9 board"),
    (lambda: coords.from_flat(-1, 9), "flat index -1 is off a 9x9 board"),
    (lambda: coords.to_gtp(82, 9), "flat index 82 is off a 9x9 board"),
    (lambda: coords.to_sgf(-1, 9), "flat index -1 is off a 9x9 board"),
])
def test_bad_input_raises_a_coordinate_error_naming_it(call, words):
    with pytest.raises(CoordinateError) as info:
        call()
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)  # callers that catch ValueError still do


@pytest.mark.parametrize("size", [0, 1, 26, -9, 9.0, "9", True, None])
def test_unsupported_board_sizes_are_refused(size):
    with pytest.raises(CoordinateError, match="board size must be an integer 2..25"):
        coords.check_size(size)


def test_supported_board_sizes_pass_through():
    assert [coords.check_size(s) for s in (2, 9, 19, 25)] == [2, 9, 19, 25]


@pytest.mark.parametrize("size", [2, 3, 9])
def test_neighbours_are_the_on_board_orthogonal_points(size):
    for move in range(size * size):
        row, col = coords.from_flat(move, size)
        expected = {coords.to_flat(r, c, size) for r, c in
                    ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1))
                    if 0 <= r < size and 0 <= c < size}
        got = coords.neighbours(move, size)
        assert len(got) == len(set(got)) and set(got) == expected
    assert sorted(coords.neighbours(0, size)) == [1, size]  # a corner has two

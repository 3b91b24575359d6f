"""Specification of ladder reading (rocks.go.ladders): which chains a ladder captures and which
moves start one, on boards where a Go player can check the answer by eye."""

import numpy as np
import pytest

from rocks.go import coords
from rocks.go import features as F
from rocks.go.board import BLACK, WHITE, Position
from rocks.go.ladders import LADDER_MOVES, OPP_LADDERED, OWN_LADDERED, ladder_planes

# White E5 has two liberties (F5, E4).  Black E4 starts a ladder that runs up and to the right,
# Black F5 one that runs down and to the left; on an empty board both reach the edge.
LADDER = """
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . X . . . .
    . . . X O . . . .
    . . . . . X . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
"""


def points(planes: np.ndarray, index: int, size: int = 9) -> list[str]:
    return sorted(coords.to_gtp(int(p), size) for p in np.flatnonzero(planes[index].ravel()))


def planes_of(text: str, to_play: int, **kw) -> np.ndarray:
    pos = Position.from_ascii(text, to_play=to_play)
    return ladder_planes(pos.board, to_play, pos.size, **kw)


def with_stone(text: str, vertex: str, colour: str) -> str:
    rows = [r.replace(" ", "") for r in text.strip().splitlines()]
    size = len(rows)
    row, col = coords.from_flat(coords.from_gtp(vertex, size), size)
    rows[row] = rows[row][:col] + colour + rows[row][col + 1:]
    return "\n".join(" ".join(r) for r in rows)


def test_both_ataris_of_a_working_ladder_capture_and_the_chain_is_marked():
    planes = planes_of(LADDER, BLACK)
    assert points(planes, LADDER_MOVES) == ["E4", "F5"]
    assert points(planes, OPP_LADDERED) == ["E5"]
    assert points(planes, OWN_LADDERED) == []  # Black's stones all have 4 liberties


def test_the_same_chain_seen_by_its_owner_is_own_laddered():
    planes = planes_of(LADDER, WHITE)
    assert points(planes, OWN_LADDERED) == ["E5"]
    assert points(planes, OPP_LADDERED) == []
    assert points(planes, LADDER_MOVES) == []  # no black chain has two liberties or fewer


def test_a_ladder_breaker_stops_the_ladder_that_runs_into_it():
    up_right = with_stone(LADDER, "G8", "O")
    planes = planes_of(up_right, BLACK)
    assert points(planes, LADDER_MOVES) == ["F5"]  # E4 drives White into G8
    assert points(planes, OPP_LADDERED) == ["E5"]  # still captured, by F5
    both = with_stone(up_right, "C3", "O")
    planes = planes_of(both, BLACK)
    assert points(planes, LADDER_MOVES) == [] and points(planes, OPP_LADDERED) == []


def test_a_stone_in_atari_that_cannot_run_is_laddered_and_one_that_can_is_not():
    atari = with_stone(LADDER, "E4", "X")  # White E5 in atari, White to move: F5 runs into it
    planes = planes_of(atari, WHITE)
    assert points(planes, OWN_LADDERED) == ["E5"]
    escaped = with_stone(with_stone(atari, "G8", "O"), "C3", "O")
    assert points(planes_of(escaped, WHITE), OWN_LADDERED) == []


def test_capturing_a_stone_that_is_itself_in_atari_is_an_escape():
    # White E5 is in atari (liberty F5), and Black D5 is in atari too (liberty C5): White
    # takes it and joins D6 and D4.  Without White D6 and D4 nothing is in atari but E5, and
    # the ladder works.
    text = """
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . O X . . . .
        . . . X O . . . .
        . . . O X X . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
    """
    assert points(planes_of(text, WHITE), OWN_LADDERED) == []
    alone = with_stone(with_stone(text, "D6", "."), "D4", ".")
    assert points(planes_of(alone, WHITE), OWN_LADDERED) == ["E5"]


def test_chains_with_three_liberties_are_never_marked():
    text = """
        . . . . .
        . X X . .
        . O O X .
        . . . . .
        . . . . .
    """
    planes = planes_of(text, BLACK)
    assert planes.sum() == 0


def test_a_reading_out_of_budget_counts_as_an_escape():
    assert planes_of(LADDER, BLACK, budget=1).sum() == 0
    assert planes_of(LADDER, BLACK, budget=200)[LADDER_MOVES].sum() == 2


def test_the_planes_turn_with_the_board():
    pos = Position.from_ascii(with_stone(LADDER, "G8", "O"), to_play=BLACK)
    planes = ladder_planes(pos.board, BLACK, 9)
    for k in range(F.NUM_SYMMETRIES):
        turned = F.transform_position(pos, k)
        assert np.array_equal(ladder_planes(turned.board, BLACK, 9),
                              F.transform_planes(planes, k))


def test_the_feature_set_with_ladders_is_the_base_set_then_the_ladder_planes():
    pos = Position.from_ascii(LADDER, to_play=BLACK)
    base = F.position_planes(pos)
    wide = F.position_planes(pos, planes=F.NUM_PLANES_LADDERS)
    assert base.shape[0] == F.NUM_PLANES == 19 and wide.shape[0] == F.NUM_PLANES_LADDERS == 22
    assert np.array_equal(wide[:F.NUM_PLANES], base)
    assert np.array_equal(wide[F.LADDER_PLANE:], ladder_planes(pos.board, BLACK, 9))
    # and appended afterwards to stored base planes (a shard from before), the same
    assert np.array_equal(F.add_ladder_planes(base[None])[0], wide)


def test_a_padded_canvas_gets_the_ladder_planes_in_its_corner():
    pos = Position.from_ascii(LADDER, to_play=BLACK)
    padded = F.batch_planes([pos], pad_to=13, planes=F.NUM_PLANES_LADDERS)[0]
    assert np.array_equal(padded[F.LADDER_PLANE:, :9, :9], ladder_planes(pos.board, BLACK, 9))
    assert padded[F.LADDER_PLANE:, 9:].sum() == 0 and padded[F.LADDER_PLANE:, :, 9:].sum() == 0
    assert np.array_equal(F.add_ladder_planes(padded[None][:, :F.NUM_PLANES])[0], padded)


def test_other_plane_counts_are_refused():
    pos = Position.empty(9)
    with pytest.raises(ValueError, match="input planes must be one of"):
        F.position_planes(pos, planes=20)

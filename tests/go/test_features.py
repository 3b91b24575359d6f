"""Specification of the network input planes and the board symmetries (rocks.go.features)."""

import numpy as np
import pytest

from rocks.go import coords
from rocks.go import features as F
from rocks.go.board import BLACK, WHITE, Position, chain_and_liberties


def plane(planes: np.ndarray, index: int) -> list[str]:
    """A plane drawn as rows of 1/0 digits, top row first (to compare with ASCII boards)."""
    return ["".join(str(int(v)) for v in row) for row in planes[index]]


def test_stone_planes_are_from_the_view_of_the_player_to_move():
    text = """
        X . .
        . O .
        . . .
    """
    black = F.position_planes(Position.from_ascii(text, to_play=BLACK))
    white = F.position_planes(Position.from_ascii(text, to_play=WHITE))
    assert plane(black, F.OWN) == ["100", "000", "000"]
    assert plane(black, F.OPP) == ["000", "010", "000"]
    assert plane(black, F.EMPTY_PLANE) == ["011", "101", "111"]
    assert plane(white, F.OWN) == plane(black, F.OPP)
    assert plane(white, F.OPP) == plane(black, F.OWN)
    assert black[F.COLOUR_PLANE].min() == 1.0 and white[F.COLOUR_PLANE].max() == 0.0


def test_liberty_planes_on_an_exact_board():
    pos = Position.from_ascii("""
        X O . . .
        . O . . .
        O . . . .
        . . . X X
        . . . X .
    """)
    planes = F.position_planes(pos)  # Black to move
    assert plane(planes, F.LIBERTY_PLANE + 0) == ["10000", "00000", "00000", "00000", "00000"]
    assert plane(planes, F.LIBERTY_PLANE + 1) == ["00000"] * 5
    assert plane(planes, F.LIBERTY_PLANE + 2) == ["00000", "00000", "00000", "00011", "00010"]
    # White: B5-B4 has C5, C4, B3, A4 (4 libs); A3 has A4, B3, A2 (3 libs): both "3+".
    assert plane(planes, F.LIBERTY_PLANE + 3) == ["00000"] * 5
    assert plane(planes, F.LIBERTY_PLANE + 4) == ["00000"] * 5
    assert plane(planes, F.LIBERTY_PLANE + 5) == ["01000", "01000", "10000", "00000", "00000"]


def test_chain_liberties_agrees_with_the_plain_rules_on_random_games():
    rng = np.random.default_rng(3)
    for size in (5, 9):
        pos = Position.empty(size)
        for _ in range(size * size * 2):
            legal = np.flatnonzero(pos.legal_moves()[:-1])
            if len(legal) == 0:
                break
            pos = pos.play(int(rng.choice(legal)))
            libs = F.chain_liberties(pos.board, size)
            for p in np.flatnonzero(pos.board):
                assert libs[p] == len(chain_and_liberties(pos.board, size, int(p))[1])
            assert not libs[pos.board == 0].any()


def test_ko_plane_marks_the_point_that_may_not_be_retaken():
    pos = Position.from_ascii("""
        . X O . .
        X . X O .
        . X O . .
        . . . . .
        . . . . .
    """, to_play=WHITE)
    after = pos.play_gtp("B4")  # White captures C4, taking the ko
    assert after.ko == coords.from_gtp("C4", 5)
    planes = F.position_planes(after)
    assert plane(planes, F.KO_PLANE) == ["00000", "00100", "00000", "00000", "00000"]
    assert not F.position_planes(pos)[F.KO_PLANE].any()


def test_history_planes_show_earlier_boards_and_are_zero_before_the_game():
    pos = Position.empty(3).play_gtp("A1", "C3")  # Black A1, White C3; Black to move
    planes = F.position_planes(pos)
    h = F.HISTORY
    assert plane(planes, 3) == ["000", "000", "100"]  # own (Black) stones 1 board ago
    assert plane(planes, 4) == ["000"] * 3  # White had nothing 1 board ago
    assert plane(planes, 5) == ["000"] * 3 and plane(planes, 6) == ["000"] * 3  # 2 ago: empty
    assert not planes[3 + 2 * 2:3 + 2 * h].any()  # before the first move: zeros


def test_a_pass_shows_as_a_repeated_board_in_history():
    pos = Position.empty(3).play_gtp("B2", "pass")  # Black to move again
    planes = F.position_planes(pos)
    assert plane(planes, 3) == plane(planes, F.OWN) == ["000", "010", "000"]


def test_komi_plane_favours_the_side_that_receives_komi():
    black = F.position_planes(Position.empty(5, komi=7.5))
    white = F.position_planes(Position.empty(5, komi=7.5).play_gtp("pass"))
    assert black[F.KOMI_PLANE, 0, 0] == pytest.approx(-0.5)
    assert white[F.KOMI_PLANE, 0, 0] == pytest.approx(0.5)


def test_padding_puts_the_board_top_left_and_zeros_elsewhere():
    pos = Position.empty(5).play_gtp("C3")
    planes = F.position_planes(pos, pad_to=7)
    assert planes.shape == (F.NUM_PLANES, 7, 7)
    assert planes[F.MASK_PLANE].sum() == 25 and planes[F.MASK_PLANE, :5, :5].all()
    assert not planes[:, 5:, :].any() and not planes[:, :, 5:].any()
    np.testing.assert_array_equal(planes[:, :5, :5], F.position_planes(pos))


def test_plain_arrays_give_the_same_planes_as_a_position():
    pos = Position.empty(5).play_gtp("C3", "D3", "B2", "pass", "E5")
    boards = F.history_boards(pos)
    assert boards.shape == (F.HISTORY + 1, 25)
    from_arrays = F.planes_from_arrays(boards, pos.to_play, pos.ko, pos.komi, 5)
    np.testing.assert_array_equal(from_arrays, F.position_planes(pos))


def test_the_fast_board_and_its_own_history_give_the_same_planes_as_a_position():
    from rocks.go.fast import FastBoard

    moves = ["C3", "D3", "D4", "C4", "B4", "pass", "E4"]
    fast = FastBoard.empty(5, komi=6.5)
    history = [fast.board.copy()]
    for v in moves:
        fast.play_gtp(v)
        history.insert(0, fast.board.copy())
    boards = np.stack(history[:F.HISTORY + 1])
    pos = Position.empty(5, komi=6.5).play_gtp(*moves)
    np.testing.assert_array_equal(
        F.planes_from_arrays(boards, fast.to_play, fast.ko, fast.komi, 5), F.position_planes(pos))
    out = np.zeros((F.NUM_PLANES, 5, 5), np.float32)
    F.encode_into(boards, F.HISTORY, fast.to_play, -1 if fast.ko is None else fast.ko,
                  fast.komi, 5, out)
    np.testing.assert_array_equal(out, F.position_planes(pos))


def test_batch_planes_pads_mixed_sizes_to_the_largest():
    out = F.batch_planes([Position.empty(5), Position.empty(9)])
    assert out.shape == (2, F.NUM_PLANES, 9, 9)
    assert out[0, F.MASK_PLANE].sum() == 25 and out[1, F.MASK_PLANE].sum() == 81


def test_bad_arrays_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="boards must be"):
        F.planes_from_arrays(np.zeros((2, 24), np.int8), BLACK, None, 7.5, 5)
    with pytest.raises(ValueError, match="to_play"):
        F.planes_from_arrays(np.zeros(25, np.int8), 0, None, 7.5, 5)
    with pytest.raises(ValueError, match="ko point"):
        F.planes_from_arrays(np.zeros(25, np.int8), BLACK, 25, 7.5, 5)
    with pytest.raises(ValueError, match="pad_to"):
        F.planes_from_arrays(np.zeros(25, np.int8), BLACK, None, 7.5, 5, pad_to=4)


# ----------------------------------------------------------------------------- symmetries
@pytest.mark.parametrize("k", range(8))
def test_a_symmetry_then_its_inverse_is_the_identity(k):
    rng = np.random.default_rng(k)
    planes = rng.random((F.NUM_PLANES, 7, 7)).astype(np.float32)
    back = F.transform_planes(F.transform_planes(planes, k), F.inverse(k))
    np.testing.assert_array_equal(back, planes)
    policy = rng.random(50).astype(np.float32)
    moved = F.transform_policy(policy, k, 7)
    assert moved[-1] == policy[-1]  # pass is fixed
    np.testing.assert_array_equal(F.transform_policy(moved, F.inverse(k), 7), policy)


def test_the_eight_symmetries_are_distinct_and_rotate_counter_clockwise():
    grid = np.arange(9).reshape(3, 3)
    images = {F.transform_planes(grid, k).tobytes() for k in range(8)}
    assert len(images) == 8
    corner = coords.from_gtp("A3", 3)  # top-left
    assert coords.to_gtp(F.transform_move(corner, 1, 3), 3) == "A1"  # rot90 ccw: to bottom-left
    assert coords.to_gtp(F.transform_move(corner, 4, 3), 3) == "A3"  # transpose keeps it
    assert F.transform_move(9, 5, 3) == 9  # pass stays pass


@pytest.mark.parametrize("k", range(8))
def test_a_one_hot_policy_moves_with_its_point(k):
    size = 5
    for move in (0, 3, 7, 24, 25):
        one_hot = np.zeros(size * size + 1)
        one_hot[move] = 1
        moved = F.transform_policy(one_hot, k, size)
        assert moved.argmax() == F.transform_move(move, k, size)
        # a plane with the point set moves to the same place
        if move < size * size:
            grid = one_hot[:-1].reshape(size, size)
            assert F.transform_planes(grid, k).ravel().argmax() == F.transform_move(move, k, size)


@pytest.mark.parametrize("k", range(8))
def test_features_of_a_transformed_position_are_the_transformed_features(k):
    # A game with a capture and a ko, so every kind of plane is non-trivial.
    pos = Position.from_ascii("""
        . X O . .
        X . X O .
        . X O . .
        . . . . .
        . . . . .
    """, to_play=WHITE, komi=6.5).play_gtp("E1", "D1", "B4")
    assert pos.ko is not None and pos.captures == (0, 1)
    moved = F.transform_position(pos, k)
    np.testing.assert_array_equal(F.position_planes(moved),
                                  F.transform_planes(F.position_planes(pos), k))

"""Random playouts (rocks.go.playout): legal moves only, eyes kept, deterministic per seed."""

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position, Rules
from rocks.go.fast import MOVES, PASSES, FastBoard, copy_state, rebuild_chains
from rocks.go.playout import pick_move, playout_scores, random_playout, run_playout, seed_rng


def test_every_random_move_is_legal_and_no_own_eye_and_passes_only_when_stuck() -> None:
    moves = 0
    for size, rules in ((5, Rules()), (7, Rules(suicide=True, superko="none")), (9, Rules())):
        pos = Position.empty(size, komi=7.5, rules=rules)
        fast = FastBoard.from_position(pos)
        rng = seed_rng(size)
        n = size * size
        while not pos.is_game_over() and pos.move_number < 3 * n:
            move = int(pick_move(fast.state, fast.to_play, rng))
            choices = [int(p) for p in np.flatnonzero(pos.board == 0)
                       if pos.is_legal(int(p)) and not pos.is_eye(int(p))]
            if move < 0:
                # Playouts never play suicide, so only suicides may be left.
                assert all(pos.play(p).board[p] == 0 for p in choices)
                move = n
            else:
                reason = pos.illegal_reason(move)
                if reason is not None:
                    assert "superko" in reason  # playouts check simple ko only
                    break
                assert move in choices
                assert pos.play(move).board[move] == pos.to_play  # never suicide
            pos = pos.play(move)
            fast.play(move)
            moves += 1
    assert moves > 150


def test_playouts_are_deterministic_per_seed_and_leave_the_state_unchanged() -> None:
    fast = FastBoard.empty(9)
    fast.play_gtp("E5", "C3")
    before = copy_state(fast.state)
    a = playout_scores(fast.state, 50, 7, 243)
    b = playout_scores(fast.state, 50, 7, 243)
    c = playout_scores(fast.state, 50, 8, 243)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert random_playout(fast.state, 3) == random_playout(fast.state, 3)
    for name in ("board", "libs", "empty", "meta", "zhash", "hist"):
        assert np.array_equal(getattr(fast.state, name), getattr(before, name))


@pytest.mark.parametrize("size", [2, 3, 5, 7, 9, 13, 19])
def test_a_playout_ends_in_a_scored_final_position(size: int) -> None:
    fast = FastBoard.empty(size, komi=0.5)
    n = size * size
    mark = np.empty(n, np.int32)
    stack = np.empty(n, np.int32)
    for seed in range(5):
        work = copy_state(fast.state)
        score = run_playout(work, seed_rng(seed), 3 * n, mark, stack)
        board = work.board[:n].copy()
        # The incremental chains agree with chains rebuilt from the final stones.
        again = copy_state(work)
        rebuild_chains(again)
        assert again.zhash[0] == work.zhash[0]
        final = Position.setup(size, 0.5, black=np.flatnonzero(board == BLACK),
                               white=np.flatnonzero(board == WHITE))
        assert score == final.score()
        assert abs(score) <= n + 0.5
        assert work.meta[PASSES] == 2 or work.meta[MOVES] == 3 * n


def test_living_eyes_are_never_filled() -> None:
    # Black's group has two eyes, A5 and C5; everything else is Black's or filled.
    pos = Position.from_ascii("""
        . X . X O
        X X X X O
        O O O O O
        O . O . O
        O O O O O
    """, komi=0.5, to_play=BLACK)
    fast = FastBoard.from_position(pos)
    # Black may only fill White's eyes (suicide) or its own: it passes, so does White.
    scores = playout_scores(fast.state, 20, 1, 75)
    assert np.all(scores == pos.score())


def test_first_move_is_uniform_over_the_choices() -> None:
    fast = FastBoard.from_position(Position.from_ascii("""
        . . . X O
        X X X X O
        O O O O O
        O . O . O
        O O O O O
    """, to_play=BLACK))
    counts = np.zeros(26, int)
    rng = seed_rng(0)
    for _ in range(3000):
        work = copy_state(fast.state)
        counts[pick_move(work, BLACK, rng)] += 1
    a5, b5, c5 = (coords.from_gtp(v, 5) for v in ("A5", "B5", "C5"))
    assert counts.sum() == counts[[a5, b5, c5]].sum() == 3000
    assert counts[[a5, b5, c5]].min() > 850  # each ~1000


def test_ko_point_is_not_retaken_at_once() -> None:
    pos = Position.from_ascii("""
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
    """, to_play=BLACK).play_gtp("C4")  # Black takes B4: White may not retake at once
    fast = FastBoard.from_position(pos)
    b4 = coords.from_gtp("B4", 5)
    rng = seed_rng(1)
    for _ in range(500):
        assert pick_move(copy_state(fast.state), WHITE, rng) != b4


def test_a_won_position_scores_as_won() -> None:
    # White may play nowhere (every point is suicide) and Black will not fill its eyes.
    pos = Position.from_ascii("""
        . X . X .
        X X X X X
        . X . X .
        X X X X X
        . X . X .
    """, komi=7.5, to_play=WHITE)
    fast = FastBoard.from_position(pos)
    assert np.all(playout_scores(fast.state, 50, 2, 75) == 25 - 7.5)

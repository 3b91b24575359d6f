"""The search's child-position kernel gives exactly what Position.play gives."""

import numpy as np
import pytest

from rocks.go.board import IllegalMove, Position, Rules
from rocks.go.fast import Stepper


def same(a: Position, b: Position) -> bool:
    return (np.array_equal(a.board, b.board) and a.hash == b.hash and a.ko == b.ko
            and a.captures == b.captures and a.history == b.history and a.moves == b.moves
            and a.to_play == b.to_play and a.passes == b.passes and b.previous is not None)


@pytest.mark.parametrize("rules", [Rules(), Rules(suicide=True), Rules(superko="none")])
@pytest.mark.parametrize("size", [3, 5])
def test_every_move_of_random_games_agrees_with_position_play(rules, size):
    rng = np.random.default_rng(size)
    step = Stepper(size)
    n = size * size
    for _ in range(3):
        pos = Position.empty(size, 0.5, rules)
        for _ in range(3 * n):
            if pos.is_game_over():
                break
            for m in [int(m) for m in np.flatnonzero(pos.board == 0) if m != pos.ko] + [n]:
                try:
                    expected = pos.play(m)
                except IllegalMove:
                    with pytest.raises(IllegalMove):
                        step(pos, m)
                    continue
                assert same(expected, step(pos, m))
            legal = [m for m in np.flatnonzero(pos.legal_moves()[:n])]
            m = int(rng.choice(legal)) if legal and rng.random() < 0.9 else n
            pos = step(pos, m)


def test_ko_and_captures_in_a_drawn_example():
    pos = Position.from_ascii("""
        . X O .
        X O . O
        . X O .
        . . . .
    """)
    after = Stepper(4)(pos, 6)  # C3 takes the white stone at B3 and makes a ko at B3
    assert after.captures == (1, 0) and after.ko == 5
    with pytest.raises(IllegalMove):
        Stepper(4)(after, 5)  # the immediate retake is the plain rules' business: still refused

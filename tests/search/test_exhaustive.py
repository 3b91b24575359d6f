"""Specification of exhaustive search: tic-tac-toe counted and solved, tiny Go endgames solved."""

from rocks.go.board import WHITE, Position
from rocks.search.exhaustive import (
    TicTacToe,
    TinyGo,
    count_games,
    count_states,
    solve,
    solve_value,
)


def test_tic_tac_toe_has_255168_complete_games():
    assert count_games(TicTacToe()) == 255_168


def test_tic_tac_toe_has_5478_positions():
    assert count_states(TicTacToe()) == 5478


def test_tic_tac_toe_is_a_draw_and_every_opening_move_keeps_the_draw():
    sol = solve(TicTacToe())
    assert sol.value == 0.0
    assert sorted(sol.best_moves) == list(range(9))
    assert solve_value(TicTacToe()) == 0.0


def test_tic_tac_toe_finds_the_only_move_that_stops_a_line():
    game = TicTacToe()
    # X . .
    # . O .
    # X . .   O to play must take the left middle cell (3) or lose
    state = (1, 0, 0, 0, -1, 0, 1, 0, 0)
    sol = solve(game, state)
    assert sol.best_moves == (3,)
    assert sol.value == 0.0


def test_tic_tac_toe_win_is_seen_as_a_win():
    game = TicTacToe()
    state = (1, 1, 0, -1, -1, 0, 0, 0, 0)  # X to play completes the top row
    assert solve(game, state).value == 1.0
    assert solve(game, state).best_moves == (2,)
    assert solve_value(game, state) == 1.0


def test_tiny_go_values_a_finished_game_by_tromp_taylor_for_the_player_to_move():
    # (Whole 2x2 Go is not cheap here: with positional superko the earlier boards are part of
    # the state, and its tree is far too large for a test.)
    pos = Position.from_ascii("""
        X .
        . X
    """, komi=0.5, to_play=WHITE).play(4).play(4)  # White passes, Black passes: game over
    game = TinyGo(2, komi=0.5)
    assert pos.to_play == WHITE
    assert solve(game, pos).value == -3.5  # Black owns all 4 points; bad news for White
    assert count_games(game, pos) == 1


def test_alpha_beta_agrees_with_full_minimax_on_hundreds_of_tic_tac_toe_positions():
    game = TicTacToe()
    seen: set = set()
    stack = [game.initial()]
    positions = []
    while stack:
        s = stack.pop()
        if s in seen:
            continue
        seen.add(s)
        if game.terminal_value(s) is None:
            positions.append(s)
            stack.extend(game.play(s, m) for m in game.legal_moves(s))
    for s in positions[::7]:  # every 7th of the 4,520 live positions
        assert solve_value(game, s) == solve(game, s).value

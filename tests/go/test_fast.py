"""The fast board (rocks.go.fast) plays exactly the rules of the plain Position.

Random games are played on both at once; after every move the two must agree on the stones,
the hash, the captures, the ko point, the legal moves, the eyes and the score.
"""

from collections import Counter

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove, Position, Rules
from rocks.go.fast import OFF, FastBoard, State, geometry, in_atari, rebuild_chains

ALL_RULES = [Rules(suicide=s, superko=k) for s in (False, True) for k in ("positional", "none")]


def assert_same(fast: FastBoard, pos: Position) -> None:
    assert np.array_equal(fast.board, pos.board)
    assert fast.hash == pos.hash
    assert fast.to_play == pos.to_play
    assert fast.ko == pos.ko
    assert fast.passes == pos.passes
    assert fast.captures == pos.captures
    assert fast.score() == pos.score()


def assert_consistent(fast: FastBoard) -> None:
    """The incremental chains equal chains rebuilt from the stones alone."""
    s = fast.state
    again = fast.copy().state
    rebuild_chains(again)
    assert again.zhash[0] == s.zhash[0]
    n = fast.size * fast.size
    stones = np.flatnonzero(s.board[:n] != 0)
    for p in stones:
        r, r2 = s.root[p], again.root[p]
        assert s.libs[r] == again.libs[r2]
        assert s.lsum[r] == again.lsum[r2]
        assert s.stones[r] == again.stones[r2]
        assert s.chash[r] == again.chash[r2]
    assert sorted(s.empty[: s.meta[5]]) == list(np.flatnonzero(s.board[:n] == 0))


def random_game(size: int, rules: Rules, seed: int, every: int, stats: Counter,
                max_moves: int | None = None) -> None:
    """Play a random game on both boards; compare everything each ``every`` moves."""
    rng = np.random.default_rng(seed)
    pos = Position.empty(size, komi=0.5 + seed % 3, rules=rules)
    fast = FastBoard.from_position(pos)
    n = size * size
    max_moves = max_moves or 3 * n
    for i in range(max_moves):
        check = i % every == 0
        mask = pos.legal_moves() if check else None
        if check:
            assert np.array_equal(fast.legal_mask(), mask)
            for p in np.flatnonzero(pos.board == 0):
                for colour in (BLACK, WHITE):
                    assert fast.is_eye(int(p), colour) == pos.is_eye(int(p), colour)
                reason = pos.illegal_reason(int(p))
                if reason:
                    stats[reason.split(":")[0].split()[0]] += 1
        candidates = [p for p in np.flatnonzero(pos.board == 0) if not pos.is_eye(int(p))]
        rng.shuffle(candidates)
        move = next((int(p) for p in candidates if pos.is_legal(int(p))), n)
        if rng.random() < 0.03:
            move = n
        pos = pos.play(move)
        fast.play(move)
        if check:
            assert_same(fast, pos)
        if pos.is_game_over():
            break
    assert_same(fast, pos)
    assert_consistent(fast)
    back = fast.to_position()
    assert back.history == pos.history and back.moves == pos.moves
    stats["black captured"] += pos.captures[0]
    stats["games"] += 1


@pytest.mark.parametrize("rules", ALL_RULES, ids=lambda r: f"suicide={r.suicide}-{r.superko}")
def test_random_games_agree_on_small_boards(rules: Rules) -> None:
    stats: Counter = Counter()
    for seed in range(40):
        random_game(size=2 + seed % 6, rules=rules, seed=seed, every=1, stats=stats)
    # The games must have exercised the rules they are meant to check.
    assert stats["black captured"] > 50
    assert stats["ko"] > 0
    if not rules.suicide:
        assert stats["suicide"] > 0
    if rules.superko == "positional":
        assert stats["positional"] > 0


@pytest.mark.parametrize("size", [9, 13, 19])
def test_random_games_agree_on_larger_boards(size: int) -> None:
    stats: Counter = Counter()
    for seed, rules in enumerate(ALL_RULES[:2]):
        random_game(size, rules, seed=100 + seed, every=1 if size == 9 else 7, stats=stats,
                    max_moves=None if size == 9 else 2 * size * size)
    assert stats["black captured"] > 0


def test_illegal_moves_raise_and_change_nothing() -> None:
    fast = FastBoard.from_position(Position.from_ascii("""
        . O . . .
        O . . . .
        . . . . .
        . . . . .
        . . . . .
    """))
    before = fast.copy()
    for move, rule in (("A5", "suicide"), ("B5", "occupied")):
        with pytest.raises(IllegalMove, match=rule):
            fast.play(coords.from_gtp(move, 5))
    with pytest.raises(IllegalMove, match="not a point"):
        fast.play(26)
    assert fast.hash == before.hash and np.array_equal(fast.board, before.board)
    assert fast.move_number == 0


def test_copy_is_independent() -> None:
    fast = FastBoard.empty(5)
    twin = fast.copy()
    twin.play_gtp("C3")
    assert fast.board.sum() == 0 and twin.board.sum() == 1
    assert fast.hash == 0 and twin.hash != 0


def test_from_position_carries_history_captures_and_ko() -> None:
    pos = Position.from_ascii("""
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
    """, to_play=BLACK).play_gtp("C4")  # black takes B4: a ko
    assert pos.ko == coords.from_gtp("B4", 5) and pos.captures == (1, 0)
    fast = FastBoard.from_position(pos)
    assert_same(fast, pos)
    back = fast.to_position()
    assert back.history == pos.history and back.moves == pos.moves
    with pytest.raises(IllegalMove, match="ko"):
        fast.play_gtp("B4")
    for move in ("E1", "E2", "B4"):  # white may retake after a move elsewhere
        pos = pos.play_gtp(move)
        fast.play_gtp(move)
        assert_same(fast, pos)


def test_atari_is_exact_with_pseudo_liberties() -> None:
    # C4 touches the white chain twice: two pseudo-liberties, one real liberty.
    text = """
        . X X . .
        X O . X .
        {a} O O X .
        . X X . .
        . . . . .
    """
    b4 = coords.from_gtp("B4", 5)
    fast = FastBoard.from_position(Position.from_ascii(text.format(a="X")))
    assert fast.state.libs[fast.state.root[b4]] == 2
    assert in_atari(fast.state, fast.state.root[b4])
    fast.play_gtp("C4")
    assert fast.captures == (3, 0)
    fast = FastBoard.from_position(Position.from_ascii(text.format(a=".")))
    assert not in_atari(fast.state, fast.state.root[b4])


def test_state_is_a_named_tuple_of_arrays() -> None:
    fast = FastBoard.empty(7, komi=6.5, rules=Rules(suicide=True, superko="none"))
    s = fast.state
    assert isinstance(s, State)
    assert (s.size, s.komi, s.suicide, s.superko) == (7, 6.5, True, False)
    assert s.board.shape == (50,) and fast.board.shape == (49,)


@pytest.mark.parametrize("size", [2, 3, 9])
def test_the_one_neighbour_table_marks_off_board_points_with_the_sentinel_n(size: int) -> None:
    n = size * size
    nbr, diag = geometry(size)
    assert nbr.shape == diag.shape == (4 * n,) and nbr.dtype == np.int32
    for p in range(n):
        # k = up, down, left, right; the on-board ones are exactly coords.neighbours
        got = nbr[4 * p: 4 * p + 4]
        assert sorted(q for q in got if q != n) == sorted(coords.neighbours(p, size))
        r, c = divmod(p, size)
        assert [q == n for q in got] == [r == 0, r == size - 1, c == 0, c == size - 1]
    corner = diag[0:4]  # the top-left corner: only the down-right diagonal is on the board
    assert list(corner) == [n, n, n, size + 1]
    s = FastBoard.empty(size).state
    assert len(s.board) == n + 1 and s.board[n] == OFF  # what the sentinel index reads


def test_history_grows_past_its_first_room_in_a_long_ko_fight() -> None:
    # Without superko a ko can be fought forever (passes lift the ko ban); every take adds a
    # board to the history, well past the 4*N boards the FastBoard first makes room for.
    pos = Position.from_ascii("""
        . X O .
        X O . O
        . X O .
        . . . .
    """, rules=Rules(superko="none"))
    fast = FastBoard.from_position(pos)
    room = len(fast.state.hist)
    for _ in range(60):
        for v in ("C3", "pass", "pass", "B3", "pass", "pass"):
            pos = pos.play_gtp(v)
            fast.play_gtp(v)
    assert len(fast.state.hist) > room
    assert_same(fast, pos)
    assert fast.to_position().history == pos.history
    assert fast.captures == (60, 60)


def test_superko_stays_exact_while_the_history_grows() -> None:
    rng = np.random.default_rng(5)
    pos = Position.empty(5, rules=Rules(suicide=True))
    fast = FastBoard.from_position(pos)
    s = fast.state
    fast.state = s._replace(hist=np.zeros(1, np.uint64), hset=np.zeros(64, np.uint64))
    for _ in range(120):
        mask = pos.legal_moves()
        assert np.array_equal(fast.legal_mask(), mask)
        move = int(rng.choice(np.flatnonzero(mask[:-1]))) if mask[:-1].any() else 25
        pos = pos.play(move)
        fast.play(move)
    assert len(fast.state.hist) > 32  # grew five times
    assert fast.to_position().history == pos.history

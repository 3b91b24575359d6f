"""Cross-check of rocks' rules (rocks.go.board) against GNU Go 3.8, move by move over GTP.

Random games (uniformly random legal moves by rocks' rules, eye filling and suicide included,
an occasional pass) are played through rocks' Position and through GNU Go
(``--chinese-rules --positional-superko`` with ``--forbid-suicide`` or ``--allow-all-suicide``).
After every move both must agree on the stones (``list_stones``), the capture counts
(``captures``) and the legality of a sample of points for the player to move (``is_legal``;
every empty point on the tiny boards, where ko and superko come up most).

Known difference, found by this test and asserted as such: with suicide allowed, GNU Go does
not apply positional superko to suicides.  A suicide that recreates an earlier board is legal in
GNU Go and illegal in rocks; most are single-stone suicides, which leave the board unchanged
(GNU Go then counts the stone as captured by the opponent), a few are multi-stone suicides that
undo the mover's last stones.  Without suicide the two agree on every point sampled.
One run of SCHEDULE (740 games, 500 of them on 5x5..19x19), per suicide setting:
  forbid: 12,995 moves, 1,347 with captures; sampled points: 2,729 suicides, 65 ko, 65 superko,
          all agreeing.
  allow:  13,207 moves, 1,098 with captures, 358 suicides played; 64 ko and 81 superko points
          agreeing, 1,818 suicides repeating a position (the known difference).

Speed: each game is sent to GNU Go as one batch of commands (rocks alone chooses the moves, so
nothing waits for GNU Go's answers), one long-lived GNU Go per suicide setting.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

import numpy as np
import pytest

from rocks.engines.commands import gnugo_command
from rocks.engines.gtp_client import GtpClient
from rocks.go import coords
from rocks.go.board import BLACK, Position, Rules
from rocks.play.engine import fixed_handicap_points, max_fixed_handicap

pytestmark = pytest.mark.gnugo

# (board size, games, move cap) per suicide setting: 250 games on 5..19 each, so 500 in all,
# plus tiny boards where superko is common.
SCHEDULE = [(5, 110, 40), (7, 70, 45), (9, 45, 45), (13, 15, 45), (19, 10, 45),
            (2, 40, 20), (3, 30, 30), (4, 30, 40)]
PASS_PROBABILITY = 0.03
SAMPLE = 4  # points whose legality is compared after each move (all points up to 4x4)


@pytest.fixture(scope="module", params=[False, True], ids=["forbid-suicide", "allow-suicide"])
def gnugo_rules(request, gnugo):
    suicide = request.param
    argv = gnugo_command(level=1, suicide=suicide, path=gnugo, capture_all_dead=False)
    with GtpClient(argv, name="gnugo", timeout_s=60) as client:
        yield client, Rules(suicide=suicide)


def is_suicide(pos: Position, move: int) -> bool:
    """True if ``move`` removes the mover's own stones (it would be legal but for superko)."""
    loose = dataclasses.replace(pos, rules=Rules(suicide=True, superko="none"), _legal_cache={})
    if move == pos.pass_move or loose.illegal_reason(move) is not None:
        return False
    return loose.play(move).board[move] == 0


def stones(text: str, size: int) -> list[int]:
    return sorted(coords.from_gtp(v, size) for v in text.split())


def random_game(rng: random.Random, size: int, cap: int, rules: Rules):
    """Positions and sampled points of one random game: [(position after move, points)]."""
    pos = Position.empty(size, 7.5, rules)
    out = []
    for _ in range(cap):
        empties = [int(p) for p in np.flatnonzero(pos.board == 0)]
        rng.shuffle(empties)
        move = pos.pass_move
        if rng.random() > PASS_PROBABILITY:
            move = next((p for p in empties if pos.is_legal(p)), pos.pass_move)
        pos = pos.play(move)
        sample = empties if size <= 4 else empties[:SAMPLE]
        if pos.ko is not None:
            sample = [*sample, pos.ko]
        out.append((pos, sample))
        if pos.is_game_over():
            break
    return out


def check_game(client: GtpClient, game: list, size: int, stats: Counter, label: str) -> None:
    commands = [f"boardsize {size}", "clear_board"]
    per_move = []
    for pos, sample in game:
        colour, move = pos.moves[-1]
        c = "black" if colour == BLACK else "white"
        nxt = "black" if pos.to_play == BLACK else "white"
        batch = [f"play {c} {coords.to_gtp(move, size)}", "list_stones black",
                 "list_stones white", "captures black", "captures white"]
        batch += [f"is_legal {nxt} {coords.to_gtp(p, size)}" for p in sample]
        commands += batch
        per_move.append(len(batch))
    responses = client.send_many(commands)
    assert all(r.ok for r in responses[:2])
    i = 2
    for (pos, sample), n in zip(game, per_move, strict=True):
        rs = responses[i:i + n]
        i += n
        where = (f"{label}, move {pos.move_number} "
                 f"({' '.join(coords.to_gtp(m, size) for _, m in pos.moves)})\n{pos}")
        assert rs[0].ok, f"GNU Go refused a move rocks allowed: {rs[0].text}; {where}"
        assert stones(rs[1].text, size) == [int(p) for p in np.flatnonzero(pos.board == 1)], \
            f"black stones differ: GNU Go {rs[1].text}; {where}"
        assert stones(rs[2].text, size) == [int(p) for p in np.flatnonzero(pos.board == -1)], \
            f"white stones differ: GNU Go {rs[2].text}; {where}"
        assert (int(rs[3].text), int(rs[4].text)) == pos.captures, \
            f"captures differ: GNU Go {rs[3].text} {rs[4].text}; {where}"
        for p, r in zip(sample, rs[5:], strict=True):
            reason = pos.illegal_reason(p) or "legal"
            ours = reason == "legal"
            theirs = r.text == "1"
            stats[reason.split(":")[0]] += 1
            if ours != theirs and not ours and pos.rules.suicide and is_suicide(pos, p) \
                    and reason.startswith("positional superko"):
                stats["known difference: suicide repeating a position"] += 1
                continue
            assert ours == theirs, (f"legality of {coords.to_gtp(p, size)} differs: rocks "
                                    f"{reason}, GNU Go {r.text}; {where}")
        move = pos.moves[-1][1]
        if move != pos.pass_move and pos.board[move] == 0:
            stats["suicides played"] += 1
        elif pos.captures != pos.previous.captures:
            stats["moves with captures"] += 1
        stats["moves"] += 1


def test_rules_agree_with_gnugo_move_by_move(gnugo_rules):
    client, rules = gnugo_rules
    rng = random.Random(20261125 + rules.suicide)
    stats: Counter = Counter()
    games = 0
    for size, count, cap in SCHEDULE:
        for g in range(count):
            game = random_game(rng, size, cap, rules)
            check_game(client, game, size, stats, f"{size}x{size} game {g}")
            games += 1
    assert games == sum(count for _, count, _ in SCHEDULE)
    # The test is only as good as what it saw: captures, ko, superko and suicide all came up.
    assert stats["moves"] > 10_000
    assert stats["moves with captures"] > 500
    assert stats["ko"] > 10
    known = stats["known difference: suicide repeating a position"]
    assert stats["positional superko"] - known > 20  # superko cases where the two agree
    if rules.suicide:
        assert stats["suicides played"] > 100
        assert known > 100
    else:
        assert stats["suicide is forbidden by these rules"] > 1000
        assert known == 0


def test_fixed_handicap_placement_matches_gnugo(gnugo_rules):
    client, _ = gnugo_rules
    for size in range(7, 20):
        for n in range(2, max_fixed_handicap(size) + 1):
            client.send_many([f"boardsize {size}", "clear_board"])
            theirs = stones(client.send(f"fixed_handicap {n}"), size)
            assert sorted(fixed_handicap_points(size, n)) == theirs, (size, n)
    client.send_many(["boardsize 9", "clear_board"])

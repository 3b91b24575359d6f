"""Teacher games: a pure function of (seed, index), random openings, resumable generation."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest

from rocks.go.board import Position
from rocks.go.sgf import load_sgf
from rocks.train.teacher import (
    TeacherConfig,
    game_path,
    generate,
    opening_length,
    plan_game,
    random_opening,
)


def test_a_game_plan_depends_only_on_seed_and_index():
    cfg = TeacherConfig(levels=(1, 10), max_opening=4, seed=3)
    assert plan_game(cfg, 5) == plan_game(cfg, 5)
    plans = [plan_game(cfg, i) for i in range(20)]
    assert len({p.opening for p in plans}) > 10
    assert {p.black_level for p in plans} == {1, 10}
    assert {len(p.opening) for p in plans} <= set(range(5))


def test_a_minimum_opening_length_keeps_earlier_pools_reproducible():
    old = TeacherConfig(levels=(1, 5), max_opening=4, seed=2)
    for i in range(10):  # the opening length as drawn before min_opening existed
        rng = np.random.default_rng([2, i])
        rng.choice((1, 5), size=2)
        rng.integers(1, 2**31 - 1, size=2)
        assert len(plan_game(old, i).opening) == int(rng.integers(4 + 1))
    longer = dataclasses.replace(old, min_opening=2)
    assert {len(plan_game(longer, i).opening) for i in range(30)} <= {2, 3, 4}
    with pytest.raises(ValueError, match="min_opening"):
        TeacherConfig(min_opening=5, max_opening=4)


def test_random_openings_are_legal_and_fill_no_own_eye():
    rng = np.random.default_rng(0)
    for _ in range(20):
        moves = random_opening(5, 7.5, 12, rng)
        pos = Position.empty(5, 7.5)
        for m in moves:
            assert pos.is_legal(m) and not pos.is_eye(m)
            pos = pos.play(m)


def test_generate_plays_saves_and_skips_games_already_on_disk(tmp_path, gnugo):
    cfg = TeacherConfig(out_dir=str(tmp_path), games=2, levels=(0,), max_opening=3, seed=1)
    assert generate(cfg) == 2
    rec = load_sgf(game_path(tmp_path, 1))
    plan = plan_game(cfg, 1)
    assert opening_length(rec) == len(plan.opening)
    assert tuple(m for _, m in rec.moves[:len(plan.opening)]) == plan.opening
    assert rec.result and rec.result[0] in "BW0"
    assert generate(cfg) == 0  # resumed: nothing left to play
    with open(tmp_path / "games.csv") as f:
        assert [r["index"] for r in csv.DictReader(f)] == ["0", "1"]

"""Shards: atomic npz files of examples; bad ones are skipped with a warning, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

from rocks.train.shards import (
    Examples,
    ShardError,
    ShardWarning,
    list_shards,
    load_examples,
    read_shard,
    replay_window,
    write_shard,
)


def examples(n: int, size: int = 5, fill: float = 0.0) -> Examples:
    npts = size * size
    policy = np.zeros((n, npts + 1))
    policy[:, 3] = 1.0
    return Examples.build(planes=np.full((n, 19, size, size), fill), policy=policy,
                          policy_weight=np.ones(n), value=np.linspace(-1, 1, n),
                          value_weight=np.ones(n), ownership=np.ones((n, npts)),
                          score=np.arange(n), aux_weight=np.ones(n))


def test_round_trip_keeps_every_field(tmp_path):
    ex = examples(7, fill=1.0)
    write_shard(tmp_path / "a.npz", ex, {"source": "test"})
    back = read_shard(tmp_path / "a.npz")
    assert len(back) == 7 and back.size == 5
    np.testing.assert_array_equal(back.policy, ex.policy)
    np.testing.assert_array_equal(back.value, ex.value)
    np.testing.assert_array_equal(back.ownership, ex.ownership)
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]  # no temporary left behind


def test_wrong_shapes_are_refused():
    with pytest.raises(ShardError, match="policy"):
        Examples.build(planes=np.zeros((2, 19, 5, 5)), policy=np.zeros((2, 10)),
                       policy_weight=np.ones(2), value=np.zeros(2), value_weight=np.ones(2),
                       ownership=np.zeros((2, 25)), score=np.zeros(2), aux_weight=np.ones(2))


def test_truncated_shard_is_skipped_with_a_warning(tmp_path):
    write_shard(tmp_path / "good.npz", examples(4))
    write_shard(tmp_path / "bad.npz", examples(4))
    data = (tmp_path / "bad.npz").read_bytes()
    (tmp_path / "bad.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ShardError, match="bad.npz"):
        read_shard(tmp_path / "bad.npz")
    with pytest.warns(ShardWarning, match="skipping shard"):
        loaded = load_examples(list_shards(tmp_path))
    assert loaded is not None and len(loaded) == 4


def test_replay_window_takes_the_newest_shards(tmp_path):
    for i in range(5):
        write_shard(tmp_path / f"g{i:04d}.npz", examples(10))
    chosen = replay_window(tmp_path, 25)
    assert [p.name for p in chosen] == ["g0002.npz", "g0003.npz", "g0004.npz"]
    assert len(replay_window(tmp_path, 10_000)) == 5

"""Shared fixtures: external programs the tests drive, found or skipped with a reason."""

from __future__ import annotations

import pytest

from rocks.play.gtp_client import find_gnugo


@pytest.fixture(scope="session")
def gnugo() -> str:
    """Path of the GNU Go binary; skips the test with a clear reason when it is missing."""
    path = find_gnugo()
    if path is None:
        pytest.skip("GNU Go not installed (Debian package gnugo: /usr/games/gnugo); "
                    "./dev test installs it when it can")
    return path

"""Training tests run on one torch thread: the machine's cores are shared."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> None:
    torch.set_num_threads(1)


def _game(moves: list[str], result: str = "B+R", size: int = 9, comment: str = ""):
    """A GameRecord of GTP moves, alternating from Black."""
    from rocks.go import coords
    from rocks.go.board import BLACK
    from rocks.go.sgf import GameRecord

    colour = BLACK
    flat = []
    for m in moves:
        flat.append((colour, coords.from_gtp(m, size)))
        colour = -colour
    return GameRecord(size=size, komi=7.5, rules="Chinese", moves=tuple(flat), result=result,
                      comments=((0, comment),) if comment else ())


@pytest.fixture(scope="session")
def make_game():
    return _game

"""Figures: matplotlib figures made without global state and saved as PNG under ``figures/``.

The essay keeps an experiment's plots next to its data so the report can show them.  Figures are
built on ``matplotlib.figure.Figure`` directly rather than pyplot, so a headless run needs no
display and a long sweep does not pile up open pyplot figures.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocks import atomic
from rocks.lab.folders import LabError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 120


def new_figure(nrows: int = 1, ncols: int = 1, width: float = 6.4, height: float = 4.0,
               **subplots: Any) -> tuple[Figure, Any]:
    """A figure of ``nrows x ncols`` panels (each ``width x height`` inches) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, **{"squeeze": True, **subplots})
    return fig, axes


def save_figure(fig: Figure, name: str, folder: Path | str) -> Path:
    """Save ``fig`` as ``folder/<name>.png`` atomically and return the path.

    ``name`` is a plain file name (letters, digits, ``-_.``); a ``.png`` suffix is optional.
    """
    stem = name[:-4] if name.endswith(".png") else name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", stem):
        raise LabError(f"figure name {name!r}: use letters, digits, '-', '_' or '.'")
    path = Path(folder) / f"{stem}.png"
    return atomic.write_with(path, lambda f: fig.savefig(f, format="png", dpi=DPI))

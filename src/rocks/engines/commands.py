"""Command lines of the GTP engines rocks plays against: GNU Go, Pachi and ``rocks gtp`` itself.

Each builder returns an argv (a list of strings) for :class:`~rocks.engines.gtp_client.GtpClient`
and sets the engine up for rocks' rules: area scoring, positional superko, no suicide (Chinese
rules as GNU Go and Pachi read them).

=========  =====================================================================================
engine     argv
=========  =====================================================================================
GNU Go     ``gnugo --mode gtp --chinese-rules --positional-superko --forbid-suicide --level L
           [--capture-all-dead] [--seed S]`` (GNU Go 3.8 manual, "Invoking GNU Go")
Pachi      ``pachi -D -d 0 -s SEED -t =PLAYOUTS threads=N`` with ``DATA_DIR`` in its environment
           (Pachi 12's ``--help``: ``=SIMS`` is a fixed number of playouts per move)
rocks      ``python -m rocks.cli gtp ...`` run by this Python (so a virtual environment works)
=========  =====================================================================================

Departures, numbered:
  1. GNU Go is looked for in Debian's /usr/games as well as on PATH; Pachi is never looked for:
     its binary is a path the caller names (``rocks arena --pachi PATH``), since it is built
     from source and no two machines put it in the same place.
  2. Pachi's ``DATA_DIR`` (its pattern files) defaults to the binary's own folder, which is
     where ``make`` leaves them in a source build (docs/guide.md, "Pachi").
  3. Pachi's rules cannot be made positional superko; its default (Chinese, situational
     superko) differs from ours only in cycles that do not happen in practice, and the match
     driver referees every move with rocks' rules anyway.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

GNUGO_PATHS = ("/usr/games/gnugo", "/usr/bin/gnugo", "/usr/local/bin/gnugo")


class EngineNotFound(ValueError):
    """An engine binary is not where it was looked for (the message says where and how)."""


def find_gnugo() -> str | None:
    """Path of the GNU Go binary, or None (Debian installs it in /usr/games, not on PATH)."""
    for path in GNUGO_PATHS:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("gnugo")


def gnugo_command(level: int = 1, suicide: bool = False, path: str | None = None,
                  seed: int | str | None = None, capture_all_dead: bool = True,
                  extra: Sequence[str] = ()) -> list[str]:
    """argv for GNU Go in GTP mode under rocks' default rules (area scoring, positional superko).

    ``suicide`` chooses ``--allow-all-suicide`` over ``--forbid-suicide``.
    ``capture_all_dead`` makes GNU Go remove dead stones before it passes, so that a game
    ends on a board that Tromp-Taylor scores as GNU Go does.  ``seed`` may be the text
    ``"{seed}"``, which an arena replaces per game.
    """
    path = path or find_gnugo()
    if path is None:
        raise EngineNotFound("GNU Go not found (looked in " + ", ".join(GNUGO_PATHS) +
                             " and on PATH); install the Debian package gnugo")
    argv = [path, "--mode", "gtp", "--chinese-rules", "--positional-superko",
            "--allow-all-suicide" if suicide else "--forbid-suicide", "--level", str(level)]
    if capture_all_dead:
        argv.append("--capture-all-dead")
    if seed is not None:
        argv += ["--seed", str(seed)]
    return argv + list(extra)


@dataclass(frozen=True)
class PachiCommand:
    """How to start Pachi: its argv and the environment it needs (departure 2)."""

    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]


def pachi_command(path: str | os.PathLike, playouts: int = 10_000, threads: int = 1,
                  seed: int | str = "{seed}", data_dir: str | os.PathLike | None = None,
                  ) -> PachiCommand:
    """Pachi at a fixed number of playouts per move, quiet, seeded.

    ``path`` is the binary (a source build: ``/work/pachi/pachi``); ``data_dir`` its pattern
    files (default: the binary's folder).  ``seed`` is a number or ``"{seed}"`` for an arena to
    replace per game (Pachi without ``-s`` seeds itself from the clock).  EngineNotFound if the
    binary is missing or not executable.
    """
    binary = Path(path).expanduser()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise EngineNotFound(f"pachi: {binary} is not an executable file (build Pachi from "
                             "its source, docs/guide.md \"Pachi\", and pass --pachi PATH)")
    if playouts < 1 or threads < 1:
        raise ValueError(f"pachi: playouts and threads must be at least 1, got {playouts}, "
                         f"{threads}")
    data = Path(data_dir).expanduser() if data_dir is not None else binary.resolve().parent
    # -D: no board diagrams, -d 0: no debug output (stderr stays short for error messages).
    argv = (str(binary.resolve()), "-D", "-d", "0", "-s", str(seed), "-t", f"={playouts}",
            f"threads={threads}")
    return PachiCommand(argv, (("DATA_DIR", str(data)),))


def rocks_gtp_command(*args: str) -> list[str]:
    """argv for ``rocks gtp`` run by this Python (so it works inside a virtual environment)."""
    return [sys.executable, "-m", "rocks.cli", "gtp", *args]

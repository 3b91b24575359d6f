"""Experiment folders: the fixed shape every experiment in this repository takes.

Follows the workflow of the essay "How I built my AlphaGo" (an experiment is a folder named by
date and topic holding one script, its data as CSV, its figures and a report written from the
data), so that people and coding agents can read, rerun and compare experiments.

A folder looks like::

    experiments/2026-11-25_21-30_random-go-games/
        run.py          the single-file experiment: a frozen Config at the top
        report.md       Goal, Hypothesis, Setup, Results, Settled, Unknown, Next
        data/runs.csv   the ledger: one row per ``rocks lab run`` (see rocks.lab.ledger)
        data/runs/<run_id>/   each run's config.json, summary.json, log.txt and CSV files
        data/sweeps/<sweep_id>.csv   one row per trial of a sweep
        figures/<run_id>/  each run's PNG figures; figures/<sweep_id>.png sweep summaries

Departures from the essay's shape:
  1. Each run gets its own ``data/runs/<run_id>/`` so that no run overwrites another's data;
     the config.json the essay keeps in ``data/`` lives there, one per run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rocks import atomic
from rocks.lab import template

NAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{2})-(\d{2})_([a-z0-9][a-z0-9-]*)$")
MAX_SLUG = 48
REPORT_SECTIONS = ("Goal", "Hypothesis", "Setup", "Results", "Settled", "Unknown", "Next")


class LabError(ValueError):
    """Bad input to the lab (topic, folder, override, parameter); the message says what to do."""


@dataclass(frozen=True)
class Experiment:
    """One experiment folder.

    Attributes:
        path: the folder.
        name: its name, ``YYYY-MM-DD_HH-MM_<slug>``.
        created: the minute in the name (UTC).
        slug: the topic part of the name.
    """

    path: Path
    name: str
    created: datetime
    slug: str

    @property
    def run_py(self) -> Path:
        return self.path / "run.py"

    @property
    def report(self) -> Path:
        return self.path / "report.md"

    @property
    def data(self) -> Path:
        return self.path / "data"

    @property
    def figures(self) -> Path:
        return self.path / "figures"

    @property
    def ledger(self) -> Path:
        return self.data / "runs.csv"

    @property
    def runs_dir(self) -> Path:
        return self.data / "runs"

    @property
    def sweeps_dir(self) -> Path:
        return self.data / "sweeps"

    @classmethod
    def at(cls, path: Path | str) -> Experiment:
        """The experiment in ``path``; LabError if it is not an experiment folder."""
        path = Path(path)
        m = NAME_RE.match(path.name)
        if not path.is_dir():
            raise LabError(f"{path} is not a folder")
        if m is None:
            raise LabError(f"{path.name!r} is not an experiment name (YYYY-MM-DD_HH-MM_<slug>)")
        if not (path / "run.py").is_file():
            raise LabError(f"{path} has no run.py, so it is not an experiment folder")
        day, hh, mm, slug = m.groups()
        created = datetime.strptime(f"{day} {hh}:{mm}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return cls(path, path.name, created, slug)


def slugify(topic: str) -> str:
    """The folder-name form of a topic: ASCII lower case words joined by ``-``, at most 48 chars.

    Raises LabError when nothing usable remains (an empty topic, only punctuation).
    """
    if not isinstance(topic, str) or not topic.strip():
        raise LabError("the topic is empty: say what the experiment is about, e.g. "
                       "rocks lab new \"random go game length\"")
    ascii_ = unicodedata.normalize("NFKD", topic).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_.lower())
    if not words:
        raise LabError(f"the topic {topic!r} has no letters or digits to name a folder with")
    kept: list[str] = []
    for w in words:
        if len("-".join([*kept, w])) > MAX_SLUG:
            # A cut name should not end mid-phrase ("...-score-by").
            while len(kept) > 1 and kept[-1] in _DANGLING:
                kept.pop()
            break
        kept.append(w)
    return "-".join(kept) or words[0][:MAX_SLUG]


_DANGLING = {"a", "an", "and", "the", "of", "by", "for", "to", "in", "on", "with", "at", "or",
             "vs", "from"}


def default_root(start: Path | None = None) -> Path:
    """``experiments/`` at the top of the git checkout holding ``start`` (else under ``start``)."""
    start = Path.cwd() if start is None else Path(start)
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return start / "experiments"
    if top.returncode == 0 and top.stdout.strip():
        return Path(top.stdout.strip()) / "experiments"
    return start / "experiments"


def new_experiment(topic: str, root: Path | str | None = None,
                   now: datetime | None = None) -> Experiment:
    """Create ``root/YYYY-MM-DD_HH-MM_<slug>/`` with run.py, report.md, data/ and figures/.

    ``now`` (UTC) fixes the clock for reproducible names; LabError if the folder exists.
    """
    slug = slugify(topic)
    root = default_root() if root is None else Path(root)
    now = datetime.now(UTC) if now is None else now
    name = f"{now:%Y-%m-%d_%H-%M}_{slug}"
    path = root / name
    root.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir()  # exclusive: two `lab new` calls in the same minute cannot share a folder
    except FileExistsError:
        raise LabError(f"{path} already exists: pick another topic or wait a minute") from None
    try:
        (path / "data").mkdir()
        (path / "figures").mkdir()
        (path / "data" / ".gitkeep").write_text("")
        (path / "figures" / ".gitkeep").write_text("")
        atomic.write_text(path / "run.py", template.render_run_py(topic, name))
        atomic.write_text(path / "report.md", template.render_report(topic, name, now))
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return Experiment.at(path)


def find_experiments(root: Path | str | None = None) -> list[Experiment]:
    """Every experiment folder directly under ``root``, oldest first."""
    root = default_root() if root is None else Path(root)
    if not root.is_dir():
        return []
    found = []
    for p in sorted(root.iterdir()):
        if p.is_dir() and NAME_RE.match(p.name) and (p / "run.py").is_file():
            found.append(Experiment.at(p))
    return sorted(found, key=lambda e: (e.created, e.name))


def resolve_experiment(arg: str | Path, root: Path | str | None = None) -> Experiment:
    """An experiment named by its path, its folder name, or a part of the name that is unique."""
    path = Path(arg)
    if path.is_dir():
        return Experiment.at(path)
    candidates = find_experiments(root)
    exact = [e for e in candidates if e.name == str(arg)]
    if exact:
        return exact[0]
    matches = [e for e in candidates if str(arg) in e.name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        where = default_root() if root is None else Path(root)
        raise LabError(f"no experiment {str(arg)!r} (a folder, or a name under {where}); "
                       "`rocks lab list` shows them")
    names = ", ".join(e.name for e in matches)
    raise LabError(f"{str(arg)!r} matches several experiments: {names}")


def report_sections(text: str) -> dict[str, str]:
    """The ``## Section`` bodies of a report, keyed by section title."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^##\s+(.+?)\s*$", line)
        if m:
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = m.group(1), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return sections

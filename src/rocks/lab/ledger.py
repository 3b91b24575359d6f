"""The run ledger: ``data/runs.csv``, one row per run of an experiment.

The essay's experiments keep a ledger so that every number in a report can be traced to the run,
commit and settings that produced it.  A row is added when a run starts (status ``running``)
and completed when it ends, so a run whose launcher died still shows up.

Columns: ``run_id, sweep_id, status, start, end, seconds, commit, config_diff,
headline_name, headline_value, command, error``.  Status is one of ``running``, ``ok``,
``failed`` (non-zero exit; the output's tail is in ``data/runs/<run_id>/log.txt`` and the last
line in ``error``), ``interrupted`` (Ctrl-C or a termination signal) or ``pruned`` (a tune
stopped the trial early from its intermediate metrics, :mod:`rocks.lab.tune`).

One format for every reader: pandas reads the file (``pd.read_csv``), the JSON a program reads
(``rocks lab show --json``) is :meth:`RunRecord.to_json` of the same rows under the same names
(a missing number is NaN in pandas and ``null`` in JSON), and the figures are drawn from them.

Writes are atomic (:func:`rocks.metrics.write_table` rewrites the whole file) and serialized
between processes with an exclusive ``flock`` on the ``data/`` folder, so two runs finishing at
once both land and a reader never sees half a file.  :func:`collect` joins a CSV of every run
the ledger calls ok into one DataFrame.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rocks.lab.folders import Experiment, LabError
from rocks.metrics import read_rows, write_table

if TYPE_CHECKING:
    import pandas as pd

STATUSES = ("running", "ok", "failed", "interrupted", "pruned")


@dataclass(frozen=True)
class RunRecord:
    """One ledger row.  Times are ISO 8601 UTC; ``headline_value`` is NaN when there is none."""

    run_id: str
    sweep_id: str = ""
    status: str = "running"
    start: str = ""
    end: str = ""
    seconds: float = math.nan
    commit: str = ""
    config_diff: str = ""
    headline_name: str = ""
    headline_value: float = math.nan
    command: str = ""
    error: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise LabError(f"run status {self.status!r} is not one of {STATUSES}")

    @classmethod
    def from_row(cls, row: dict[str, str]) -> RunRecord:
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            text = row.get(f.name) or ""
            if f.name in ("seconds", "headline_value"):
                values[f.name] = _float(text)
            else:
                values[f.name] = text
        return cls(**values)  # type: ignore[arg-type]

    def to_row(self) -> dict[str, str]:
        row = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float):
                row[f.name] = "" if math.isnan(v) else repr(v)
            else:
                row[f.name] = str(v)
        return row

    def to_json(self) -> dict[str, object]:
        """The row as JSON values under the ledger's column names (NaN becomes None)."""
        out: dict[str, object] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = None if isinstance(v, float) and not math.isfinite(v) else v
        return out


COLUMNS = tuple(f.name for f in dataclasses.fields(RunRecord))


def _float(text: str) -> float:
    try:
        return float(text) if text.strip() else math.nan
    except ValueError:
        return math.nan


class Ledger:
    """The ledger file of one experiment (``data/runs.csv``)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The folder, not the file, is locked: the file is replaced on every write, and a lock
        # on a replaced inode would no longer exclude anyone.
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read(self) -> list[RunRecord]:
        """Every row, oldest first (an absent ledger has none)."""
        return [RunRecord.from_row(r) for r in read_rows(self.path)]

    def _write(self, records: list[RunRecord]) -> None:
        write_table(self.path, [r.to_row() for r in records], COLUMNS)

    def add(self, record: RunRecord) -> RunRecord:
        """Append a row; LabError if its run id is already in the ledger."""
        with self._locked():
            records = self.read()
            if any(r.run_id == record.run_id for r in records):
                raise LabError(f"run {record.run_id} is already in {self.path}")
            self._write([*records, record])
        return record

    def update(self, run_id: str, **changes: object) -> RunRecord:
        """Change fields of one row (e.g. status and end time) and return the new row."""
        with self._locked():
            records = self.read()
            for i, r in enumerate(records):
                if r.run_id == run_id:
                    records[i] = dataclasses.replace(r, **changes)  # type: ignore[arg-type]
                    self._write(records)
                    return records[i]
        raise LabError(f"run {run_id} is not in {self.path}")

    def get(self, run_id: str) -> RunRecord:
        for r in self.read():
            if r.run_id == run_id:
                return r
        raise LabError(f"run {run_id} is not in {self.path}")


def collect(experiment: Experiment | Path | str, filename: str, with_config: bool = True,
            only_ok: bool = True) -> pd.DataFrame:
    """One DataFrame of ``data/runs/*/<filename>`` over every run of an experiment.

    Adds a ``run_id`` column and, with ``with_config``, each config field (from the run's
    config.json) whose name is not already a column, so runs can be grouped by their knobs.
    With ``only_ok``, runs the ledger records as failed, interrupted or running are left out
    (runs started directly with ``python run.py`` are not in the ledger and are kept).
    """
    import pandas as pd

    exp = experiment if isinstance(experiment, Experiment) else Experiment.at(Path(experiment))
    not_ok = {r.run_id for r in Ledger(exp.ledger).read() if r.status != "ok"}
    frames = []
    for run_dir in sorted(exp.runs_dir.glob("*/")):
        if only_ok and run_dir.name in not_ok:
            continue
        csv_path = run_dir / filename
        if not csv_path.is_file() or csv_path.stat().st_size == 0:
            continue
        df = pd.read_csv(csv_path)
        df.insert(0, "run_id", run_dir.name)
        cfg_path = run_dir / "config.json"
        if with_config and cfg_path.is_file():
            cfg = json.loads(cfg_path.read_text()).get("config", {})
            for k, v in cfg.items():
                if k not in df.columns:
                    df[k] = v if not isinstance(v, list) else ",".join(map(str, v))
        frames.append(df)
    if not frames:
        raise LabError(f"no run of {exp.name} has data/runs/*/{filename}")
    return pd.concat(frames, ignore_index=True)

"""``rocks lab run``: run an experiment's run.py once, with overrides, and record it in the ledger.

The essay asks that every run be reproducible from its record: the runner checks the overrides
against the Config in run.py's source (without executing it), gives the run a fresh folder
``data/runs/<run_id>/`` (so no run overwrites another), passes ``--out`` and ``--<field>
<value>`` to run.py in a child process, keeps its output in ``log.txt`` (and shows it), reads the
headline metric from the ``summary.json`` the run writes, and writes the ledger row.  Values are
read and written as :mod:`rocks.configcli` does (``--flag``/``--no-flag`` for a bool).

Status: ``ok`` (exit 0), ``failed`` (other exit; the last line of output goes to the ledger's
``error`` column, the rest stays in log.txt), ``interrupted`` (Ctrl-C, SIGINT or SIGTERM) or
``pruned`` (a ``watch`` callback, polled while the run goes, asked to stop it: a tune's pruner).
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from rocks.configcli import ConfigError, format_value, parse_value, to_argv
from rocks.lab.folders import Experiment, LabError
from rocks.lab.ledger import Ledger, RunRecord
from rocks.lab.runfile import git_commit, next_run_dir

Clock = Callable[[], datetime]
# Called every WATCH_SECONDS with the run's folder while it runs; True stops it (status pruned).
Watch = Callable[[Path], bool]
WATCH_SECONDS = 2.0
INTERRUPT_CODES = (-signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGINT, 128 + signal.SIGTERM)


@dataclass(frozen=True)
class ConfigField:
    """A field of run.py's Config as written in its source.

    ``default`` is the literal default (None when it is not a literal, e.g. a function call).
    """

    name: str
    type: str
    default: Any
    default_text: str


def config_fields(run_py: Path) -> dict[str, ConfigField]:
    """The fields of the ``Config`` class in ``run_py``, read from its source, in order."""
    try:
        tree = ast.parse(Path(run_py).read_text(encoding="utf-8"), filename=str(run_py))
    except SyntaxError as exc:
        raise LabError(f"{run_py} does not parse: {exc}") from None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            fields = {}
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    type_ = ast.unparse(stmt.annotation)
                    if type_.startswith("ClassVar"):
                        continue
                    text = ast.unparse(stmt.value) if stmt.value is not None else ""
                    try:
                        default = ast.literal_eval(stmt.value) if stmt.value else None
                    except ValueError:
                        default = None
                    fields[stmt.target.id] = ConfigField(stmt.target.id, type_, default, text)
            return fields
    raise LabError(f"{run_py} has no top-level `class Config`: an experiment's knobs live there")


def parse_overrides(pairs: Iterable[str] | Mapping[str, Any],
                    fields: Mapping[str, ConfigField]) -> dict[str, Any]:
    """``["key=value", ...]`` (or a mapping) as typed values, checked against the Config."""
    items: list[tuple[str, Any]] = []
    if isinstance(pairs, Mapping):
        items = [(str(k), v) for k, v in pairs.items()]
    else:
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise LabError(f"override {pair!r}: write key=value, e.g. --set seed=1")
            items.append((key.strip(), value))
    out: dict[str, Any] = {}
    for key, value in items:
        name = key.replace("-", "_")
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(fields) or "none"
            raise LabError(f"Config has no field {key!r}{hint}; fields: {known}")
        text = value if isinstance(value, str) else format_value(value)
        try:
            out[name] = parse_value(text, fields[name].type, name)
        except ConfigError as exc:
            raise LabError(str(exc)) from None
    return out


def config_diff(values: Mapping[str, Any], fields: Mapping[str, ConfigField]) -> str:
    """``key=value`` for each override that differs from the default in run.py's source."""
    parts = []
    for k, v in values.items():
        default = fields[k].default
        if isinstance(default, list):
            default = tuple(default)
        if v != default:
            parts.append(f"{k}={format_value(v)}")
    return " ".join(parts)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


class _Terminated(Exception):
    """SIGTERM reached the runner: treat it like Ctrl-C."""


def run_experiment(experiment: Experiment | Path | str,
                   overrides: Iterable[str] | Mapping[str, Any] = (),
                   sweep_id: str = "", python: str | None = None, clock: Clock = _now,
                   echo: bool = True, timeout: float | None = None,
                   resume: str | None = None, watch: Watch | None = None) -> RunRecord:
    """Run ``run.py`` once with ``overrides`` and return its (completed) ledger row.

    Bad overrides raise LabError before anything is created.  ``clock`` fixes times in tests;
    ``echo`` copies the run's output to this process's stdout; ``timeout`` (seconds) ends a run
    that takes too long (recorded as interrupted).

    ``resume="run-003"`` runs again in that run's folder, with its recorded config plus
    ``overrides``, for run.py scripts that continue from what they find there (a checkpoint,
    the last row of a metrics CSV).  Its ledger row is reopened rather than a new one added;
    seconds accumulate and the output is appended to log.txt.

    ``watch(run_dir)`` is polled while the run goes (a tune reads its intermediate metrics);
    when it returns True the run is stopped as Ctrl-C would and recorded as ``pruned``.
    """
    exp = experiment if isinstance(experiment, Experiment) else Experiment.at(Path(experiment))
    fields = config_fields(exp.run_py)
    ledger = Ledger(exp.ledger)
    if resume is not None:
        return _resume(exp, fields, ledger, resume, overrides, python, clock, echo, timeout,
                       watch)
    values = parse_overrides(overrides, fields)
    run_dir = next_run_dir(exp.runs_dir)
    run_id = run_dir.name
    argv, shown = _command(exp, run_dir, values, python)
    started = clock()
    ledger.add(RunRecord(run_id=run_id, sweep_id=sweep_id, status="running",
                         start=_iso(started), commit=git_commit(exp.path),
                         config_diff=config_diff(values, fields), command=shown))
    return _finish(ledger, run_id, argv, exp, run_dir, clock, started, echo, timeout, 0.0,
                   watch)


def _command(exp: Experiment, run_dir: Path, values: Mapping[str, Any],
             python: str | None) -> tuple[list[str], str]:
    """The child's argv, and the command as the ledger shows it (without --out)."""
    options = to_argv(values)
    argv = [python or sys.executable, "run.py", "--out", str(run_dir.relative_to(exp.path)),
            *options]
    return argv, shlex.join(["python", "run.py", *options])


def _resume(exp: Experiment, fields: Mapping[str, ConfigField], ledger: Ledger, run_id: str,
            overrides: Iterable[str] | Mapping[str, Any], python: str | None, clock: Clock,
            echo: bool, timeout: float | None, watch: Watch | None) -> RunRecord:
    run_dir = exp.runs_dir / run_id
    if not run_dir.is_dir():
        raise LabError(f"there is no run {run_id} in {exp.runs_dir} to resume")
    previous = ledger.get(run_id)
    recorded: dict[str, Any] = {}
    config_path = run_dir / "config.json"
    if config_path.is_file():
        try:
            recorded = json.loads(config_path.read_text(encoding="utf-8")).get("config", {})
        except ValueError as exc:
            raise LabError(f"{config_path} is unreadable: {exc}") from None
    # Fields run.py no longer has are dropped; the new overrides win over the recorded config.
    values = parse_overrides({k: v for k, v in recorded.items() if k in fields}, fields)
    values.update(parse_overrides(overrides, fields))
    argv, shown = _command(exp, run_dir, values, python)
    started = clock()
    before = 0.0 if math.isnan(previous.seconds) else previous.seconds
    ledger.update(run_id, status="running", end="", error="", commit=git_commit(exp.path),
                  config_diff=config_diff(values, fields), command=shown)
    with open(run_dir / "log.txt", "ab") as log:
        log.write(f"\n=== resumed {_iso(started)}: {shown}\n".encode())
    return _finish(ledger, run_id, argv, exp, run_dir, clock, started, echo, timeout, before,
                   watch)


def _finish(ledger: Ledger, run_id: str, argv: list[str], exp: Experiment, run_dir: Path,
            clock: Clock, started: datetime, echo: bool, timeout: float | None,
            seconds_before: float, watch: Watch | None = None) -> RunRecord:
    """Run the child, then complete the ledger row from its exit code and summary.json."""
    status, rc = "failed", None
    log_path = run_dir / "log.txt"
    stop = None if watch is None else (lambda: watch(run_dir))
    try:
        rc = _execute(argv, exp.path, log_path, echo, timeout, stop)
        if rc == _PRUNED:
            status, rc = "pruned", None
        elif rc == 0:
            status = "ok"
        elif rc in INTERRUPT_CODES or rc is None:
            status = "interrupted"
    except (KeyboardInterrupt, _Terminated):
        status = "interrupted"
    ended = clock()
    headline_name, headline_value, note = _read_summary(run_dir / "summary.json")
    error = ""
    if status == "failed":
        error = f"exit {rc}: {_last_line(log_path)}"
    elif status == "pruned":
        error = "stopped early by the tune's pruner"
    elif status == "interrupted":
        error = "interrupted" if rc is not None else "timed out or interrupted"
    elif note:
        error = note
    return ledger.update(run_id, status=status, end=_iso(ended),
                         seconds=round(seconds_before + (ended - started).total_seconds(), 3),
                         headline_name=headline_name, headline_value=headline_value,
                         error=error)


_PRUNED = -(10**6)  # what _execute returns when ``stop`` ended the run (no exit code is this)


def _execute(argv: list[str], cwd: Path, log_path: Path, echo: bool,
             timeout: float | None, stop: Callable[[], bool] | None = None) -> int | None:
    """Run ``argv``, teeing its output to ``log_path``; the exit code (None if cut short,
    ``_PRUNED`` if ``stop()``, polled every WATCH_SECONDS, asked to end it)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_term(signum: int, frame: object) -> None:
            raise _Terminated()
        previous = signal.signal(signal.SIGTERM, on_term)
    with open(log_path, "ab") as log:  # append: a resumed run keeps its earlier output
        # A launcher started in the background (`nohup rocks lab run ... &`) ignores SIGINT and
        # its children inherit that; the child must take Ctrl-C, the timeout's and the
        # pruner's way to stop it cleanly.
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, preexec_fn=_take_sigint)
        pump = threading.Thread(target=_pump, args=(proc.stdout, log, echo), daemon=True)
        pump.start()
        try:
            rc = _wait(proc, timeout, stop)
        except BaseException:
            _stop(proc)
            raise
        finally:
            pump.join(timeout=10)
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    return rc


def _take_sigint() -> None:
    """In the child before exec: SIGINT back to its default, so Python raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait(proc: subprocess.Popen, timeout: float | None,
          stop: Callable[[], bool] | None) -> int | None:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = None if stop is None else WATCH_SECONDS
        if deadline is not None:
            left = max(0.0, deadline - time.monotonic())
            wait = left if wait is None else min(wait, left)
        try:
            return proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                _stop(proc)
                return None
            if stop is not None and stop():
                _stop(proc)
                return _PRUNED


def _pump(stream: BinaryIO | None, log: BinaryIO, echo: bool) -> None:
    # Raw chunks, not lines: progress bars redraw with \r and must reach the terminal as such.
    if stream is None:
        return
    out = sys.stdout.buffer if echo and hasattr(sys.stdout, "buffer") else None
    read = getattr(stream, "read1", stream.read)
    while chunk := read(65536):
        log.write(chunk)
        log.flush()
        if echo:
            if out is not None:
                out.write(chunk)
                out.flush()
            else:
                sys.stdout.write(chunk.decode("utf-8", "replace"))


def _stop(proc: subprocess.Popen) -> None:
    """Ask the child to stop (SIGINT, as Ctrl-C would), then insist."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _read_summary(path: Path) -> tuple[str, float, str]:
    """(headline name, value, a note if summary.json is unreadable) from a run's summary."""
    if not path.is_file():
        return "", math.nan, ""
    try:
        head = json.loads(path.read_text(encoding="utf-8"))["headline"]
        value = head.get("value")
        return str(head["name"]), float(value) if value is not None else math.nan, ""
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return "", math.nan, f"summary.json unreadable: {exc}"


def _last_line(path: Path, limit: int = 300) -> str:
    if not path.is_file():
        return ""
    with open(path, "rb") as f:
        f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
        tail = f.read().decode("utf-8", "replace")
    lines = [ln.strip() for ln in tail.replace("\r", "\n").splitlines() if ln.strip()]
    return lines[-1][:limit] if lines else ""

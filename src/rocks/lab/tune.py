"""``rocks lab tune``: sequential optimisation of Config fields, one ledger row per trial.

Follows Optuna's ask-and-tell interface (Akiba et al. 2019, "Optuna: a next-generation
hyperparameter optimization framework") with TPE (Bergstra et al. 2011) as the default sampler
and a Gaussian-process sampler (the Vizier-style Bayesian optimisation of Golovin et al. 2017)
as an option: each trial's settings are chosen from the results so far, where ``rocks lab
sweep`` measures a grid fixed in advance.

Departures from a plain Optuna study:
  1. A trial is an ordinary ``rocks lab run`` (its own run folder, config.json with the commit,
     a ledger row whose ``sweep_id`` is the tune's id), not a Python function call: the
     objective is a metric run.py writes into summary.json.
  2. The study lives in a journal file in the experiment's ``data/tunes/`` and a tune is named
     by its search space: rerunning the same command continues it (after a crash, kill -9 or
     in a new session) without repeating finished trials.  A trial that was running when the
     launcher died is recorded as interrupted and its settings are tried again; one that had
     finished but was not yet told to Optuna is adopted from the ledger.
  3. A failed trial (non-zero exit, or no finite metric) is told to Optuna as FAIL and the tune
     goes on; failed and pruned trials count towards the budget, interrupted ones do not.
  4. Pruning reads intermediate values from a CSV the run writes as it goes (``--curve
     FILE:COLUMN``, oriented like the metric); a pruned trial is stopped as Ctrl-C stops it.
  5. Few random start-up trials by default (a third of the budget, 2 to 10): Optuna's default
     of 10 would make a 9-trial tune a random search.

Outputs: ``data/tunes/<tune_id>.json`` (the spec), ``.journal`` (Optuna's storage), ``.csv``
(one row per trial: parameters, status, value, best so far, headline and summary metrics;
rewritten atomically after each trial, as a sweep's table) and ``figures/<tune_id>.png``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import math
import os
import re
import shlex
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rocks import atomic
from rocks.configcli import ConfigError, format_value, parse_value
from rocks.lab.figures import new_figure, save_figure
from rocks.lab.folders import Experiment, LabError
from rocks.lab.ledger import Ledger, RunRecord
from rocks.lab.runner import Clock, ConfigField, _now, config_fields, parse_overrides
from rocks.lab.runner import run_experiment as _run_experiment
from rocks.lab.sweep import trial_row
from rocks.metrics import read_rows, write_table

KINDS = ("float", "log", "int", "cat")
MAX_TRIALS = 500


@dataclass(frozen=True)
class Param:
    """One dimension of the space: ``name=float:LO:HI``, ``log:LO:HI``, ``int:LO:HI`` or
    ``cat:A,B,C``.  ``integer`` is True when the Config field is an int (a ``log`` range is
    then sampled as integers)."""

    name: str
    kind: Literal["float", "log", "int", "cat"]
    low: float = 0.0
    high: float = 0.0
    choices: tuple[str, ...] = ()
    integer: bool = False

    def suggest(self, trial: Any) -> Any:
        if self.kind == "cat":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int" or self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high),
                                     log=self.kind == "log")
        return trial.suggest_float(self.name, self.low, self.high, log=self.kind == "log")


@dataclass(frozen=True)
class TuneSpec:
    """What a tune optimises; two tunes with equal specs are the same tune.

    Attributes:
        params: NAME=KIND:..., the search space (see :class:`Param`).
        fixed: KEY=VALUE overrides every trial gets.
        metric: the summary.json metric to optimise ('' or the headline's name: the headline).
        direction: max or min.
        sampler: tpe (default), gp (Gaussian process) or random.
        seed: the sampler's seed.
        startup_trials: random trials before the sampler models (None: a third, 2 to 10).
        prune: stop a trial early when its curve is worse than the median of earlier trials.
        curve: FILE:COLUMN, the run's CSV of intermediate values that pruning reads.
    """

    params: tuple[str, ...]
    fixed: tuple[str, ...] = ()
    metric: str = ""
    direction: Literal["max", "min"] = "max"
    sampler: Literal["tpe", "gp", "random"] = "tpe"
    seed: int = 0
    startup_trials: int | None = None
    prune: bool = False
    curve: str = ""


@dataclass(frozen=True)
class TuneResult:
    """A tune after this call: its table rows, the best ok row (None if none), its files."""

    tune_id: str
    rows: tuple[dict[str, Any], ...]
    best: dict[str, Any] | None
    csv: Path
    figure: Path | None
    storage: Path
    ran: int = 0  # trials run by this call
    budget: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def parse_param(spec: str, fields: Mapping[str, ConfigField]) -> Param:
    """One ``--param`` of a tune, checked against run.py's Config."""
    name, sep, rest = spec.partition("=")
    name = name.strip().replace("-", "_")
    kind, sep2, body = rest.partition(":")
    if not sep or not sep2 or kind not in KINDS or not name:
        raise LabError(f"--param {spec!r}: write name=log:1e-5:1e-3, name=float:0:1, "
                       "name=int:1:4 or name=cat:a,b")
    if name not in fields:
        raise LabError(f"--param {spec!r}: Config has no field {name!r}; "
                       f"fields: {', '.join(fields)}")
    ftype = fields[name].type
    if kind == "cat":
        choices = tuple(c.strip() for c in body.split(",") if c.strip())
        if not choices:
            raise LabError(f"--param {spec!r}: no choices")
        for c in choices:
            parse_overrides({name: c}, fields)  # each choice is a value of the field
        return Param(name, "cat", choices=choices)
    bounds = body.split(":")
    try:
        low, high = (float(b) for b in bounds)
    except ValueError:
        raise LabError(f"--param {spec!r}: {kind} needs two numbers, LO:HI") from None
    if not low < high or (kind == "log" and low <= 0):
        raise LabError(f"--param {spec!r}: need LO < HI" + (" and LO > 0" if kind == "log"
                                                           else ""))
    try:
        one = parse_value("1", ftype, name)
    except ConfigError:
        one = None
    if not isinstance(one, int | float) or isinstance(one, bool):
        raise LabError(f"--param {spec!r}: {name} is {ftype}, not a number: use cat:A,B")
    integer = isinstance(one, int)
    if kind in ("float",) and integer:
        raise LabError(f"--param {spec!r}: {name} is an int: use int:LO:HI or log:LO:HI")
    if (kind == "int" or integer) and not (low.is_integer() and high.is_integer()):
        raise LabError(f"--param {spec!r}: integer bounds, please")
    return Param(name, kind, low, high, integer=integer)  # type: ignore[arg-type]


def _curve(spec: TuneSpec) -> tuple[str, str]:
    if not spec.curve:
        if spec.prune:
            raise LabError("--prune needs --curve FILE:COLUMN, the run's CSV of intermediate "
                           "values (e.g. --curve grpo/eval.csv:pass1)")
        return "", ""
    file, sep, column = spec.curve.rpartition(":")
    if not sep or not file or not column or Path(file).is_absolute() or ".." in Path(file).parts:
        raise LabError(f"--curve {spec.curve!r}: write FILE:COLUMN, FILE inside the run's folder")
    return file, column


# ------------------------------------------------------------------ finding and naming tunes
def _identity(spec: TuneSpec) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(spec)))


def find_tunes(exp: Experiment) -> list[dict[str, Any]]:
    """The stored spec of every tune of an experiment (``data/tunes/tune-NNN.json``)."""
    folder = exp.data / "tunes"
    out = []
    for p in sorted(folder.glob("tune-*.json")) if folder.is_dir() else []:
        try:
            out.append(json.loads(p.read_text(encoding="utf-8")))
        except ValueError:
            continue  # a spec being written: atomic writes make this a claimed, empty id
    return out


def _claim_id(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    taken = [int(m.group(1)) for p in folder.iterdir()
             if (m := re.match(r"^tune-(\d+)\.json$", p.name))]
    n = max(taken, default=0) + 1
    while True:
        tune_id = f"tune-{n:03d}"
        try:
            (folder / f"{tune_id}.json").open("x").close()
            return tune_id
        except FileExistsError:
            n += 1


def _open_tune(exp: Experiment, spec: TuneSpec, trials: int, fresh: bool,
               clock: Clock) -> str:
    """The id of the tune with this spec (resumed), or of a new one; its spec file written."""
    folder = exp.data / "tunes"
    identity = _identity(spec)
    match = None if fresh else next(
        (s for s in reversed(find_tunes(exp)) if s.get("spec") == identity), None)
    tune_id = match["tune_id"] if match else _claim_id(folder)
    record = {"tune_id": tune_id, "experiment": exp.name, "spec": identity, "trials": trials,
              "created": match["created"] if match else clock().isoformat(timespec="seconds")}
    atomic.write_json(folder / f"{tune_id}.json", record)
    return tune_id


class _Lock:
    """An exclusive, non-blocking lock on one tune: two processes never run the same study.

    The lock is an ``flock`` on the journal file itself (Optuna only appends to it, so its inode
    stays): no lock file is left behind, and a killed launcher's lock goes with its process."""

    def __init__(self, path: Path, tune_id: str) -> None:
        self.path, self.tune_id, self.fd = path, tune_id, -1

    def __enter__(self) -> _Lock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise LabError(f"{self.tune_id} is running in another process") from None
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# ------------------------------------------------------------------ the study
def _optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def _startup(spec: TuneSpec, trials: int) -> int:
    if spec.startup_trials is not None:
        return max(0, spec.startup_trials)
    return max(2, min(10, trials // 3))


def _study(optuna: Any, storage: Any, tune_id: str, spec: TuneSpec, trials: int) -> Any:
    startup = _startup(spec, trials)
    if spec.sampler == "gp":
        try:
            import scipy  # noqa: F401  (Optuna's GP sampler optimises with it)
        except ImportError:
            raise LabError("--sampler gp needs scipy: pip install scipy") from None
        sampler = optuna.samplers.GPSampler(seed=spec.seed, n_startup_trials=startup)
    elif spec.sampler == "random":
        sampler = optuna.samplers.RandomSampler(seed=spec.seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=spec.seed, n_startup_trials=startup)
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=max(1, startup), n_warmup_steps=0)
              if spec.prune else optuna.pruners.NopPruner())
    return optuna.create_study(study_name=tune_id, storage=storage, sampler=sampler,
                               pruner=pruner, load_if_exists=True,
                               direction="maximize" if spec.direction == "max" else "minimize")


def _counted(optuna: Any, t: Any) -> bool:
    """Does this trial use up the budget (finished, and not cut short by an interruption)?"""
    states = optuna.trial.TrialState
    return t.state in (states.COMPLETE, states.PRUNED) or (
        t.state == states.FAIL and not t.user_attrs.get("interrupted"))


def metric_value(exp: Experiment, record: RunRecord, metric: str) -> float:
    """The trial's objective: the headline, or a metric of its summary.json (NaN if none)."""
    if not metric or metric == record.headline_name:
        return record.headline_value
    path = exp.runs_dir / record.run_id / "summary.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("metrics", {}).get(metric)
        return float(value) if value is not None else math.nan
    except (OSError, ValueError, TypeError, AttributeError):
        return math.nan


def _conclude(optuna: Any, study: Any, number: int, set_attr: Any, exp: Experiment,
              record: RunRecord, metric: str, params: Mapping[str, Any]) -> None:
    """Tell Optuna how a trial's run ended (an interrupted one is queued to run again)."""
    states = optuna.trial.TrialState
    set_attr("run_id", record.run_id)
    if record.status == "ok":
        value = metric_value(exp, record, metric)
        if math.isfinite(value):
            study.tell(number, value)
            return
        set_attr("error", f"no finite {metric or 'headline'} in summary.json")
        study.tell(number, state=states.FAIL)
    elif record.status == "pruned":
        study.tell(number, state=states.PRUNED)
    else:
        set_attr("error", record.error or record.status)
        if record.status in ("interrupted", "running"):
            set_attr("interrupted", True)
            study.enqueue_trial(dict(params), skip_if_exists=False)
        study.tell(number, state=states.FAIL)


def _recover(optuna: Any, study: Any, storage: Any, exp: Experiment, tune_id: str,
             metric: str, echo: bool) -> None:
    """Settle the trials a dead launcher left running, from the ledger rows it left."""
    states = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False)
    stale = [t for t in trials if t.state == states.RUNNING]
    if not stale:
        return
    ledger = Ledger(exp.ledger)
    told = {t.user_attrs.get("run_id") for t in trials}
    orphans = [r for r in ledger.read() if r.sweep_id == tune_id and r.run_id not in told]
    # One trial runs at a time, so the n-th stale trial is the n-th untold run of this tune.
    for i, t in enumerate(stale):
        def set_attr(key: str, value: Any, trial_id: int = t._trial_id) -> None:
            storage.set_trial_user_attr(trial_id, key, value)
        record = orphans[i] if i < len(orphans) else RunRecord("", status="running")
        if record.status == "running" and record.run_id:
            record = ledger.update(record.run_id, status="interrupted",
                                   error="the tune stopped while this trial ran")
        if echo:
            print(f"[{tune_id}] trial {t.number} ({record.run_id or 'not started'}) was "
                  f"{'adopted' if record.status in ('ok', 'failed', 'pruned') else 'cut short'}"
                  " after the launcher stopped", flush=True)
        _conclude(optuna, study, t.number, set_attr, exp, record, metric, t.params)


def _watcher(trial: Any, curve: tuple[str, str]) -> Any:
    file, column = curve
    reported: set[int] = set()

    def watch(run_dir: Path) -> bool:
        for i, row in enumerate(read_rows(run_dir / file)):
            try:
                value = float(row.get(column, ""))
                step = int(float(row["step"])) if row.get("step") else i
            except ValueError:
                continue
            if step not in reported and math.isfinite(value):
                trial.report(value, step)
                reported.add(step)
        return bool(reported) and trial.should_prune()

    return watch


def param_names(specs: Iterable[str]) -> list[str]:
    """The field names of ``--param`` specs, in order."""
    return [s.partition("=")[0].strip().replace("-", "_") for s in specs]


# ------------------------------------------------------------------ the table
def tune_rows(optuna: Any, study: Any, exp: Experiment, params: Sequence[Param],
              direction: str) -> list[dict[str, Any]]:
    """One row per trial started so far, in trial order, as the tune's CSV holds them."""
    states = optuna.trial.TrialState
    ledger = {r.run_id: r for r in Ledger(exp.ledger).read()}
    rows, best = [], math.nan
    better = max if direction == "max" else min
    for t in study.get_trials(deepcopy=False):
        if t.state == states.WAITING:
            continue
        run_id = t.user_attrs.get("run_id", "")
        record = ledger.get(run_id) or RunRecord(run_id or "-", status="running")
        point = {p.name: format_value(t.params[p.name]) if p.name in t.params else ""
                 for p in params}
        row = trial_row(exp, t.number, record, point)
        value = t.value if t.state == states.COMPLETE else math.nan
        if math.isfinite(value):
            best = value if math.isnan(best) else better(best, value)
        state = "interrupted" if t.user_attrs.get("interrupted") else t.state.name.lower()
        head = {k: row.pop(k) for k in ("trial", "run_id", *point, "status")}
        rows.append({**head, "state": state, "value": value, "best_so_far": best,
                     "error": t.user_attrs.get("error", ""), **row})
    return rows


def best_row(rows: Iterable[Mapping[str, Any]], direction: str) -> dict[str, Any] | None:
    ok = [dict(r) for r in rows if r.get("state") == "complete"
          and math.isfinite(float(r.get("value", math.nan)))]
    if not ok:
        return None
    key = (lambda r: float(r["value"])) if direction == "max" else (lambda r: -float(r["value"]))
    return max(ok, key=key)


# ------------------------------------------------------------------ the loop
def run_tune(experiment: Experiment | Path | str, spec: TuneSpec, trials: int,
             fresh: bool = False, clock: Clock = _now, echo: bool = True,
             python: str | None = None) -> TuneResult:
    """Run a tune until ``trials`` trials count towards its budget (continuing one with the
    same spec unless ``fresh``).  Every value is checked against run.py's Config first."""
    exp = experiment if isinstance(experiment, Experiment) else Experiment.at(Path(experiment))
    if not 1 <= trials <= MAX_TRIALS:
        raise LabError(f"--trials {trials}: between 1 and {MAX_TRIALS}")
    fields = config_fields(exp.run_py)
    if not spec.params:
        raise LabError("a tune needs at least one --param, e.g. --param lr=log:1e-5:1e-3")
    params = [parse_param(p, fields) for p in spec.params]
    names = [p.name for p in params]
    if len(set(names)) < len(names):
        raise LabError(f"a --param is given twice: {names}")
    fixed = parse_overrides(spec.fixed, fields)
    if set(fixed) & set(names):
        raise LabError(f"{sorted(set(fixed) & set(names))} given both as --set and --param")
    curve = _curve(spec)
    optuna = _optuna()
    tune_id = _open_tune(exp, spec, trials, fresh, clock)
    folder = exp.data / "tunes"
    journal = folder / f"{tune_id}.journal"
    from optuna.storages.journal import JournalFileBackend

    with _Lock(journal, tune_id):
        storage = optuna.storages.JournalStorage(JournalFileBackend(str(journal)))
        study = _study(optuna, storage, tune_id, spec, trials)
        _recover(optuna, study, storage, exp, tune_id, spec.metric, echo)
        ran = 0
        csv_path, fig_path = folder / f"{tune_id}.csv", exp.figures / f"{tune_id}.png"
        while (done := sum(_counted(optuna, t) for t in study.get_trials(deepcopy=False))) \
                < trials:
            trial = study.ask()
            values = {p.name: p.suggest(trial) for p in params}
            typed = parse_overrides({k: format_value(v) for k, v in values.items()}, fields)
            if echo:
                label = " ".join(f"{k}={format_value(v)}" for k, v in typed.items())
                print(f"[{tune_id} trial {done + 1}/{trials}] {label}", flush=True)
            record = _run_experiment(exp, {**fixed, **typed}, sweep_id=tune_id, clock=clock,
                                     echo=echo, python=python,
                                     watch=_watcher(trial, curve) if spec.prune else None)
            ran += 1
            _conclude(optuna, study, trial.number, trial.set_user_attr, exp, record,
                      spec.metric, values)
            rows = tune_rows(optuna, study, exp, params, spec.direction)
            write_table(csv_path, rows)
            tune_figure(rows, params, spec.metric or record.headline_name or "headline",
                        spec.direction, fig_path, tune_id)
            if record.status == "interrupted":
                break
        rows = tune_rows(optuna, study, exp, params, spec.direction)
        write_table(csv_path, rows)
        headline = next((r["headline_name"] for r in rows if r.get("headline_name")), "")
        figure = tune_figure(rows, params, spec.metric or headline or "headline",
                             spec.direction, fig_path, tune_id)
    return TuneResult(tune_id, tuple(rows), best_row(rows, spec.direction), csv_path, figure,
                      journal, ran, trials)


def tune_summary(exp: Experiment, stored: Mapping[str, Any]) -> dict[str, Any]:
    """What a program reads about one tune: its spec, budget, trials so far and best row."""
    tune_id = stored.get("tune_id", "")
    folder = exp.data / "tunes"
    rows = read_rows(folder / f"{tune_id}.csv")
    spec = stored.get("spec", {})
    direction = spec.get("direction", "max")
    best = best_row(rows, direction)
    figure = exp.figures / f"{tune_id}.png"
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.get("state", "")] = counts.get(r.get("state", ""), 0) + 1
    done = sum(counts.get(s, 0) for s in ("complete", "pruned", "fail"))
    return {"tune_id": tune_id, "spec": spec, "trials": stored.get("trials"), "done": done,
            "created": stored.get("created", ""), "states": counts,
            "command": tune_command(exp.name, stored),
            "best": None if best is None else {
                "trial": int(best["trial"]), "run_id": best["run_id"],
                "value": float(best["value"]),
                "params": {n: best.get(n) for n in param_names(spec.get("params", []))}},
            "csv": str((folder / f"{tune_id}.csv").relative_to(exp.path)),
            "figure": str(figure.relative_to(exp.path)) if figure.is_file() else None}


def tune_command(experiment: str, stored: Mapping[str, Any]) -> str:
    """The ``rocks lab tune`` command of a stored tune (running it continues that tune)."""
    spec = stored.get("spec", {})
    argv = ["rocks", "lab", "tune", experiment]
    for p in spec.get("params", []):
        argv += ["--param", p]
    for f in spec.get("fixed", []):
        argv += ["--set", f]
    if spec.get("metric"):
        argv += ["--metric", spec["metric"]]
    argv += ["--direction", spec.get("direction", "max"), "--trials", str(stored.get("trials"))]
    if spec.get("sampler", "tpe") != "tpe":
        argv += ["--sampler", spec["sampler"]]
    if spec.get("seed"):
        argv += ["--seed", str(spec["seed"])]
    if spec.get("startup_trials") is not None:
        argv += ["--startup-trials", str(spec["startup_trials"])]
    if spec.get("prune"):
        argv.append("--prune")
    if spec.get("curve"):
        argv += ["--curve", spec["curve"]]
    return shlex.join(argv)


# ------------------------------------------------------------------ the figure
def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def tune_figure(rows: Sequence[Mapping[str, Any]], params: Sequence[Param], metric: str,
                direction: str, path: Path, title: str) -> Path | None:
    """The metric against trial number with the best so far, then against each parameter
    (colour: trial number, so where the sampler went shows); None before any ok trial."""
    ok = [r for r in rows if r.get("state") == "complete" and _finite(r.get("value"))]
    if not ok:
        return None
    panels = 1 + len(params)
    ncols = min(3, panels)
    nrows = math.ceil(panels / ncols)
    fig, axes = new_figure(nrows, ncols, width=4.2, height=3.2, squeeze=False)
    trial = [int(r["trial"]) for r in ok]
    value = [float(r["value"]) for r in ok]
    ax = axes[0][0]
    ax.scatter(trial, value, s=18, label="trial")
    best = [(int(r["trial"]), float(r["best_so_far"])) for r in rows
            if _finite(r.get("best_so_far"))]
    ax.step(*zip(*best, strict=True), where="post", color="C1",
            label=f"best so far ({direction})")
    bad = [int(r["trial"]) for r in rows if r.get("state") in ("fail", "pruned")]
    if bad:  # where the budget went without a value: a rug under the points
        ax.scatter(bad, [min(value)] * len(bad), marker="x", color="C3", s=22,
                   label="failed or pruned")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    top = best_row(ok, direction)
    scatter = None
    for j, p in enumerate(params, 1):
        ax = axes[j // ncols][j % ncols]
        if p.kind == "cat":
            where = {c: float(i) for i, c in enumerate(p.choices)}
            xs = [where.get(str(r[p.name]), math.nan) for r in ok]
            ax.set_xticks(list(where.values()), list(where))
            ax.set_xlim(-0.5, len(where) - 0.5)
        else:
            from matplotlib.ticker import MaxNLocator, NullFormatter

            xs = [float(r[p.name]) for r in ok]
            if p.kind == "log":
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())  # "2x10^-5 3x10^-5 ..." overlap
            if p.kind == "int" or p.integer:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            # The whole declared range, so the figure shows where the space was not sampled.
            pad = (p.high / p.low) ** 0.03 if p.kind == "log" else 0.03 * (p.high - p.low)
            ax.set_xlim(*((p.low / pad, p.high * pad) if p.kind == "log"
                          else (p.low - pad, p.high + pad)))
        scatter = ax.scatter(xs, value, c=trial, cmap="viridis", s=22)
        if top is not None:
            k = ok.index(next(r for r in ok if r["trial"] == top["trial"]))
            ax.scatter([xs[k]], [value[k]], marker="*", s=160, facecolors="none",
                       edgecolors="C3", label="best")
            ax.legend(fontsize="small")
        ax.set_xlabel(p.name)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    if scatter is not None:
        fig.colorbar(scatter, ax=axes[(panels - 1) // ncols][(panels - 1) % ncols],
                     label="trial")
    for j in range(panels, nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    fig.suptitle(f"{title}: {len(ok)} of {len(rows)} trials complete")
    return save_figure(fig, path.name, path.parent)

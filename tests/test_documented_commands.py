"""Every documented ``rocks ...`` command line parses; the cheap ones also run on tiny inputs.

The commands are read from README.md, docs/*.md and models/**/*.md: lines of code blocks
(fenced or indented, ``$ `` prompts and ``\\`` continuations included) and inline code spans
that start with ``rocks ``.  Each is parsed by the real parser of its command
(:func:`rocks.cli.build_parser`), without running it, so a documented flag that does not exist
fails here.  Notation the docs use for readers: ``[...]`` marks optional parts (they are kept
and checked), ``...``/``…`` elides (it is dropped, with a flag it follows).  A span that names
a command without options (``rocks data import``) is a reference: the command must exist.

Cheap commands (``rocks lab``, ``rocks data import``, ``rocks nets init|info``) are then run
once, in the order documented, in a temporary folder with tiny inputs.  A command whose area
does not expose its parser yet is an expected failure (xfail), not an error.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from rocks.cli import COMMANDS, build_parser
from rocks.cli import main as rocks_main

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
        *sorted((REPO / "models").glob("**/*.md"))]
ELISIONS = ("...", "…")
CHEAP = {("data", "import"), ("nets", "init"), ("nets", "info")}  # besides every `rocks lab`


@dataclass(frozen=True)
class Documented:
    """One command line as a doc shows it."""

    where: str  # file:line
    text: str
    argv: tuple[str, ...]  # after "rocks"
    inline: bool  # a span in prose, not a line of a code block


def to_argv(text: str) -> tuple[str, ...]:
    tokens = shlex.split(text, comments=True)
    out: list[str] = []
    for token in tokens[1:]:  # tokens[0] is "rocks"
        token = token.strip("[]")
        if token in ELISIONS:
            if out and out[-1].startswith("-"):
                out.pop()  # "[--set ...]": more of that flag
            continue
        if token:
            out.append(token)
    return tuple(out)


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every line in a fenced or indented code block."""
    lines, fenced, out = text.splitlines(), False, []
    for i, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    "):
            out.append((i, line.strip()))
    return out


def documented_commands() -> list[Documented]:
    found: list[Documented] = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(REPO))
        code = _code_lines(text)
        j = 0
        while j < len(code):
            lineno, line = code[j]
            command = line.removeprefix("$ ")
            while command.endswith("\\") and j + 1 < len(code):
                j += 1
                command = command[:-1] + " " + code[j][1]
            if re.match(r"rocks [a-z]", command):
                found.append(Documented(f"{name}:{lineno}", command, to_argv(command), False))
            j += 1
        # Fenced blocks blanked (their lines kept) so that a span's line number stays right.
        prose = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
        for m in re.finditer(r"`(rocks [a-z][^`]*)`", prose):
            if "<" in m.group(1) or "\n\n" in m.group(1):
                continue  # "rocks <command> --help": a pattern, not a command
            lineno = prose[: m.start()].count("\n") + 1
            command = " ".join(m.group(1).split())
            found.append(Documented(f"{name}:{lineno}", command, to_argv(command), True))
    return list(dict.fromkeys(found))


COMMANDS_IN_DOCS = documented_commands()


def parse_error(argv: list[str] | tuple[str, ...]) -> str | None:
    """None if ``rocks argv`` parses (or is a --help), else argparse's message."""
    parser = build_parser(argv[0])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            parser.parse_args(argv[1:])
        except SystemExit as exit_:
            return None if exit_.code == 0 else err.getvalue().strip().splitlines()[-1]
    return None


def parser_or_xfail(name: str) -> None:
    if name not in COMMANDS:
        pytest.fail(f"rocks {name} is not a command")
    try:
        build_parser(name)
    except (AttributeError, ImportError) as exc:
        pytest.xfail(f"rocks {name} does not expose {COMMANDS[name].parser} yet ({exc})")


def test_the_docs_show_commands_of_every_kind() -> None:
    # The extraction above must find what it checks (an empty list would pass every test).
    kinds = {d.argv[0] for d in COMMANDS_IN_DOCS if d.argv}
    assert {"data", "train", "lab", "gtp", "play", "arena", "reason"} <= kinds
    assert len(COMMANDS_IN_DOCS) >= 40


@pytest.mark.parametrize("doc", COMMANDS_IN_DOCS, ids=lambda d: f"{d.where} {d.text[:60]}")
def test_documented_command_parses(doc: Documented) -> None:
    parser_or_xfail(doc.argv[0])
    error = parse_error(doc.argv)
    if error and doc.inline:
        options = [a for a in doc.argv if a.startswith("-")]
        if not options and "required" in error:
            error = parse_error([*doc.argv, "--help"])  # names a command: it must exist
        elif options and error.endswith(f"argument {doc.argv[-1]}: expected one argument"):
            error = None  # names a flag ("rocks gtp --move-time"): the parser knows it
    assert error is None, f"{doc.where}: `{doc.text}` does not parse: {error}"


def test_the_parse_check_can_fail() -> None:
    assert parse_error(["train", "loop", "--out", "x", "--no-such-flag"]) is not None
    assert parse_error(["data", "import", "--out", "x"]) is not None  # sources are required
    assert to_argv("rocks lab run EXP [--set key=value ...] [--set ...]") == (
        "lab", "run", "EXP", "--set", "key=value")


@pytest.mark.parametrize("doc", [d for d in COMMANDS_IN_DOCS if d.argv[:2] == ("lab", "run")
                                 and "--set" in d.argv], ids=lambda d: d.where)
def test_documented_overrides_are_fields_of_the_experiment(doc: Documented) -> None:
    from rocks.lab.folders import LabError, resolve_experiment
    from rocks.lab.runner import config_fields, parse_overrides

    try:
        exp = resolve_experiment(doc.argv[2], REPO / "experiments")
    except LabError:
        pytest.skip(f"{doc.argv[2]!r} is a placeholder, not an experiment of this repository")
    sets = [doc.argv[i + 1] for i, a in enumerate(doc.argv) if a == "--set"]
    parse_overrides(sets, config_fields(exp.run_py))  # LabError names a field run.py lacks


# ------------------------------------------------------------------ running the cheap ones
def _sgf(i: int) -> str:
    moves = ["ee", "cc", "gg", "cg", "gc", "dd", "ff"]
    body = "".join(f";{'BW'[k % 2]}[{m}]" for k, m in enumerate(moves[: 3 + i % 4]))
    return f"(;GM[1]FF[4]SZ[9]KM[7.5]RE[B+{i}.5]{body};W[];B[])"


def _run_py(keys: list[str]) -> str:
    fields = "\n".join(f'    {k}: str = ""' for k in keys) or "    seed: int = 0"
    return f'''"""A tiny stand-in for a documented experiment."""

from dataclasses import dataclass

from rocks.lab import start_run


@dataclass(frozen=True)
class Config:
{fields}


if __name__ == "__main__":
    run = start_run(Config, __file__)
    run.finish("fields", len(vars(run.config)))
'''


def _lab_keys(docs: list[Documented]) -> list[str]:
    keys: list[str] = []
    for d in docs:
        for i, a in enumerate(d.argv[:-1]):
            if a in ("--set", "--param"):
                key = d.argv[i + 1].partition("=")[0]
                keys += [key] if key not in keys else []
    return keys


def _run(argv: tuple[str, ...], doc: Documented) -> None:
    code = rocks_main(list(argv))
    assert code == 0, f"{doc.where}: `{doc.text}` exited {code}"


def test_documented_lab_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`rocks lab new` makes the experiment; the commands naming it then run against a run.py
    whose Config has the fields the docs set, so a documented sequence works end to end."""
    from rocks.lab.folders import LabError, resolve_experiment

    monkeypatch.chdir(tmp_path)
    root = tmp_path / "experiments"
    lab = [d for d in COMMANDS_IN_DOCS if d.argv[:1] == ("lab",) and not parse_error(d.argv)]
    keys = _lab_keys(lab)
    ran = 0
    for doc in lab:
        sub = doc.argv[1]
        if sub in ("run", "show", "sweep", "tune", "next"):
            try:
                resolve_experiment(doc.argv[2], root)
            except LabError:
                continue  # a placeholder (EXP) or an experiment of this repository
            if "--resume" in doc.argv:
                continue
        argv = ("lab", "--root", str(root), *doc.argv[1:])
        if sub in ("run", "sweep", "tune"):
            argv = (*argv, "--quiet")
        before = {p.name for p in root.glob("*")} if root.is_dir() else set()
        _run(argv, doc)
        ran += 1
        if sub == "new":
            (new,) = [p for p in root.glob("*") if p.name not in before]
            (new / "run.py").write_text(_run_py(keys))
    assert ran >= 5  # README's new, run, sweep, list and show at least


def test_documented_import_and_nets_commands_run(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cheap = [d for d in COMMANDS_IN_DOCS if d.argv[:2] in CHEAP and not parse_error(d.argv)]
    for doc in cheap:
        if doc.argv[1] == "import":
            cfg = build_parser("data").parse_args(list(doc.argv[1:]))
            for n, source in enumerate(cfg.sources):
                folder = tmp_path / source
                folder.mkdir(parents=True, exist_ok=True)
                for i in range(3):
                    (folder / f"g{n}_{i}.sgf").write_text(_sgf(3 * n + i))
        _run(doc.argv, doc)
    assert any(d.argv[:2] == ("data", "import") for d in cheap)

"""Experiment folders: names, contents, collisions, bad topics, lookup."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rocks.lab.folders import (
    REPORT_SECTIONS,
    Experiment,
    LabError,
    find_experiments,
    new_experiment,
    report_sections,
    resolve_experiment,
    slugify,
)

NOW = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize(("topic", "slug"), [
    ("Random Go games", "random-go-games"),
    ("  How long are   games? (5x5, 9x9)  ", "how-long-are-games-5x5-9x9"),
    ("Élo of GNU Go — level 10", "elo-of-gnu-go-level-10"),
    ("GRPO/Dr.GRPO", "grpo-dr-grpo"),
])
def test_slug_is_lower_case_words_joined_by_dashes(topic: str, slug: str) -> None:
    assert slugify(topic) == slug


def test_long_topics_are_cut_at_a_word_boundary() -> None:
    slug = slugify("a very long topic " * 10)
    assert len(slug) <= 48
    assert not slug.endswith("-")
    assert slug.startswith("a-very-long-topic-a-very")
    assert slugify("random go games length and tromp taylor score by board size") == \
        "random-go-games-length-and-tromp-taylor-score"


@pytest.mark.parametrize("topic", ["", "   ", "?!...", "π∑"])
def test_topics_without_letters_or_digits_are_refused(topic: str, root: Path) -> None:
    with pytest.raises(LabError, match="topic"):
        new_experiment(topic, root=root, now=NOW)
    assert not root.exists() or not any(root.iterdir())


def test_new_experiment_has_the_fixed_shape(root: Path) -> None:
    exp = new_experiment("Random Go games", root=root, now=NOW)
    assert exp.path == root / "2026-11-25_21-30_random-go-games"
    assert exp.created == NOW and exp.slug == "random-go-games"
    assert exp.run_py.is_file() and exp.report.is_file()
    assert (exp.path / "data").is_dir() and (exp.path / "figures").is_dir()
    sections = report_sections(exp.report.read_text())
    assert list(sections) == list(REPORT_SECTIONS)
    assert exp.report.read_text().startswith("# Random Go games")


def test_run_py_has_a_frozen_config_dataclass_at_the_top(root: Path) -> None:
    exp = new_experiment("x", root=root, now=NOW)
    tree = ast.parse(exp.run_py.read_text())
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert classes[0].name == "Config"
    assert classes[0].lineno < min(f.lineno for f in functions)
    decorator = ast.unparse(classes[0].decorator_list[0])
    assert decorator == "dataclass(frozen=True)"


def test_a_topic_with_quotes_and_backslashes_still_gives_valid_python(root: Path) -> None:
    exp = new_experiment('say """hi""" \\x00 {braces}', root=root, now=NOW)
    ast.parse(exp.run_py.read_text())


def test_the_same_name_twice_is_a_clear_error_and_keeps_the_first(root: Path) -> None:
    first = new_experiment("Random Go games", root=root, now=NOW)
    first.report.write_text("my notes")
    with pytest.raises(LabError, match="already exists"):
        new_experiment("random go GAMES", root=root, now=NOW)
    assert first.report.read_text() == "my notes"
    later = new_experiment("Random Go games", root=root, now=NOW.replace(minute=31))
    assert later.name == "2026-11-25_21-31_random-go-games"


def test_find_and_resolve_experiments(root: Path) -> None:
    a = new_experiment("alpha one", root=root, now=NOW)
    b = new_experiment("alpha two", root=root, now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    (root / "notes").mkdir()
    assert [e.name for e in find_experiments(root)] == [b.name, a.name]
    assert resolve_experiment("one", root) == a
    assert resolve_experiment(str(b.path), root) == b
    assert resolve_experiment(b.name, root) == b
    with pytest.raises(LabError, match="several"):
        resolve_experiment("alpha", root)
    with pytest.raises(LabError, match="no experiment"):
        resolve_experiment("gamma", root)


def test_a_folder_that_is_not_an_experiment_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    with pytest.raises(LabError, match="not an experiment name"):
        Experiment.at(tmp_path / "notes")
    bare = tmp_path / "2026-01-01_00-00_bare"
    bare.mkdir()
    with pytest.raises(LabError, match="no run.py"):
        Experiment.at(bare)

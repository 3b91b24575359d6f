"""The layout of docs/architecture.md holds: import-linter's contracts (.importlinter) are kept,
and no module outgrows one concept (~600 lines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 650  # "~600": split a module before it reaches this


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), str(ROOT / ".importlinter"), "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_contracts_cover_every_top_level_package():
    """A new package must be placed in the layers, or the contract would not see it."""
    config = (ROOT / ".importlinter").read_text()
    packages = {p.name for p in (ROOT / "src" / "rocks").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in (ROOT / "src" / "rocks").glob("*.py")} - {"__init__", "__main__"}
    missing = sorted(n for n in packages | modules if f"rocks.{n}" not in config)
    assert not missing, f"place these in .importlinter's layers: {missing}"


def test_no_module_exceeds_the_size_of_one_concept():
    big = {str(p.relative_to(ROOT)): n for p in (ROOT / "src").rglob("*.py")
           if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"split these modules (> {MAX_LINES} lines): {big}"

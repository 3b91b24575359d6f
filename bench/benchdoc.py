"""Writing one bench script's section of docs/benchmarks.md, leaving the other sections alone."""

from __future__ import annotations

from pathlib import Path

from rocks.atomic import write_text


def replace_section(path: Path, heading: str, section: str) -> None:
    """Replace the section that starts with ``heading`` (a ``## ...`` line), or append it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("" if end < 0 else text[end + 1:])
    write_text(path, text)


def machine_meta(command: str) -> dict[str, str]:
    """When and where a benchmark ran, and the command that reruns it."""
    import os
    import platform
    from datetime import UTC, datetime

    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cpus, "
                       f"Python {platform.python_version()}",
            "load": f"{os.getloadavg()[0]:.1f}", "command": command}


def publish(out: str | Path, config: dict, meta: dict, results: object, section: str,
            heading: str, write_docs: bool) -> None:
    """Keep the raw results as JSON at ``out``, print the section, and write it into
    docs/benchmarks.md when asked."""
    import json

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps({"config": config, "meta": meta, "results": results},
                                indent=1))
    print(section)
    if write_docs:
        replace_section(Path("docs/benchmarks.md"), heading, section)


def run_bench(config_cls: type, script: str, run, render, heading: str,  # noqa: ANN001
              doc: str, argv: list[str] | None = None) -> int:
    """A bench script's main: its frozen config from the command line, ``run(cfg)``, then
    :func:`publish` of ``render(cfg, results, meta)``; the command in the meta names only the
    flags that differ from the defaults."""
    import argparse
    from dataclasses import asdict

    from rocks.configcli import add_config_arguments, config_from_args

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    add_config_arguments(parser, config_cls)
    cfg = config_from_args(config_cls, parser.parse_args(argv))
    defaults = asdict(config_cls())
    changed = [f"--{k.replace('_', '-')} {v}" for k, v in asdict(cfg).items()
               if v != defaults[k] and k not in ("write_docs", "out")]
    meta = machine_meta(" ".join([f".venv/bin/python {script}", *changed]))
    res = run(cfg)
    publish(cfg.out, asdict(cfg), meta, res, render(cfg, res, meta), heading, cfg.write_docs)
    return 0

"""What every benchmark prints beside its figures: the machine, and docs/benchmarks.md upkeep."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path


def describe_machine() -> str:
    """One line: CPU model, cores, memory, Python and the libraries that matter."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{memory_kb / 1024 / 1024:.0f} GB"
    except OSError:
        memory = "unknown memory"
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for name in ("lxml", "networkx", "scipy", "igraph", "sqlite-utils", "datasette"):
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    import sqlite3

    return (f"Machine: {cpu}, {os.cpu_count()} cores, {memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, " + ", ".join(versions) + ".")


def replace_section(path: Path, heading: str, body: str) -> None:
    """Replace the text under '## heading' (up to the next '## ') in a markdown file, or append it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\nEach section is written by its script; rerun it to refresh.\n"
    block = f"## {heading}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip() + "\n")

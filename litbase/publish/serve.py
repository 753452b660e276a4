"""``litbase serve``: the arguments for ``datasette serve``, and the run.

Datasette's own command does the serving (its checks, startup hooks and
uvicorn setup stay Datasette's); litbase only decides the arguments and writes
the metadata for the databases actually served.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from litbase.publish.auth import ReviewersError, read_reviewers
from litbase.publish.pages import database_name, metadata_for

DEFAULT_HOST = "127.0.0.1"  # never all interfaces unless asked: Datasette runs read-only SQL for anyone
DEFAULT_PORT = 8001

# Datasette settings for every run: facet suggestions made a table page take about
# 350 ms instead of 9-27 ms (Datasette 0.65 on a 2-core machine; docs/benchmarks.md,
# Serve, compares these settings with the defaults); the configured facets stay.
# Long abstracts are cut in table views (the article page shows them whole);
# facets list their top ten values, with a link to more.
SETTINGS = {"suggest_facets": False, "truncate_cells_html": 200, "default_facet_size": 10}

# --public: a site anyone can reach. SQL time limits bound what one request
# can cost; no download of the database file; arbitrary SQL is refused through
# metadata (allow_sql: false) and the default_allow_sql setting, canned
# queries still run.
PUBLIC_SETTINGS = {
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 200,
    "max_returned_rows": 1000,
    "allow_download": False,
    "default_allow_sql": False,
    "max_csv_mb": 20,
}


def settings(public: bool = False) -> dict:
    """Datasette settings, as ``Datasette(settings=...)`` takes them."""
    return {**SETTINGS, **(PUBLIC_SETTINGS if public else {})}


def datasette_args(db_paths, metadata_path, host=DEFAULT_HOST, port=DEFAULT_PORT, public=False) -> list[str]:
    """The ``datasette serve`` argument list (CORS is never switched on)."""
    args = []
    for path in db_paths:
        # Immutable: opened read-only without locking checks, row counts computed once.
        args += ["-i", str(path)] if public else [str(path)]
    args += ["--host", host, "--port", str(port), "--metadata", str(metadata_path)]
    for name, value in settings(public).items():
        text = ("on" if value else "off") if isinstance(value, bool) else str(value)
        args += ["--setting", name, text]
    return args


# The reviewers file reaches the plugin through the environment: Datasette shows
# its metadata to anyone at /-/metadata.json, but not the values of $env entries.
REVIEWERS_VARIABLE = "LITBASE_REVIEWERS_FILE"


def with_reviewers(metadata: dict, reviewers, environ) -> dict:
    """Metadata whose litbase plugin reads the reviewers file named in ``environ``.

    The file is checked first (ReviewersError: readable by others, a broken
    line, nobody listed); ``environ`` (os.environ for a run) gets its path.
    """
    if reviewers is None:
        return metadata
    path = Path(reviewers).resolve()
    if not read_reviewers(path):
        raise ReviewersError(f"reviewers file {reviewers} lists no reviewer (litbase reviewers add {reviewers} NAME)")
    environ[REVIEWERS_VARIABLE] = str(path)
    plugins = metadata.setdefault("plugins", {})
    plugins["litbase"] = {**(plugins.get("litbase") or {}), "reviewers_file": {"$env": REVIEWERS_VARIABLE}}
    return metadata


def serve(db_paths, host=DEFAULT_HOST, port=DEFAULT_PORT, public=False, reviewers=None) -> None:
    """Run Datasette on ``db_paths`` until interrupted; ``reviewers``: the file of who may screen."""
    from datasette.cli import serve as datasette_serve

    if public and reviewers is not None:
        # A public site is immutable: nothing can be written, so no one signs in to write.
        raise ReviewersError("--public serves read-only: screening with --reviewers needs a site without --public")
    names = [database_name(path) for path in db_paths]
    metadata = with_reviewers(metadata_for(names, public=public), reviewers, os.environ)
    with tempfile.TemporaryDirectory(prefix="litbase-serve-") as folder:
        metadata_path = Path(folder) / "metadata.yml"
        metadata_path.write_text(yaml.safe_dump(metadata, sort_keys=False))
        args = datasette_args(db_paths, metadata_path, host, port, public)
        datasette_serve.main(args=args, prog_name="litbase serve", standalone_mode=True)

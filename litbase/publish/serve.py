"""``litbase serve``: Datasette's app with litbase's settings and metadata, run by uvicorn in N processes.

Datasette's own command runs one process, and one Python process renders one
page at a time however many SQL threads it has. ``litbase serve`` builds the same
``Datasette`` object that ``datasette serve`` would (its files, immutable under
--public, settings and metadata) in each of uvicorn's worker processes, which
share the listening socket. Datasette runs its startup hooks and checks on the
first request of each process. Every worker signs and checks cookies (a
reviewer's sign-in, the CSRF token) with one secret, made once per run and
handed to the workers through the environment, never written to disk.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path

from litbase.publish.auth import ReviewersError, read_reviewers
from litbase.publish.pages import database_name, metadata_for

DEFAULT_HOST = "127.0.0.1"  # never all interfaces unless asked: Datasette runs read-only SQL for anyone
DEFAULT_PORT = 8001
# One worker process per CPU this process may use, at most four: pages are
# rendered in Python, so a second process on a second core doubles the pages a
# second, and each worker holds its own caches (facet marks, network layout).
DEFAULT_WORKERS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                             else os.cpu_count() or 1))

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


def datasette_for(db_paths, metadata: dict, public: bool = False, secret: str | None = None):
    """The ``Datasette`` that ``datasette serve`` makes of these files and this metadata.

    --public opens every file immutable (``-i``): read-only without locking
    checks, row counts computed once. CORS is never switched on.
    """
    from datasette.app import Datasette

    files = [str(path) for path in db_paths]
    return Datasette([] if public else files, immutables=files if public else [], metadata=metadata,
                     settings=settings(public), secret=secret)


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


# What each worker process builds its Datasette from (JSON), and the secret they share.
CONFIG_VARIABLE = "LITBASE_SERVE_CONFIG"
SECRET_VARIABLE = "DATASETTE_SECRET"  # Datasette's own variable: a secret set by the user is kept


def share_with_workers(db_paths, metadata: dict, public: bool, folder, environ) -> None:
    """Put in ``environ`` what every worker builds its Datasette from: the files, --public,
    the metadata (written in ``folder``) and the signing secret (kept if already set)."""
    metadata_path = Path(folder) / "metadata.json"
    metadata_path.write_text(json.dumps(metadata), encoding="utf-8")
    environ[CONFIG_VARIABLE] = json.dumps({"files": [str(Path(path).resolve()) for path in db_paths],
                                           "public": public, "metadata": str(metadata_path)})
    environ.setdefault(SECRET_VARIABLE, secrets.token_hex(32))


def datasette_from_environment():
    """The run's Datasette, as each worker process builds it (share_with_workers)."""
    config = json.loads(os.environ[CONFIG_VARIABLE])
    metadata = json.loads(Path(config["metadata"]).read_text(encoding="utf-8"))
    return datasette_for(config["files"], metadata, config["public"], os.environ[SECRET_VARIABLE])


def app_from_environment():
    """A worker's ASGI app (uvicorn's factory), which answers its first pages before accepting
    connections (litbase.publish.warm_up)."""
    # Imported here: Datasette's facets load pint, which loads dask when installed, and the
    # command line (which imports this module for --workers' default) must start without them.
    from litbase.publish.warm_up import warmed_app

    datasette = datasette_from_environment()
    return warmed_app(datasette.app(), datasette)


def serve(db_paths, host=DEFAULT_HOST, port=DEFAULT_PORT, public=False, reviewers=None,
          workers=DEFAULT_WORKERS) -> None:
    """Serve ``db_paths`` until interrupted; ``reviewers``: the file of who may screen."""
    import uvicorn

    if public and reviewers is not None:
        # A public site is immutable: nothing can be written, so no one signs in to write.
        raise ReviewersError("--public serves read-only: screening with --reviewers needs a site without --public")
    names = [database_name(path) for path in db_paths]
    metadata = with_reviewers(metadata_for(names, public=public), reviewers, os.environ)
    with tempfile.TemporaryDirectory(prefix="litbase-serve-") as folder:
        share_with_workers(db_paths, metadata, public, folder, os.environ)
        # A broken metadata file or database stops here, once, not in every worker.
        datasette_from_environment()
        uvicorn.run("litbase.publish.serve:app_from_environment", factory=True, host=host, port=port,
                    workers=workers, log_level="info", lifespan="on")

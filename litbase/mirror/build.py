"""``mirror build``: every PubMed file converted on Dask, then the DuckDB catalogue over the Parquet.

The per-file map runs on whatever Dask cluster is given: a LocalCluster on
this machine (``workers`` processes of one thread each; parsing holds the
GIL, so threads would not help), a scheduler address, or any cluster object
(Dask Gateway, dask-kubernetes, dask-jobqueue's SLURMCluster) through
``cluster=``. Each task calls ``litbase.mirror.files.convert_file`` on one
file; litbase writes nothing of the cluster. The workers must see ``DIR``
and the input files at the same paths (a shared file system on a cluster).

A file already converted (its marker names the same size) is skipped, so an
interrupted build resumes per file. Which version of a record is current is
decided in the catalogue, over every file of the mirror in NLM's order, so an
update file converted before a baseline file still wins over it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from litbase.mirror.catalog import write_catalog
from litbase.mirror.files import FileConversionError, convert_file, file_name, file_order, is_done


class MirrorBuildError(ValueError):
    """A build that cannot go on as asked: a missing input, a file that failed on a worker."""


@dataclass
class BuildReport:
    converted: list[dict] = field(default_factory=list)  # each file's summary (convert_file)
    skipped: list[str] = field(default_factory=list)  # already done in an earlier run
    failed: dict = field(default_factory=dict)  # file name -> one-line error
    articles: int = 0  # current articles in the whole mirror after the build
    deleted: int = 0  # PMIDs a later file deleted
    seconds: float = 0.0


def _client(workers: int, scheduler: str | None, cluster):
    """A distributed.Client: to the cluster or scheduler given, else a LocalCluster of our own."""
    from distributed import Client, LocalCluster

    if cluster is not None:
        return Client(cluster), None
    if scheduler:
        return Client(scheduler), None
    import dask

    # One thread a worker: the parser is pure Python under the GIL. The scheduler always
    # serves HTTP (health, metrics): on the loopback interface and a free port, never 8787 on
    # every interface. Dask's statistical profiler walks the task's stack every 10 ms, which
    # for a parser deep in lxml callbacks is CPU taken from the parse: off.
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                             host="127.0.0.1", dashboard_address="127.0.0.1:0")
    return Client(local), local


def check_inputs(paths) -> list[Path]:
    """The input files, each existing and named like a PubMed file (.xml or .xml.gz)."""
    checked = []
    for path in map(Path, paths):
        if not path.is_file():
            raise MirrorBuildError(f"{path}: no such file")
        if not path.name.lower().endswith((".xml", ".xml.gz")):
            raise MirrorBuildError(f"{path}: not PubMed XML (.xml or .xml.gz)")
        checked.append(path)
    names = [file_name(p) for p in checked]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise MirrorBuildError(f"two input files share the name {', '.join(twice)}; the mirror keeps one per name")
    return checked


def convert_or_say_why(path: str, mirror: str) -> dict:
    """The task: ``convert_file``, whose failure comes back as ``{"failed": message}``. Returned, not
    raised: Dask logs a task's exception with its traceback on the worker ("Compute Failed"), where
    a bad input file needs only its one line, said by the command."""
    try:
        return convert_file(path, mirror)
    except FileConversionError as error:
        return {"failed": str(error).splitlines()[0]}


def build_mirror(mirror, paths, *, workers: int = 2, scheduler: str | None = None, cluster=None,
                 on_file: Callable[[dict], None] = lambda summary: None) -> BuildReport:
    """Convert the files not converted yet, on Dask, then rewrite the catalogue; returns a report."""
    import time

    from distributed import as_completed

    started = time.monotonic()
    mirror = Path(mirror)
    mirror.mkdir(parents=True, exist_ok=True)
    report = BuildReport()
    todo = []
    for path in sorted(check_inputs(paths), key=file_order):
        if is_done(mirror, path):
            report.skipped.append(file_name(path))
        else:
            todo.append(path)
    if todo:
        client, local = _client(workers, scheduler, cluster)
        try:
            # Absolute paths: a worker's working folder is not ours.
            futures = {client.submit(convert_or_say_why, str(p.resolve()), str(mirror.resolve()),
                                     key=f"litbase-mirror-{file_name(p)}", pure=False): p for p in todo}
            for future in as_completed(futures):
                summary = future.result()
                if "failed" in summary:
                    report.failed[file_name(futures[future])] = summary["failed"]
                    continue
                report.converted.append(summary)
                on_file(summary)
        finally:
            client.close()
            if local is not None:
                local.close()
    counts = write_catalog(mirror)
    report.articles, report.deleted = counts["articles"], counts["deleted"]
    report.seconds = time.monotonic() - started
    return report


def mirror_files(mirror) -> list[dict]:
    """The summaries of every file in the mirror, in the order they are applied."""
    done = Path(mirror) / "done"
    summaries = [json.loads(p.read_text()) for p in sorted(done.glob("*.json"))] if done.is_dir() else []
    return sorted(summaries, key=lambda s: tuple(s["order"]))

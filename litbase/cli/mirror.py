"""``litbase mirror``: a local PubMed + Open Citation Collection mirror that fetch, search and related can use.

dask, distributed, duckdb and pyarrow are the ``mirror`` extra: they load
inside the commands, so litbase starts without them and says what to install.
"""

from __future__ import annotations

import sys

import click

EXTRA = "the mirror needs dask, distributed, duckdb and pyarrow: pip install 'litbase[mirror]'"


def needs_extra():
    """Stop with one line when the mirror extra is not installed."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as error:
        raise click.ClickException(f"{EXTRA} ({error.name} is missing)") from None


def open_mirror(path, db=None):
    """A MirrorClient for --mirror DIR, or one line saying why not; with ``db``, its answers go into ``fetches``."""
    needs_extra()
    from litbase.mirror.catalog import MirrorMissing
    from litbase.mirror.client import MirrorClient
    from litbase.store.articles import record_fetch

    try:
        return MirrorClient(path, on_answer=None if db is None else lambda answer: record_fetch(db, answer))
    except MirrorMissing as error:
        raise click.ClickException(str(error)) from None


def mirror_option(command):
    """--mirror DIR: answer from a local mirror instead of E-utilities."""
    return click.option(
        "--mirror", "mirror_path", type=click.Path(file_okay=False),
        help="Answer from a local mirror (litbase mirror build) instead of NCBI: no request is sent",
    )(command)


def say_lacks(client) -> None:
    for sentence in client.lacks():
        click.echo(f"Mirror: {sentence}.", err=True)


@click.group(name="mirror")
def mirror_group():
    """A local mirror of PubMed and the Open Citation Collection (Parquet + DuckDB, built on Dask).

    \b
        litbase mirror build pubmed-mirror baseline/pubmed26n*.xml.gz --workers 8
        litbase mirror add-citations pubmed-mirror open_citation_collection.csv
        litbase mirror rank pubmed-mirror
        litbase fetch litbase.db 35392492 --mirror pubmed-mirror
    """


@mirror_group.command(name="build")
@click.argument("mirror_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.argument("paths", metavar="FILE...", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1),
              help="Worker processes of the local Dask cluster (one thread each)")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Use this running Dask scheduler instead of a local cluster (DIR and FILEs at the same"
                   " paths on its workers)")
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: when on a terminal]")
def build_command(mirror_dir, paths, workers, scheduler, progress):
    """Turn PubMed baseline and update files into the mirror: Parquet tables plus a DuckDB database.

    Each file is parsed by litbase's parser in a Dask task. Files already
    converted are skipped, so an interrupted build resumes; update files
    revise and delete records of the files before them, in NLM's order,
    whatever order they are converted in. With no FILE, the database is
    rewritten from what DIR holds.
    """
    needs_extra()
    from tqdm import tqdm

    from litbase.mirror.build import MirrorBuildError, build_mirror, check_inputs, is_done

    try:
        todo = [p for p in check_inputs(paths) if not is_done(mirror_dir, p)]
    except MirrorBuildError as error:
        raise click.ClickException(str(error)) from None
    bars = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(todo), desc="files", unit="file", file=sys.stderr, disable=not bars or not todo)

    def on_file(summary: dict) -> None:
        bar.update(1)
        if not bars and progress is None:
            click.echo(f"{summary['file']}: {summary['articles']} records, {summary['deletions']}"
                       f" deletions in {summary['seconds']:.1f} s", err=True)

    try:
        report = build_mirror(mirror_dir, paths, workers=workers, scheduler=scheduler, on_file=on_file)
    except OSError as error:
        raise click.ClickException(f"the Dask cluster could not be reached or started: {error}") from None
    finally:
        bar.close()
    click.echo(f"{len(report.converted)} files converted, {len(report.skipped)} already done;"
               f" the mirror holds {report.articles} current records ({report.deleted} PMIDs deleted)"
               f" in {report.seconds:.1f} s.", err=True)
    if report.failed:
        lines = "; ".join(f"{name}: {error}" for name, error in sorted(report.failed.items()))
        raise click.ClickException(f"{len(report.failed)} files failed ({lines}); the others are in the"
                                   " mirror, and a rerun converts only what is missing.")


@mirror_group.command(name="add-citations")
@click.argument("mirror_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--metadata", type=click.Path(dir_okay=False),
              help="iCite's metadata CSV too (relative citation ratio, percentiles)")
@click.option("--memory-limit", default="1GB", show_default=True, help="DuckDB's memory limit while loading")
def add_citations_command(mirror_dir, path, metadata, memory_limit):
    """Load iCite's Open Citation Collection (CSV: citing,referenced) into the mirror, out of core.

    It replaces the links loaded before: iCite publishes the collection whole.
    """
    needs_extra()
    from litbase.mirror.catalog import MirrorMissing, connect
    from litbase.mirror.citations import CitationFileError, add_citations

    try:
        connect(mirror_dir, read_only=True).close()
        counts = add_citations(mirror_dir, path, metadata=metadata, memory_limit=memory_limit)
    except (MirrorMissing, CitationFileError) as error:
        raise click.ClickException(str(error)) from None
    extra = f", {counts['metadata']} iCite metadata rows" if "metadata" in counts else ""
    click.echo(f"{counts['links']} citation links loaded{extra}.", err=True)


@mirror_group.command(name="rank")
@click.argument("mirror_dir", metavar="DIR", type=click.Path(file_okay=False))
def rank_command(mirror_dir):
    """Citation counts and PageRank of every article of the mirror, stored in it (DIR/metrics)."""
    needs_extra()
    from litbase.mirror.catalog import MirrorMissing, connect
    from litbase.mirror.rank import compute_metrics

    try:
        connect(mirror_dir, read_only=True).close()
    except MirrorMissing as error:
        raise click.ClickException(str(error)) from None
    result = compute_metrics(mirror_dir)
    click.echo(f"{result['nodes']} articles, {result['edges']} links; PageRank in {result['iterations']}"
               f" iterations ({result['seconds']:.1f} s).", err=True)

"""A DB path SQLite cannot use is refused in one line before anything is opened or asked."""

import pytest
from click.testing import CliRunner
from test_fetch import SEED, server  # noqa: F401

from litbase.cli import cli

NOT_SQLITE = "is not an SQLite database (a litbase database is one SQLite file)"


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


@pytest.mark.parametrize("command", [
    ["fetch", "{db}", SEED, "--no-progress"],
    ["build", "{db}"],
    ["search", "{db}", "peer support"],
    ["import", "{db}", "{list}"],
])
def test_a_database_in_a_folder_that_does_not_exist(server, tmp_path, command):  # noqa: F811
    ids = tmp_path / "pmids.txt"
    ids.write_text(f"{SEED}\n")
    db = tmp_path / "no-such-folder" / "lit.db"
    result = invoke(*[str(part).format(db=db, list=ids) for part in command])
    assert result.exit_code == 2
    assert f"Invalid value for 'DB': folder '{db.parent}' does not exist; make it first" in result.output
    assert "Traceback" not in result.output
    assert server.requests == []
    assert not db.parent.exists()


@pytest.mark.parametrize("command", [
    ["fetch", "{db}", SEED, "--no-progress"],
    ["graph", "{db}"],
    ["export", "{db}", "--format", "ris"],
    ["find", "{db}", "peer"],
    ["serve", "{db}"],
])
def test_a_file_that_is_not_a_database_is_refused_and_left_as_it_was(server, tmp_path, command):  # noqa: F811
    db = tmp_path / "references.ris"
    text = "TY  - JOUR\nTI  - Peer support in residency\nER  - \n"
    db.write_text(text)
    result = invoke(*[str(part).format(db=db) for part in command])
    assert result.exit_code == 2
    assert f"Invalid value for 'DB': '{db}' {NOT_SQLITE}" in " ".join(result.output.split())
    assert server.requests == []
    assert db.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["references.ris"]


def test_an_empty_file_is_a_new_database(tmp_path):
    """touch lit.db first is a habit: SQLite takes an empty file as an empty database."""
    db = tmp_path / "lit.db"
    db.touch()
    ids = tmp_path / "refs.ris"
    ids.write_text("TY  - JOUR\nTI  - Peer support in residency\nPY  - 2022\nER  - \n")
    result = invoke("import", db, ids)
    assert result.exit_code == 0, result.output
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"

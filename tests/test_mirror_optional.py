"""The mirror's libraries are optional: without them litbase works, and the mirror commands say what to install."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from litbase.cli import cli


@pytest.mark.parametrize("missing", ["duckdb", "distributed"])
def test_mirror_commands_name_the_extra_when_a_library_is_missing(tmp_path, monkeypatch, missing):
    # None in sys.modules makes `import name` fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, missing, None)
    for args in (["mirror", "build", str(tmp_path / "m")], ["mirror", "rank", str(tmp_path / "m")],
                 ["fetch", str(tmp_path / "a.db"), "1", "--mirror", str(tmp_path / "m")]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, args
        assert result.output == ("Error: the mirror needs dask, distributed, duckdb and pyarrow:"
                                 f" pip install 'litbase[mirror]' ({missing} is missing)\n")


def test_litbase_starts_without_the_mirror_libraries():
    # Importing the command line must not load the mirror's engines.
    import subprocess

    code = ("import sys; import litbase.cli; "
            "print(sorted(m for m in ('dask', 'distributed', 'duckdb', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

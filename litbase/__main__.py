"""``python -m litbase``: the same commands as the ``litbase`` script."""

from litbase.cli import cli

cli(prog_name="litbase")

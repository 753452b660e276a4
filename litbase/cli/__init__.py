"""The ``litbase`` command line: a thin layer over the library, database path first.

The group is defined here and names each command's module; a module is
imported when its command is run (or its help listed), so no command module
imports this one and ``litbase import`` does not wait for the libraries of
the commands not run (the whole set: about a third of a second).
"""

from __future__ import annotations

import importlib

import click

from litbase import __version__

# Command name -> (module, attribute) in litbase.cli.
COMMANDS = {
    "build": ("publish", "build"),
    "collections": ("search", "collections_group"),
    "coverage": ("coverage", "coverage_command"),
    "export": ("bibliography", "export_command"),
    "fetch": ("fetch", "fetch_command"),
    "find": ("find", "find_command"),
    "graph": ("graph", "graph_command"),
    "graph-export": ("graph", "graph_export"),
    "import": ("importing", "import_command"),
    "mirror": ("mirror", "mirror_group"),
    "refresh": ("search", "refresh_command"),
    "related": ("graph", "related_command"),
    "report": ("report", "report_command"),
    "reviewers": ("screen", "reviewers_group"),
    "screen": ("screen", "screen_command"),
    "search": ("search", "search_command"),
    "serve": ("publish", "serve"),
    "snapshot": ("publish", "snapshot"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; ``commands`` imports them all."""

    def __init__(self, *args, lazy: dict[str, tuple[str, str]], **kwargs):
        self._lazy = dict(lazy)
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> dict[str, click.Command]:
        for name in list(self._lazy):
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value) -> None:
        self._commands = dict(value or {})

    def _load(self, name: str) -> click.Command | None:
        if name in self._lazy:
            module, attribute = self._lazy.pop(name)
            command = getattr(importlib.import_module(f"litbase.cli.{module}"), attribute)
            if command.name != name:
                raise RuntimeError(f"litbase.cli.{module}.{attribute} is {command.name!r}, listed as {name!r}")
            self._commands[name] = command
        return self._commands.get(name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._commands, *self._lazy})


@click.group(name="litbase", cls=LazyGroup, lazy=COMMANDS)
@click.version_option(__version__, prog_name="litbase")
def cli():
    """Build a PubMed literature and citation knowledge base in SQLite."""

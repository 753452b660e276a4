"""Errors about a user's input that any layer may raise and the command line reports in one line."""

from __future__ import annotations


class BibliographyError(ValueError):
    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")

"""Errors a user can cause: one line naming the file (and line), exit 1."""

from __future__ import annotations

from pathlib import Path

import click


class LeafletError(click.ClickException):
    """A problem with the user's files; shown as ``Error: file:line: message``."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.detail = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        if self.path is None:
            return self.detail
        where = display_path(self.path)
        if self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.detail}"


def display_path(path: Path) -> str:
    """A path as the user typed it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)

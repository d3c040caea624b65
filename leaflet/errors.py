"""Errors a user can cause: one line naming the file (and line), exit 1."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
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


    @property
    def problems(self) -> list[LeafletError]:
        """Every problem this error stands for (one, unless it is ``LeafletErrors``)."""
        return [self]


class LeafletErrors(LeafletError):
    """Several problems found at once (every unknown field, every bad value of a file):
    one ``file:line: message`` line each, so an author can fix them all in one go."""

    def __init__(self, problems: list[LeafletError]):
        self._problems = list(problems)
        first = self._problems[0]
        super().__init__(first.detail, first.path, first.line)

    @property
    def problems(self) -> list[LeafletError]:
        return list(self._problems)

    def format_message(self) -> str:
        return "\n".join(p.format_message() for p in self._problems)

    def show(self, file=None) -> None:
        for problem in self._problems:
            click.echo(f"Error: {problem.format_message()}", file=file, err=True)


def raise_all(problems: list[LeafletError]) -> None:
    """Raise the problems found, if any: one as itself, several as ``LeafletErrors``."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise LeafletErrors(problems)


def display_path(path: Path) -> str:
    """A path as the user typed it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


class Overtime(BaseException):
    """Raised by a ``time_limit`` alarm.

    A ``BaseException``, like ``KeyboardInterrupt``: libraries that catch every
    ``Exception`` (WeasyPrint does, around each image and stylesheet) must not swallow it.
    """

    def __init__(self, token: object):
        super().__init__("time limit reached")
        self.token = token


_RETRY = 0.5


@contextlib.contextmanager
def time_limit(seconds: float | None, message: str, path: Path | str | None = None):
    """Stop the work inside after ``seconds``: ``LeafletError(message, path)`` instead.

    A SIGALRM timer, so only in the main thread of a process (the build's workers and
    the CLI); elsewhere, or with no limit, the work runs unbounded. Limits nest: an
    outer limit that ends sooner wins and is re-armed afterwards with what is left of it.
    Code stuck inside one long C call is stopped when that call returns.
    """
    if (not seconds or seconds <= 0 or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_left and outer_left <= seconds:
        yield  # the outer limit ends first; its own handler reports it
        return
    token = object()
    armed = [True]

    def on_alarm(signum, frame):
        # Raised again every RETRY seconds until the block is left: an exception raised
        # while a __del__ method or a gc callback runs is printed and dropped by Python.
        if armed[0]:
            raise Overtime(token)

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    restored = [False]

    def restore():
        armed[0] = False
        if restored[0]:
            return
        restored[0] = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))

    signal.setitimer(signal.ITIMER_REAL, seconds, _RETRY)
    try:
        try:
            yield
        finally:
            restore()
    except Overtime as exc:
        restore()
        if exc.token is not token:
            raise
        raise LeafletError(message, path) from None

"""Exit statuses and the one-line error: what ``main`` prints when a command fails.

A :class:`UsageError` (a bad option or option value) exits 2; the other errors
a user can cause (missing or corrupt file, bad data) exit 1; Ctrl-C exits 130.
"""

from __future__ import annotations

import contextlib
import sys

__all__ = ["EXIT_OK", "EXIT_RUNTIME", "EXIT_USAGE", "EXIT_INTERRUPTED", "UsageError", "usage_errors", "one_line",
           "print_error", "note"]

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A bad command line (unknown option, invalid option value): exit status 2."""


@contextlib.contextmanager
def usage_errors():
    """Inside this block a ValueError/TypeError means a bad option value: exit status 2."""
    try:
        yield
    except (ValueError, TypeError) as e:
        raise UsageError(one_line(e)) from e


def one_line(exc: BaseException) -> str:
    """The exception's message on one line, without Python's ``[Errno 2]`` noise."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{exc.strerror}: '{exc.filename}'"
    elif isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    else:
        text = str(exc)
    text = " ".join(text.split())
    return text or type(exc).__name__


def print_error(text: str) -> None:
    """``nnumpy: error: text`` on stderr."""
    print(f"nnumpy: error: {text}", file=sys.stderr, flush=True)


def note(text: str) -> None:
    """``nnumpy: text`` on stderr (a remark that is not an error)."""
    print(f"nnumpy: {text}", file=sys.stderr, flush=True)

"""Standard output that closes early: ``nnumpy datasets | head -1``, ``nnumpy train | head -3``.

Python ignores SIGPIPE, so a write to a pipe whose reader has gone raises
``BrokenPipeError`` instead of ending the process quietly as a C tool would.
Two answers, one per kind of command:

- A command whose only product is its output (``datasets``, ``info``,
  ``evaluate``, ``predict``) stops, prints nothing more and exits with 141,
  the status a shell reports for a tool ended by SIGPIPE (128 + 13); ``main``
  does this (:func:`quiet_broken_pipe`).
- ``train`` produces files; its lines on stdout are a report. When the reader
  goes away it keeps training silently and writes every file
  (:func:`survive_closed_stdout`), so ``nnumpy train | head -3`` leaves a
  complete run directory and exits with 0. Ctrl-C still stops it.

In both cases standard output is pointed at the null device afterwards, so
the interpreter's last flush at exit cannot fail either.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

__all__ = ["EXIT_BROKEN_PIPE", "quiet_broken_pipe", "survive_closed_stdout"]

EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a process ended by SIGPIPE


def quiet_broken_pipe() -> int:
    """Point stdout at the null device (its file descriptor, when it has one); return :data:`EXIT_BROKEN_PIPE`."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # a StringIO (tests) or a closed stream
        return EXIT_BROKEN_PIPE
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
    return EXIT_BROKEN_PIPE


class _Guarded:
    """A proxy of a text stream whose writes and flushes become no-ops once its reader has gone."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.reader_gone = False

    def _gone(self) -> None:
        self.reader_gone = True
        quiet_broken_pipe()

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def __getattr__(self, name: str):  # isatty, encoding, fileno, ...
        return getattr(self._stream, name)


@contextlib.contextmanager
def survive_closed_stdout():
    """Inside this block a closed stdout is ignored: printing goes nowhere and the work goes on."""
    real = sys.stdout
    guarded = _Guarded(real)
    sys.stdout = guarded
    try:
        yield guarded
        guarded.flush()
    finally:
        if sys.stdout is guarded:
            sys.stdout = real

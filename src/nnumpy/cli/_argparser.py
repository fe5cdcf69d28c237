"""The ``nnumpy`` argument parser: global options, then one subparser per subcommand module."""

from __future__ import annotations

import argparse

from .._version import __version__
from . import _datasets, _evaluate, _export, _gradcheck, _info, _playground, _predict, _sweep, _train
from ._errors import UsageError

__all__ = ["build_parser"]

#: The subcommands in the order ``nnumpy --help`` lists them; each module has ``add_parser`` and ``run``.
_SUBCOMMANDS = (_train, _evaluate, _predict, _datasets, _info, _gradcheck, _export, _sweep, _playground)


class _Parser(argparse.ArgumentParser):
    """argparse, but errors raise :class:`UsageError` (one line, exit 2) instead of exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``nnumpy`` command; each subcommand sets ``func``, the function that runs it."""
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the Python traceback on errors")
    p = _Parser(
        prog="nnumpy",
        description="Neural networks in NumPy with hand-written backprop: train, evaluate, predict, inspect.",
        epilog="Run 'nnumpy train' with no options for the main job (784-512-256-10 sigmoid MLP on mnist-sample).",
    )
    p.add_argument("--version", action="version", version=f"nnumpy {__version__}")
    p.add_argument("--debug", action="store_true", default=False, help="show the Python traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in _SUBCOMMANDS:
        command.add_parser(sub, [debug])
    return p

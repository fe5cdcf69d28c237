"""``nnumpy datasets``: the data sets nnumpy knows, and which are present."""

from __future__ import annotations

import argparse

from ._errors import EXIT_OK

__all__ = ["add_parser", "run"]


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``datasets`` and its options to the subparsers ``sub``."""
    d = sub.add_parser("datasets", parents=parents, help="list the data sets", description="List the data sets.")
    d.add_argument("--data-dir", help="also look here for mnist / fashion-mnist")
    d.set_defaults(func=run)


def run(args) -> int:
    """Print the table of data sets; return the exit status."""
    from ..datasets import format_available

    print(format_available(data_dir=args.data_dir))
    return EXIT_OK

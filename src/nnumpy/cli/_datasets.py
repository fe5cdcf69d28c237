"""``nnumpy datasets``: the data sets nnumpy knows, and which are present."""

from __future__ import annotations

import argparse
import textwrap

from ._errors import EXIT_OK

__all__ = ["add_parser", "run", "format_table", "WIDTH"]

#: Columns the table may use: it stays readable in a terminal of 100 columns and in a pipe.
WIDTH = 100


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``datasets`` and its options to the subparsers ``sub``."""
    d = sub.add_parser("datasets", parents=parents, help="list the data sets", description="List the data sets.")
    d.add_argument("--data-dir", help="also look here for mnist / fashion-mnist")
    d.set_defaults(func=run)


def format_table(rows, width: int = WIDTH) -> str:
    """``nnumpy.datasets.available()`` rows as a table of at most ``width`` columns.

    One line per data set (name, kind, present, size), then its source and
    location wrapped underneath, indented to the second column.
    """
    header = ("name", "kind", "present", "size")
    cells = [(r.name, r.kind, "yes" if r.present else "no", r.size) for r in rows]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    indent = " " * (widths[0] + 2)
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    for r, row in zip(rows, cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        source = r.source + (f" [{r.location}]" if r.location else "")
        lines += textwrap.wrap(source, width, initial_indent=indent, subsequent_indent=indent,
                               break_on_hyphens=False)
    return "\n".join(line[:width] for line in lines)


def run(args) -> int:
    """Print the table of data sets; return the exit status."""
    from ..datasets import available

    print(format_table(available(data_dir=args.data_dir)))
    return EXIT_OK

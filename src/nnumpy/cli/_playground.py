"""``nnumpy playground``: serve the 2-D backprop playground and the Digits page on this machine."""

from __future__ import annotations

import argparse

from ._errors import EXIT_OK, usage_errors

__all__ = ["add_parser", "run"]


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``playground`` and its options to the subparsers ``sub``."""
    p = sub.add_parser("playground", parents=parents, help="serve the backprop playground in the browser",
                       description="A local web app: a 2-D playground (toy data, live decision boundary, curves, "
                                   "the network's activations, weights and gradients, and a backprop step mode "
                                   "with every layer's numbers) and a Digits page (draw a digit, see it prepared "
                                   "and classified). Needs Starlette and uvicorn: pip install "
                                   "\"nnumpy[playground]\".")
    p.add_argument("--model", default=None,
                   help="model file for the Digits page (784 inputs or 1x28x28, 10 classes; default: the main "
                        "job's model, trained on first use and kept in nnumpy's cache)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1, this machine only; 0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open the browser")
    p.set_defaults(func=run)


def run(args) -> int:
    """Serve until Ctrl-C; return the exit status."""
    from ..playground._server import check_port, serve

    with usage_errors():  # a bad --port is a usage error (exit 2); serve's own errors exit 1
        check_port(args.port, "--port")

    serve(args.model, host=args.host, port=args.port, open_browser=not args.no_browser)
    return EXIT_OK

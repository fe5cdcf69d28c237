"""``main``: parse the command line, run the subcommand, turn errors into one line and an exit status."""

from __future__ import annotations

import sys
from typing import Sequence

from ._errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, UsageError, one_line, print_error
from ._argparser import build_parser
from ._output import quiet_broken_pipe

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nnumpy`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        code = int(args.func(args))
        sys.stdout.flush()  # a reader that has gone shows here, not in the interpreter's flush at exit
        return code
    except SystemExit as e:  # --help and --version
        return e.code if isinstance(e.code, int) else (EXIT_OK if e.code is None else EXIT_USAGE)
    except BrokenPipeError:  # stdout's reader has gone (nnumpy datasets | head -1): end quietly
        return quiet_broken_pipe()
    except UsageError as e:
        if debug:
            raise
        print_error(one_line(e))
        return EXIT_USAGE
    except KeyboardInterrupt as e:
        if debug:
            raise
        print(f"nnumpy: {one_line(e) if str(e) else 'interrupted'}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except Exception as e:
        if debug:
            raise
        known = isinstance(e, (ValueError, TypeError, OSError, RuntimeError, ImportError, KeyError))
        print_error(one_line(e) if known else f"internal error: {type(e).__name__}: {one_line(e)} "
                    "(run again with --debug for the traceback)")
        return EXIT_RUNTIME

"""``nnumpy gradcheck``: import the user's layer class from a file and run ``nnumpy.check.check_layer`` on it."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from ._errors import EXIT_OK, EXIT_RUNTIME, UsageError, one_line, usage_errors

__all__ = ["add_parser", "run"]


def _int_list(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(t) for t in text.replace("x", ",").split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers joined by ',' such as 4,3, got {text!r}") from None
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"expected positive integers joined by ',' such as 4,3, got {text!r}")
    return dims


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``gradcheck`` and its options to the subparsers ``sub``."""
    c = sub.add_parser("gradcheck", parents=parents, help="check the backward of your own layer",
                       description="Import FILE.py, build ClassName(*args) and run nnumpy.check.check_layer on it.")
    c.add_argument("target", metavar="FILE.py:ClassName", help="your layer, e.g. my_layer.py:MyLayer")
    c.add_argument("--input-shape", type=_int_list, required=True, help="input batch shape, e.g. 4,3")
    c.add_argument("--args", help="constructor arguments as JSON: a list (positional) or an object (keywords)")
    c.add_argument("--seed", type=int, default=0, help="seed for the test inputs (default 0)")
    c.add_argument("--lang", choices=("en", "ko"), default="en",
                   help="language of the diagnoses and the report: en (default) or ko")
    c.set_defaults(func=run)


def _import_user_class(spec: str):
    """``path/to/file.py:ClassName`` -> the class, by importing the user's own file."""
    file, sep, cls_name = spec.rpartition(":")
    if not sep or not file or not cls_name.isidentifier():
        raise UsageError(f"expected FILE.py:ClassName such as my_layer.py:MyLayer, got {spec!r}.")
    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    mod_name = f"_nnumpy_user_{path.stem}" if path.stem.isidentifier() else "_nnumpy_user_module"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"cannot import {file}: not a Python source file.")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module  # dataclasses and pickling look the module up by name
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:
        sys.modules.pop(mod_name, None)
        where = ""
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        if isinstance(e, SyntaxError) and e.lineno:
            where = f" (line {e.lineno})"
        raise RuntimeError(f"importing {file} failed{where}: {type(e).__name__}: {one_line(e)}") from e
    cls = getattr(module, cls_name, None)
    if cls is None:
        found = sorted(k for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == mod_name)
        raise ValueError(f"{file} defines no {cls_name!r}; classes found: {', '.join(found) or 'none'}.")
    return cls


def run(args) -> int:
    """Build the layer and check it; exit status 0 when every check passes, 1 otherwise."""
    from ..check import check_layer
    from ..nn import Module

    with usage_errors():
        init = json.loads(args.args) if args.args is not None else []
        if not isinstance(init, (list, dict)):
            raise ValueError(f"--args must be a JSON list (positional) or object (keyword arguments), got {args.args!r}.")
    cls = _import_user_class(args.target)
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise ValueError(f"{args.target} is not an nnumpy.nn.Module subclass.")
    try:
        layer = cls(*init) if isinstance(init, list) else cls(**init)
    except Exception as e:
        raise RuntimeError(f"{cls.__name__}({'...' if init else ''}) raised {type(e).__name__}: {one_line(e)}"
                           " (pass constructor arguments with --args '[3, 2]' or --args '{\"n\": 3}')") from e
    report = check_layer(layer, args.input_shape, rng=args.seed, lang=args.lang)
    print(report)
    return EXIT_OK if report.ok else EXIT_RUNTIME

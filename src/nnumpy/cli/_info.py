"""``nnumpy info``: what a model or checkpoint file holds (format, dtype, parameters, architecture)."""

from __future__ import annotations

import argparse

from ._errors import EXIT_OK

__all__ = ["add_parser", "run"]


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``info`` and its options to the subparsers ``sub``."""
    i = sub.add_parser("info", parents=parents, help="describe a model or checkpoint file",
                       description="Architecture, parameter count, dtype and version of a model or checkpoint file.")
    i.add_argument("model", help="model, weights or checkpoint file")
    i.set_defaults(func=run)


def _arch_lines(node: dict, indent: int = 0, name: str | None = None) -> list[str]:
    """The stored architecture tree, one indented ``(name) Type(config)  [dtype]`` line per module."""
    config = node.get("config") or {}
    args = ", ".join(f"{k}={v}" for k, v in config.items())
    dtype = f"  [{node['dtype']}]" if "dtype" in node else ""
    head = f"({name}) " if name is not None else ""
    call = f"({args})" if args or not node.get("children") else ""
    lines = [" " * indent + f"{head}{node.get('type')}{call}{dtype}"]
    for child in node.get("children") or []:
        lines += _arch_lines(child, indent + 2, child.get("name"))
    return lines


def run(args) -> int:
    """Describe the file ``args.model``; return the exit status."""
    from ..io import inspect

    info = inspect(args.model)
    size = info.get("file_size", 0)
    print(f"file          {info['path']} ({size:,} bytes)")
    fmt = info.get("format")
    version = info.get("format_version")
    print(f"format        {fmt}" + (f" (version {version})" if version is not None else ""))
    if info.get("nnumpy_version"):
        print(f"nnumpy        {info['nnumpy_version']}")
    print(f"dtype         {info.get('dtype')}")
    n = info.get("num_parameters")
    print(f"parameters    {n:,}" if n is not None else f"values        {info.get('num_values', 0):,}")
    if "epoch" in info:
        print(f"position      epoch {info['epoch']}, step {info.get('step', 0)}")
    for key, value in (info.get("metadata") or {}).items():
        print(f"{key:<13} {value}")
    arch = info.get("architecture")
    if arch:
        print("architecture")
        for line in _arch_lines(arch, 2):
            print(line)
    else:
        print("architecture  none stored (weights only)")
        for tname, t in (info.get("tensors") or {}).items():
            print(f"  {tname}  {t.get('dtype')} {tuple(t.get('shape', ()))}")
    return EXIT_OK

"""Helpers shared by the example scripts: command-line flags, tables, data and optional imports.

Not an example itself. Each script in this folder imports it by name, which
works because Python puts a script's own folder first on ``sys.path``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from nnumpy import nn


def parse_args(description: str, argv=None, *, seed: int | None = 0, epochs: tuple[int, int] | None = None):
    """Parse the flags every example has: ``--quick``, ``--out``, and ``--seed`` / ``--epochs`` where used.

    Args:
        description: the script's docstring (its first line becomes the ``--help`` text).
        argv: the arguments (default: ``sys.argv[1:]``).
        seed: default of ``--seed``, or None for a script without random draws.
        epochs: ``(full, quick)`` defaults of ``--epochs``, or None for no such flag;
            ``args.epochs`` comes back resolved.
    """
    p = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny data / few epochs (a smoke test, a few seconds)")
    p.add_argument("--out", type=Path, default=None, help="folder for written files (plots, GIFs); none if omitted")
    if seed is not None:
        p.add_argument("--seed", type=int, default=seed, help=f"seed of every random draw (default {seed})")
    if epochs is not None:
        help_text = f"epochs (default {epochs[0]}; {epochs[1]} with --quick)"
        p.add_argument("--epochs", type=int, default=None, help=help_text)
    args = p.parse_args(argv)
    if epochs is not None and args.epochs is None:
        args.epochs = epochs[1] if args.quick else epochs[0]
    return args


def mlp(sizes: Sequence[int], activation=nn.ReLU, *, rng=None) -> nn.Sequential:
    """``Linear`` layers of the given sizes with ``activation()`` between them (none after the last).

    ``mlp((784, 100, 10))`` is Linear(784, 100) → ReLU → Linear(100, 10); the
    weights get nnumpy's default init (PyTorch's), drawn from ``rng``.
    """
    g = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, rng=g))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def optional(module: str, extra: str):
    """Import an optional dependency, or return None and say what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        print(f"({module} is not installed: pip install 'nnumpy[{extra}]' to get this part.)")
        return None


def has_matplotlib() -> bool:
    """Whether plots can be drawn; says what to install when they cannot."""
    if importlib.util.find_spec("matplotlib") is None:
        print("(matplotlib is not installed, so no plots: pip install 'nnumpy[plot]')")
        return False
    return True


def out_dir(path: Path | None) -> Path | None:
    """Create ``--out`` if given; files are only written when it is."""
    if path is None:
        return None
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """Print rows as a plain-text table: first column left-aligned, the others right-aligned.

    Floats are shown with 4 decimals; pass strings for any other format.
    """

    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return f"{v:.4f}"
        return str(v)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) if text else len(h) for i, h in enumerate(headers)]
    if title:
        print(title)
    for r in [list(headers), ["-" * w for w in widths], *text]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())


def mnist(quick: bool, n_quick: tuple[int, int] = (1000, 500)):
    """``(name, (X_train, y_train), (X_test, y_test))`` with X flattened to (N, 784) float32 in [0, 1].

    Full MNIST when its files are already on this machine (never downloaded
    here), else the bundled ``mnist-sample`` (8,000 train / 2,000 test images
    from the official MNIST test set). ``quick`` keeps the first ``n_quick``
    samples of the sample set.
    """
    from nnumpy import datasets

    present = {row.name: row.present for row in datasets.available()}
    name = "mnist" if present.get("mnist") and not quick else "mnist-sample"
    train = datasets.load(name, split="train", **({"download": False} if name == "mnist" else {}))
    test = datasets.load(name, split="test", **({"download": False} if name == "mnist" else {}))
    (Xtr, ytr), (Xte, yte) = train, test
    if quick:
        Xtr, ytr, Xte, yte = Xtr[: n_quick[0]], ytr[: n_quick[0]], Xte[: n_quick[1]], yte[: n_quick[1]]
    Xtr = Xtr.reshape(len(Xtr), -1)  # (N, 784)
    Xte = Xte.reshape(len(Xte), -1)  # (N, 784)
    label = name + (f" (quick: first {len(Xtr)} / {len(Xte)})" if quick else "")
    if name == "mnist-sample" and not quick:
        label += " (full MNIST not found locally; `nnumpy datasets` shows where it is looked for)"
    print(f"data: {label}; train {Xtr.shape}, test {Xte.shape}")
    return name, (Xtr, ytr), (Xte, yte)


class Timer:
    """``with Timer() as t: ...; t.seconds``."""

    def __enter__(self) -> "Timer":
        self._t0 = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0

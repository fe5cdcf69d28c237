"""Helpers shared by the CLI tests: short training flags, captured runs, the one-line error check."""

from __future__ import annotations

import contextlib
import io

import numpy as np

import nnumpy
from nnumpy.cli import main

IRIS = ["--dataset", "iris", "--layers", "4-16-3", "--no-progress"]
MNIST_TINY = ["--dataset", "mnist-sample", "--layers", "784-32-10", "--limit", "300", "--no-progress"]


def run_quiet(argv) -> tuple[int, str, str]:
    """main(argv) with stdout/stderr captured (for module-scoped fixtures, where capsys is unavailable)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, err: str, expected_code: int) -> None:
    assert code == expected_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nnumpy: error: "), err
    assert "Traceback" not in err


def tensors(path) -> dict[str, np.ndarray]:
    return nnumpy.load(path).state_dict()

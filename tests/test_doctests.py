"""Every docstring example in src/nnumpy runs as a doctest, one test per module.

The examples are the documentation (the API reference of the docs site shows them), so they must
stay true. Run one module's with ``pytest tests/test_doctests.py -k nnumpy.nn._linear``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import socket
import sys
import tempfile

import numpy as np
import pytest

import nnumpy

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
SKIP = {"nnumpy.__main__"}  # the `python -m nnumpy` entry point: nothing to document, not a library module

# NumPy's defaults, so an array repr in an example does not depend on what ran before.
NUMPY_PRINT_DEFAULTS = dict(
    precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False, nanstr="nan", infstr="inf",
    formatter=None, sign="-", floatmode="maxprec", legacy=False,
)


def _module_names() -> list[str]:
    names = ["nnumpy"] + [m.name for m in pkgutil.walk_packages(nnumpy.__path__, "nnumpy.")]
    return [name for name in names if name not in SKIP]


def _doctests(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, module_name)
    return sorted((t for t in tests if t.examples), key=lambda t: t.name)


MODULES_WITH_DOCTESTS = [name for name in _module_names() if _doctests(name)]


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Files go under tmp_path (cwd, tempfile, caches); any network access fails."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("NNUMPY_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("MPLBACKEND", "Agg")

    def no_network(*args, **kwargs):
        raise OSError("doctests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    yield tmp_path
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def test_doctests_are_found():
    # Guards against a finder change that would silently run nothing.
    assert {"nnumpy.nn._linear", "nnumpy.nn._module", "nnumpy.optim._sgd"} <= set(MODULES_WITH_DOCTESTS)


@pytest.mark.parametrize("module_name", MODULES_WITH_DOCTESTS)
def test_doctests_pass(module_name, isolated):
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    with np.printoptions(**NUMPY_PRINT_DEFAULTS):
        for test in _doctests(module_name):
            runner.run(test, out=report.append)
    assert runner.failures == 0, (
        f"{runner.failures} of {runner.tries} doctest examples failed in {module_name}:\n" + "".join(report)
    )

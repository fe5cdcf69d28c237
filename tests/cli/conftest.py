"""Training runs shared by the read-only CLI tests (evaluate, predict, info, resume errors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._helpers import IRIS, MNIST_TINY, run_quiet


@pytest.fixture(scope="session")
def iris_run(tmp_path_factory) -> Path:
    """One 5-epoch iris run shared by the read-only tests (evaluate, predict, info)."""
    out = tmp_path_factory.mktemp("iris") / "run"
    code, stdout, err = run_quiet(["train", *IRIS, "--epochs", "5", "--out", str(out)])
    assert code == 0, err
    return out


@pytest.fixture(scope="session")
def mnist_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mnist") / "run"
    code, _, err = run_quiet(["train", *MNIST_TINY, "--epochs", "2", "--out", str(out), "--quiet"])
    assert code == 0, err
    return out

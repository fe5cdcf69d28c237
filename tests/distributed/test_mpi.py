"""Data-parallel training under ``mpiexec -n 2``: the trajectory of one process with twice the batch.

Each test launches ``mpiexec -n 2 python _mpi_worker.py CASE OUT`` and compares
what the ranks wrote with a one-process run built by the same functions. The
tests are skipped, saying why, where mpi4py or mpiexec is missing
(``pip install -e ".[mpi]"`` installs both; ``.ci/run`` does, and sets
``NNUMPY_REQUIRE_MPI=1`` so that they fail rather than skip there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from . import _mpi_worker as W

WORKER = Path(__file__).with_name("_mpi_worker.py")
TIMEOUT = 120  # seconds for one mpiexec run; a hang fails the test instead of the suite


def _mpiexec() -> str | None:
    beside = Path(sys.executable).with_name("mpiexec")  # the venv's, from the mpich wheel
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _missing() -> str | None:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install -e \".[mpi]\")"
    if _mpiexec() is None:
        return "no mpiexec on PATH or beside the interpreter (pip install -e \".[mpi]\" brings MPICH's)"
    return None


@pytest.fixture(autouse=True)
def _need_mpi():
    """Skip, saying why, where MPI is missing; fail instead where NNUMPY_REQUIRE_MPI=1 (.ci/run sets it)."""
    why = _missing()
    if why and os.environ.get("NNUMPY_REQUIRE_MPI") == "1":
        pytest.fail(f"NNUMPY_REQUIRE_MPI=1 but {why}")
    if why:
        pytest.skip(f"MPI tests need MPI: {why}")


def run_mpi(*args: str, n: int = 2, timeout: int = TIMEOUT, script=WORKER) -> subprocess.CompletedProcess:
    """``mpiexec -n n python script args`` with one BLAS thread per rank; fails the test on a timeout."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [_mpiexec(), "-n", str(n), sys.executable, *([str(script)] if script else []), *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(cmd)} did not end within {timeout}s (a rank is waiting for another)")


def _ranks(out: Path, n: int = 2) -> list[tuple[dict, dict]]:
    return [(dict(np.load(out / f"rank{r}.npz")), json.loads((out / f"rank{r}.json").read_text())) for r in range(n)]


def _max_rel(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(b[k])), 1e-300)) for k in b)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_fit_distributed_two_ranks_follow_one_process_with_double_batch(tmp_path, dtype, rtol):
    proc = run_mpi(dtype, str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (w0, h0), (w1, h1) = _ranks(tmp_path)
    assert all(np.array_equal(w0[k], w1[k]) for k in w0), "the ranks' weights differ"
    assert h0 == h1 and h0["world_size"] == 2
    ref = W.mlp(np.dtype(dtype))
    history = W.train(ref, 2 * W.PER_RANK_BATCH, epochs=3, distributed=False)
    expected = {k: np.asarray(v) for k, v in W.arrays(ref).items()}
    err = _max_rel(w0, expected)
    print(f"{dtype}: max relative difference of the final weights {err:.2e}")
    assert err < rtol
    np.testing.assert_allclose(h0["loss"], history["loss"], rtol=rtol)  # the sums of both ranks
    assert h0["accuracy"] == history["accuracy"]


def test_fit_distributed_batchnorm_running_stats_are_averaged_over_ranks(tmp_path):
    # Each rank normalises its own batch of 4 (no synchronised BatchNorm), so with lr > 0 the trajectory is
    # not the one-process one; the ranks still agree, since fit averages the running statistics every epoch.
    assert run_mpi("batchnorm", str(tmp_path / "train"), "0.1").returncode == 0
    (w0, _), (w1, _) = _ranks(tmp_path / "train")
    assert all(np.array_equal(w0[k], w1[k]) for k in w0)
    # With lr=1e-30 (weights unchanged in float64) and momentum=1 each rank's running mean is its last
    # batch's mean; the average over the ranks (equal batch sizes) is the mean of the global last batch,
    # the one-process value.
    assert run_mpi("batchnorm", str(tmp_path / "frozen"), "1e-30").returncode == 0
    (w0, _), _ = _ranks(tmp_path / "frozen")
    ref = W.mlp(batchnorm=True)
    W.train(ref, 2 * W.PER_RANK_BATCH, epochs=1, lr=1e-30, distributed=False)
    np.testing.assert_allclose(w0["1.running_mean"], ref[1].running_mean, rtol=1e-12, atol=1e-15)
    # The running variance is the mean of the ranks' unbiased variances: it leaves out the spread between
    # the halves' means, so it is smaller than the global batch's variance only by that spread, never larger.
    assert np.all(w0["1.running_var"] <= ref[1].running_var * (7 / 6) + 1e-12)


def test_fit_distributed_shares_rank0s_seed_and_writes_callback_files_on_rank0(tmp_path):
    proc = run_mpi("files", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (w0, _), (w1, _) = _ranks(tmp_path)
    assert all(np.array_equal(w0[k], w1[k]) for k in w0)
    (saved0, seed0), (saved1, seed1) = [json.loads((tmp_path / f"saved{r}.json").read_text()) for r in (0, 1)]
    assert (saved0, saved1) == (2, 0)  # ModelCheckpoint ran on rank 0 only
    assert seed0 == seed1  # rng=None: rank 0's fresh seed, shared, so both ranks shuffle alike
    assert (tmp_path / "epoch2.safetensors").exists() and (tmp_path / "log.csv").exists()


def test_fit_distributed_failing_rank_ends_the_job_with_a_message(tmp_path):
    proc = run_mpi("fail", str(tmp_path), timeout=60)
    assert proc.returncode != 0
    assert "rank 1 of 2 failed" in proc.stderr and "deliberate failure in FailOnRank" in proc.stderr


def test_fit_distributed_resume_on_another_number_of_processes(tmp_path):
    ckpt = tmp_path / "ckpt.safetensors"
    # Epoch 1 on 2 ranks (batch 4 each), epoch 2 on one process (batch 8), epoch 3 on 2 ranks again.
    assert run_mpi("resume", str(tmp_path / "a"), "1", str(ckpt)).returncode == 0
    subprocess.run([sys.executable, str(WORKER), "resume", str(tmp_path / "b"), "2", str(ckpt), "from"], check=True,
                   timeout=TIMEOUT)
    proc = run_mpi("resume", str(tmp_path / "c"), "3", str(ckpt), "from")
    assert proc.returncode == 0, proc.stderr
    (w, h), _ = _ranks(tmp_path / "c")
    ref = W.mlp()
    history = W.train(ref, 8, epochs=3, distributed=False)
    assert _max_rel(w, {k: np.asarray(v) for k, v in W.arrays(ref).items()}) < 1e-12
    np.testing.assert_allclose(h["loss"], history["loss"], rtol=1e-12)


def _history(path: Path) -> np.ndarray:
    return np.genfromtxt(path, delimiter=",", names=True)


def test_cli_train_under_mpiexec_prints_once_and_matches_one_process(tmp_path):
    flags = ["--dataset", "iris", "--layers", "4-16-3", "--epochs", "3", "--no-progress"]
    proc = run_mpi("-m", "nnumpy", "train", *flags, "--batch-size", "8", "--out", str(tmp_path / "two"), script=None)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("test accuracy") == 1 and proc.stdout.count("epoch 3/3") == 1  # rank 0 alone
    written = {p.name for p in (tmp_path / "two").iterdir()}
    assert {"model.safetensors", "checkpoint.safetensors", "history.csv", "run.toml"} <= written
    assert list(tmp_path.iterdir()) == [tmp_path / "two"]  # one run folder, rank 0's
    from nnumpy.cli import main

    assert main(["train", *flags, "--batch-size", "16", "--out", str(tmp_path / "one"), "--quiet"]) == 0
    two, one = _history(tmp_path / "two" / "history.csv"), _history(tmp_path / "one" / "history.csv")
    for column in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(two[column], one[column], rtol=1e-5)


def test_fit_distributed_on_one_process_raises_instead_of_aborting(tmp_path):
    # distributed=True without a launcher: a world of one, where an error is an ordinary exception.
    code = ("import numpy as np; from nnumpy import nn, optim; from nnumpy.train import fit\n"
            "m = nn.Sequential(nn.Linear(2, 2, rng=0))\n"
            "try:\n"
            "    fit(m, nn.CrossEntropyLoss(), optim.SGD(m.parameters(), lr=0.1), (np.zeros((4, 2), np.float32),"
            " np.full(4, 5)), epochs=1, distributed=True, verbose=False)\n"  # label 5 of 2 classes: in the loop
            "except Exception as e:\n"
            "    print('raised', type(e).__name__)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp_path)
    assert proc.returncode == 0 and "raised ValueError" in proc.stdout, proc.stderr

"""Fault injection (docs/reliability.md, "Resume" and "Atomic saves").

A training subprocess is SIGKILLed at seeded random moments (mid-step, mid-save, between epochs),
resumed from its checkpoint, and must end with the weights and History of an uninterrupted run,
bit for bit (BLAS pinned to one thread). Temp files of killed saves are removed by the next save
or load of the same path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nnumpy
from nnumpy import nn

WORKER = Path(__file__).with_name("_train_worker.py")
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
KILL_SEEDS = [0, 1, 2, 3, 4, 5]


def _run(out: Path, kill_after: float | None = None) -> float:
    """Run the worker in ``out``; SIGKILL it after ``kill_after`` seconds. Returns the wall time."""
    out.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(WORKER), str(out)], env=ENV, stderr=subprocess.PIPE)
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    if kill_after is None:
        assert proc.returncode == 0, err.decode()[-3000:]
    return time.perf_counter() - t0


def _result(out: Path):
    weights = nnumpy.load(out / "final.safetensors").state_dict()
    return weights, json.loads((out / "history.json").read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    wall = _run(out)
    return _result(out), wall


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_run_killed_at_a_random_moment_resumes_bit_identically(reference, tmp_path, seed):
    (want_weights, want_history), wall = reference
    kill_after = float(np.random.default_rng(seed).uniform(0.4, wall))  # after the imports, to the last save
    _run(tmp_path, kill_after)
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
    _run(tmp_path)  # resumes when the killed run left a checkpoint, else starts again
    weights, history = _result(tmp_path)
    assert weights.keys() == want_weights.keys()
    for k in want_weights:
        np.testing.assert_array_equal(weights[k], want_weights[k], err_msg=f"{k} after a kill at {kill_after:.2f}s")
    assert history == want_history
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")], f"left behind: {leftovers}"


def _dead_pid() -> int:
    """The id of a process that has exited."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


_SAVER = """
import sys, numpy as np, nnumpy
from nnumpy import nn
model = nn.Sequential(nn.Linear(1000, 1000, rng=0), nn.Linear(1000, 1000, rng=1))
print("ready", flush=True)
while True:
    nnumpy.save(model, sys.argv[1])
"""


def test_temp_files_of_killed_saves_are_removed_by_the_next_save_or_load(tmp_path):
    path = tmp_path / "m.safetensors"
    rng = np.random.default_rng(0)
    for _ in range(6):  # saves of 8 MB in a loop, killed at random moments
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], env=ENV, stdout=subprocess.PIPE)
        proc.stdout.readline()
        time.sleep(float(rng.uniform(0.0, 0.3)))
        proc.kill()
        proc.wait()
        proc.stdout.close()
    # A dead writer's temp file for certain, and one of a live writer, which must stay.
    (tmp_path / f".m.safetensors.{_dead_pid()}.abc123.tmp").write_bytes(b"partial")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / f".m.safetensors.{live.pid}.def456.tmp").write_bytes(b"in progress")
        if path.exists():
            nnumpy.load(path)  # the file itself is always whole: the old one or the new one
        nnumpy.save(nn.Linear(2, 2), path)
        left = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
        assert left == [f".m.safetensors.{live.pid}.def456.tmp"]
    finally:
        live.kill()
        live.wait()
    nnumpy.load(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def test_load_alone_removes_a_dead_writers_temp_file(tmp_path):
    path = tmp_path / "m.safetensors"
    nnumpy.save(nn.Linear(2, 2), path)
    (tmp_path / f".m.safetensors.{_dead_pid()}.x.tmp").write_bytes(b"partial")
    nnumpy.load(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]

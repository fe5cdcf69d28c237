"""benchmarks/bench_mpi.py keeps working: its smoke mode runs end to end under mpiexec (outputs, never times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .test_mpi import _need_mpi  # noqa: F401 - the autouse fixture: skip (or fail) without MPI

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_mpi.py"


def test_bench_mpi_smoke_writes_json_and_markdown(tmp_path):
    args = ["--smoke", "--batch-sizes", "64", "--repeats", "1", "--out", str(tmp_path), "--machine", "ci"]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(next(tmp_path.glob("*-ci-mpi.json")).read_text())
    assert [(r["processes"], r["batch"]) for r in report["runs"]] == [(1, 64), (2, 64)]
    assert all(len(r["epoch_s_runs"]) == 1 and r["allreduce_s_per_epoch_runs"][0] >= 0 for r in report["runs"])
    assert [a["mb"] for a in report["allreduce"]] == [0.25, 1.0, 4.0, 16.0]
    assert "| processes × threads |" in next(tmp_path.glob("*-ci-mpi.md")).read_text()

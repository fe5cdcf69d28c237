"""The training benchmark (benchmarks/bench_mlp.py) keeps working: its smoke mode runs end to end.

Only the outputs are checked, never the times (the suite runs in parallel on
shared machines). The smoke run uses a tiny data subset, one thread and a
single-digit number of seconds on an idle machine.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from _bench import run_bench

IMPLS = {"nnumpy-fit", "nnumpy-loop", "numpy", "torch", "sklearn"}


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return run_bench("bench_mlp.py", *args, timeout=timeout)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    # Synthetic data: the same path whether or not Fashion-MNIST is installed on the CI machine.
    proc = _run("--smoke", "--synthetic", "--out", str(out), "--machine", "ci")
    return proc, out


def test_benchmark_smoke_exits_cleanly_and_writes_json_markdown(smoke):
    proc, out = smoke
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = sorted(p.name for p in out.iterdir())
    stems = {Path(f).stem for f in files}
    assert len(stems) == 1 and next(iter(stems)).endswith("-ci"), files
    assert any(f.endswith(".json") for f in files) and any(f.endswith(".md") for f in files), files


def test_benchmark_smoke_json_has_every_workload_and_figure(smoke):
    proc, out = smoke
    report = json.loads(next(out.glob("*.json")).read_text())
    meta = report["meta"]
    assert meta["smoke"] is True and meta["square_gemm_gflops"] > 0
    groups = {w["group"] for w in report["workloads"]}
    assert groups == {"fmnist", "small", "acc10"}
    for w in report["workloads"]:
        assert w["floor_s"] > 0 and w["train_flops"] == 6 * w["params"] * w["n_train"] * w["epochs"]
        assert set(w["results"]) | set(w["skipped"]) >= set(w["impls"]), w["name"]
        assert not w["errors"], w["errors"]
        for name, entry in w["results"].items():
            assert name in IMPLS
            assert len(entry["times_s"]) == w["repeats"]
            assert entry["min_s"] <= entry["median_s"] <= entry["max_s"]
            assert 0.0 <= entry["test_acc"] <= 100.0
    # nnumpy and the plain NumPy loop start from the same weights and see the same batches.
    fm = next(w for w in report["workloads"] if w["group"] == "fmnist")
    assert fm["results"]["nnumpy-loop"]["test_acc"] == pytest.approx(fm["results"]["numpy"]["test_acc"], abs=1.0)
    # Peak RSS came back from the fresh subprocesses.
    assert "peak_rss_mb" in fm["results"]["nnumpy-loop"]


def test_benchmark_smoke_markdown_has_tables_and_targets(smoke):
    proc, out = smoke
    md = next(out.glob("*.md")).read_text()
    assert "SMOKE RUN" in md and "#### Targets" in md and "| nnumpy-loop |" in md
    assert "python benchmarks/bench_mlp.py --smoke" in md  # the command that made it


def test_benchmark_refuses_without_data_in_one_line(tmp_path):
    proc = _run("--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install dataset-fashion-mnist" in lines[0]
    assert not list(tmp_path.glob("*.json"))

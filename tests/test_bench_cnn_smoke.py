"""The CNN benchmark (benchmarks/bench_cnn.py) keeps working: its smoke mode runs end to end.

As in test_benchmarks_smoke.py, only the outputs are checked, never the times: the smoke
run trains on a few hundred synthetic images, one thread, a handful of steps.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from _bench import run_bench



def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return run_bench("bench_cnn.py", *args, timeout=timeout)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_cnn")
    proc = _run("--smoke", "--synthetic", "--out", str(out), "--machine", "ci")
    return proc, out


def test_bench_cnn_smoke_writes_json_and_markdown(smoke):
    proc, out = smoke
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].endswith("-ci-cnn.json") and names[1].endswith("-ci-cnn.md"), names


def test_bench_cnn_smoke_json_has_every_workload(smoke):
    _, out = smoke
    report = json.loads(next(out.glob("*.json")).read_text())
    assert report["meta"]["smoke"] is True and report["meta"]["threads"] == 1
    w = {x["name"]: x for x in report["workloads"]}
    assert set(w) == {"epoch", "memory", "lenet", "acc", "sample"}
    epoch = w["epoch"]["results"]
    assert set(epoch) == {"nnumpy", "torch", "book"}
    for entry in epoch.values():
        assert len(entry["times_s"]) == report["meta"]["repeats"]
        assert entry["min_s"] <= entry["median_s"] <= entry["max_s"]
    assert epoch["nnumpy"]["ratio"]["torch"] == pytest.approx(epoch["nnumpy"]["median_s"] / epoch["torch"]["median_s"])
    mem = w["memory"]["results"]["100"]
    assert mem["im2col_columns_mb"] == pytest.approx(100 * 25 * 24 * 24 * 4 / 2**20)
    assert mem["nnumpy_step_peak_mb"] > 0 and mem["book_step_peak_mb"] > 0
    assert w["lenet"]["max_abs_output_diff"] < 1e-5 and w["lenet"]["results"]["nnumpy"]["us_per_step"] > 0
    for name in ("acc", "sample"):
        res = w[name]["results"]
        assert set(res) == {"nnumpy", "torch"}
        # same start, same batches, same float32 arithmetic: the accuracies agree
        assert res["nnumpy"]["test_acc"] == pytest.approx(res["torch"]["test_acc"], abs=1.0)


def test_bench_cnn_smoke_markdown_has_tables_and_targets(smoke):
    _, out = smoke
    md = next(out.glob("*.md")).read_text()
    assert "SMOKE RUN" in md and "#### Targets" in md and "| book |" in md and "LeNet-5" in md
    assert "python benchmarks/bench_cnn.py --smoke" in md


def test_bench_cnn_refuses_without_data_in_one_line(tmp_path):
    proc = _run("--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path), "--workloads", "epoch", timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install dataset-fashion-mnist" in lines[0]
    assert not list(tmp_path.glob("*.json"))

"""benchmarks/bench_playground.py keeps working: its smoke mode starts the real server and counts frames."""

from __future__ import annotations

import json

import pytest
from _bench import run_bench

pytest.importorskip("starlette", reason='the playground needs Starlette: pip install "nnumpy[playground]"')


def test_playground_benchmark_smoke(tmp_path):
    out = tmp_path / "fps.json"
    proc = run_bench("bench_playground.py", "--smoke", "--out", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "frames/s median" in proc.stdout and "target >= 20 frames/s (2-16-16-2 on 200 points):" in proc.stdout
    data = json.loads(out.read_text())
    for key in ("stream_steps_per_frame_10", "stream_steps_per_frame_0"):
        assert len(data[key]["fps"]) == 1 and data[key]["fps"][0] > 0 and data[key]["steps_per_s"][0] > 0

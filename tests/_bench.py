"""Running a benchmark script in a subprocess, for the smoke tests of ``benchmarks/``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python benchmarks/<script> *args`` from the repository root, quiet (``BENCH_QUIET=1``), output captured."""
    env = {**os.environ, "BENCH_QUIET": "1"}
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)

"""The run directory ``nnumpy train`` writes: its file names, default place and writers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

__all__ = ["MODEL_FILE", "CHECKPOINT_FILE", "HISTORY_FILE", "CURVES_FILE", "RUN_FILE", "TRACE_FILE",
           "ANIMATION_FILE", "default_out", "write_text", "write_json"]

MODEL_FILE = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
HISTORY_FILE = "history.csv"
CURVES_FILE = "curves.png"
RUN_FILE = "run.toml"  # every resolved setting: --config replays the run, --resume reads it
TRACE_FILE = "trace.txt"
ANIMATION_FILE = "decision_boundary.gif"


def default_out(dataset: str) -> Path:
    """``runs/<dataset>-<timestamp>``, with ``-2``, ``-3``, ... appended when that directory exists."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{dataset}-{stamp}"
    path, i = base, 2
    while path.exists():
        path = base.with_name(f"{base.name}-{i}")
        i += 1
    return path


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (a reader never sees half a file)."""
    from .._atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2) + "\n")

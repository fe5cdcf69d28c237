"""The tutorial docs/custom-layer.md, run once per test module: its layers and its pasted outputs."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "custom-layer.md"
_BLOCK = re.compile(r"```python\n((?:(?!```).)*)```\n\nOutput:\n\n```text\n(.*?)\n```", re.S)


@pytest.fixture(scope="module")
def tutorial():
    """Run every code block of the tutorial in one namespace; return (namespace, [(expected, got)])."""
    ns: dict = {"__name__": "custom_layer_tutorial"}
    outputs = []
    for code, expected in _BLOCK.findall(DOC.read_text(encoding="utf-8")):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, str(DOC), "exec"), ns)
        outputs.append((expected, buf.getvalue().rstrip("\n")))
    return ns, outputs

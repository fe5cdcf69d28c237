"""nnumpy.check.gradcheck run on built-in layers: a float32 request refused, a float32 layer
upcast without being touched, the worst entry named in the report.

Each layer's own gradient check is in tests/nn/test_<layer>.py; the checker's planted-bug
tests are in tests/check/test_gradcheck.py (which covers the refusal and the report table too).
"""

from __future__ import annotations

import numpy as np
import pytest

from nnumpy import nn
from nnumpy.check import gradcheck


def test_gradcheck_refuses_float32_request():
    with pytest.raises(ValueError, match="float64 only"):
        gradcheck(nn.Sigmoid(), np.ones((2, 2)), dtype=np.float32)


def test_gradcheck_upcasts_float32_module_without_touching_it():
    layer = nn.Linear(3, 2, rng=0)
    before = layer.weight.data.copy()
    report = gradcheck(layer, np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    assert report.ok and report.max_rel_error < 1e-6
    assert layer.weight.dtype == np.float32 and np.array_equal(layer.weight.data, before)


def test_gradcheck_report_names_worst_entry():
    class Wrong(nn.Linear):
        def backward(self, grad_output):
            gx = super().backward(grad_output)
            gx[1, 2] += 1.0
            return gx

    report = gradcheck(Wrong(3, 2, rng=0), np.random.default_rng(1).normal(size=(4, 3)))
    assert not report.ok
    row = next(c for c in report.checks if c.name == "input")
    assert row.worst_index == (1, 2)
    assert "(1, 2)" in str(report) and "FAIL" in str(report)

"""The float64 central-difference check every layer test in tests/nn/ runs (max relative
error ≤ 1e-6 for the input and every parameter, biases included)."""

from __future__ import annotations

import numpy as np

from nnumpy.check import gradcheck

SEEDS = (0, 1)


def away_from_kinks(x):
    """Keep samples at least 0.05 from 0, where ReLU-like layers have a kink."""
    return np.where(np.abs(x) < 0.05, np.sign(x + 1e-12) * 0.05 + x, x)


def assert_layer_gradcheck(layer, shape, seed):
    x = away_from_kinks(np.random.default_rng(seed).normal(size=shape) * 2)
    report = gradcheck(layer, x, rng=seed)
    assert report.ok, str(report)
    assert report.max_rel_error <= 1e-6, str(report)
    # every parameter was checked, biases included
    assert {c.name for c in report.checks} == {"input"} | {n for n, _ in layer.named_parameters()}

"""nnumpy.nn.functional, the kernels the layers call (src/nnumpy/nn/functional.py):
F.sigmoid bit for bit against its formula and hypothesis properties of F.softmax and F.sigmoid.

The layers built on them are tested in tests/nn/test_activation.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnumpy.nn import functional as F

finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)
logits_2d = st.integers(1, 6).flatmap(
    lambda n: st.integers(2, 7).flatmap(lambda c: arrays(np.float64, (n, c), elements=finite))
)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", ">f4", ">f8", "int64", "bool"])
def test_sigmoid_matches_the_copysign_formula_bit_for_bit(dtype):
    # F.sigmoid must give bit for bit the result of the two-branch formula written with
    # np.copysign (n / (1 + e), e = exp(-|x|)), for every layout, byte order and special
    # value (NaN, ±inf, ±0, subnormals); floats keep their dtype (in native byte order),
    # integers and bools become float64.
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((40, 30)) * 30).astype(dtype)  # 1,200 elements
    if x.dtype.kind == "f":
        x.flat[:8] = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40]

    def reference(a):
        e = np.empty_like(a) if a.dtype.kind == "f" else np.empty(a.shape, np.result_type(a, 0.5))
        np.copysign(a, -1.0, out=e)
        np.exp(e, out=e)
        y = np.add(e, 1.0, out=np.empty_like(e))
        np.maximum(e, a >= 0, out=e)
        return np.divide(e, y, out=y)

    for a in (x, x[:, ::3], np.asfortranarray(x), np.tile(x, (2, 2)), x[0, 0]):
        with np.errstate(all="ignore"):
            got, want = F.sigmoid(a), reference(np.asarray(a))
        want = np.asarray(want, dtype=want.dtype.newbyteorder("="))
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(np.asarray(got).tobytes(), np.asarray(want).tobytes())


@given(logits_2d, st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_are_shift_invariant(x, shift):
    y = F.softmax(x, axis=1)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(x + shift, axis=1), y, atol=1e-12)
    assert np.all(y >= 0)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_sigmoid_in_unit_interval_and_symmetric(x):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = F.sigmoid(x)
        np.testing.assert_allclose(y + F.sigmoid(-x), 1.0, atol=1e-15)
    assert np.all((y >= 0) & (y <= 1))

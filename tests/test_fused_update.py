"""The fused SGD step of a Linear weight and Linear's feature-major GEMMs.

``Linear.backward`` leaves dL/dW = Gᵀx as its two factors
(``Parameter.accumulate_product``); reading ``grad`` forms it, and plain SGD
adds -lr·Gᵀx into the weight with one BLAS gemm (``_blas.gemm_update``).
These tests pin down that nothing a user can observe changes: ``grad`` reads
the same array as the eager product, accumulation, ``zero_grad`` and the grad
setter behave as before, and the fused step equals the eager one within a
rounding, through BLAS and through the NumPy fallback. Batches of 2..256 rows
run Linear's forward as (W xᵀ)ᵀ: same values, F-ordered output.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnumpy import _blas, nn, optim
from nnumpy.nn import Parameter
from nnumpy.nn._linear import FEATURE_MAJOR_MAX_ROWS

HAVE_GEMM = _blas._functions() is not None and bool(_blas._functions()["gemm"])


def _no_blas(monkeypatch):
    monkeypatch.setattr(_blas, "_FNS", None)
    monkeypatch.setattr(_blas, "_LOADED", True)


@pytest.fixture(params=["blas", "numpy"])
def gemm_path(request, monkeypatch):
    """Run a test through BLAS gemm and through the NumPy fallback."""
    if request.param == "blas":
        if not HAVE_GEMM:
            pytest.skip("no usable BLAS gemm in this NumPy")
    else:
        _no_blas(monkeypatch)
    return request.param


def _layout(rng, shape, order, dtype):
    return np.asarray(rng.standard_normal(shape), dtype=dtype, order=order)


# ---------------------------------------------------------------------------- _blas.gemm_update
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 31, 300])
@pytest.mark.parametrize("orders", ["CC", "CF", "FC", "FF"])
def test_gemm_update_adds_scaled_product_in_place(dtype, k, orders, gemm_path):
    rng = np.random.default_rng(k)
    a = _layout(rng, (k, 70), orders[0], dtype)
    b = _layout(rng, (k, 90), orders[1], dtype)
    c = rng.standard_normal((70, 90)).astype(dtype)
    a0, b0 = a.copy(), b.copy()
    exact = c.astype(np.float64) - 0.3 * (a.astype(np.float64).T @ b.astype(np.float64))
    assert _blas.gemm_update_possible(c, a, b) == (gemm_path == "blas" and k > 0)  # K = 0: nothing to add
    _blas.gemm_update(-0.3, a, b, c)
    scale = np.abs(a).max() * np.abs(b).max() * k if k else 0.0
    tol = 50 * np.finfo(dtype).eps * (1 + np.abs(c).max() + scale)
    np.testing.assert_allclose(c, exact, rtol=0, atol=tol)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)  # the factors are only read


def test_gemm_update_writes_nothing_outside_c():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 64)), rng.standard_normal((5, 80))
    buf = np.full((66, 80), 7.0)
    c = buf[1:65]  # C-contiguous rows inside a larger buffer, guard rows on both sides
    _blas.gemm_update(0.5, a, b, c)
    assert (buf[0] == 7.0).all() and (buf[65] == 7.0).all()
    np.testing.assert_allclose(c, 7.0 + 0.5 * a.T @ b, rtol=1e-12)


@pytest.mark.parametrize(
    "case",
    ["small", "mixed dtype", "strided factor", "non-contiguous c", "read-only c", "overlap", "1-d"],
)
def test_gemm_update_falls_back_to_numpy_when_blas_cannot(case):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 64)), rng.standard_normal((4, 80))
    c = rng.standard_normal((64, 80))
    if case == "small":
        a, b, c = a[:, :8], b[:, :8], c[:8, :8].copy()
    elif case == "mixed dtype":
        a = a.astype(np.float32)
    elif case == "strided factor":
        a = rng.standard_normal((8, 64))[::2]
    elif case == "non-contiguous c":
        c = rng.standard_normal((64, 160))[:, ::2]
    elif case == "read-only c":
        c.flags.writeable = False
    elif case == "overlap":
        base = rng.standard_normal((66, 80))
        b, c = base[:4], base[2:66]  # b's last two rows are c's first two
    else:
        a, b = a[0], b[0]
    assert not _blas.gemm_update_possible(c, a, b)
    if case == "read-only c":
        with pytest.raises(ValueError, match="read-only"):
            _blas.gemm_update(-0.3, a, b, c)
        return
    if case == "1-d":
        return  # not a product of factors; Parameter never asks for it
    expected = c + -0.3 * (np.atleast_2d(a).T @ np.atleast_2d(b))
    _blas.gemm_update(-0.3, a, b, c)
    np.testing.assert_allclose(c, expected, rtol=1e-6, atol=1e-6)


@given(
    k=st.integers(1, 40),
    m=st.integers(64, 90),
    n=st.integers(64, 90),
    orders=st.sampled_from(["CC", "CF", "FC", "FF"]),
    alpha=st.floats(-2.0, 2.0),
)
def test_gemm_update_matches_numpy_for_any_shape_and_layout(k, m, n, orders, alpha):
    rng = np.random.default_rng(k * 1000 + m + n)
    a = _layout(rng, (k, m), orders[0], np.float64)
    b = _layout(rng, (k, n), orders[1], np.float64)
    c = rng.standard_normal((m, n))
    expected = c + alpha * (a.T @ b)
    _blas.gemm_update(alpha, a, b, c)
    np.testing.assert_allclose(c, expected, rtol=0, atol=1e-12 * k * 10)


# ---------------------------------------------------------------------------- Parameter
def _factors(rows, out=64, inp=80, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, out)).astype(dtype), rng.standard_normal((rows, inp)).astype(dtype)


@pytest.mark.parametrize("rows", [1, 7])
def test_accumulate_product_reads_as_the_eager_product(rows, gemm_path):
    g, x = _factors(rows)
    p = Parameter(np.zeros((64, 80)))
    p.accumulate_product(g, x)
    assert (p._pending_product() is not None) == (gemm_path == "blas")
    expected = np.einsum("bi,bj->ij", g, x) if rows == 1 else g.T @ x
    assert np.array_equal(p.grad, expected)  # the same array the eager path stores, to the bit
    assert p._pending_product() is None and p.grad is p.grad  # formed once, then an ordinary grad


def test_accumulate_product_adds_up_with_every_other_gradient():
    g1, x1 = _factors(3, seed=1)
    g2, x2 = _factors(5, seed=2)
    extra = np.ones((64, 80))
    p = Parameter(np.zeros((64, 80)))
    p.accumulate_product(g1, x1)
    p.accumulate_product(g2, x2)  # a pending product is formed before the second is added
    p.accumulate(extra)
    np.testing.assert_allclose(p.grad, g1.T @ x1 + g2.T @ x2 + extra, rtol=1e-12)

    q = Parameter(np.zeros((64, 80)))
    q.accumulate(extra.copy())  # accumulate takes ownership of the array it is given
    q.accumulate_product(g1, x1)  # into an existing gradient: added at once
    assert q._pending_product() is None
    np.testing.assert_allclose(q.grad, extra + g1.T @ x1, rtol=1e-12)


def test_zero_grad_and_the_grad_setter_drop_a_pending_product():
    g, x = _factors(4)
    p = Parameter(np.zeros((64, 80)))
    p.accumulate_product(g, x)
    p.zero_grad()
    assert p.grad is None and p._pending_product() is None
    p.accumulate_product(g, x)
    p.zero_grad(set_to_none=False)
    assert np.array_equal(p.grad, np.zeros((64, 80)))
    p.zero_grad()
    p.accumulate_product(g, x)
    p.grad = np.full((64, 80), 2.0)
    assert p._pending_product() is None and (p.grad == 2.0).all()
    p.accumulate_product(g, x)
    p.grad += 1.0  # read-modify-write through the property forms the product first
    np.testing.assert_allclose(p.grad, 2.0 + g.T @ x + 1.0, rtol=1e-12)


def test_accumulate_product_checks_shapes():
    p = Parameter(np.zeros((64, 80)))
    g, x = _factors(4, out=63)
    with pytest.raises(ValueError, match=r"gradient of shape \(63, 80\) does not match parameter of shape \(64, 80\)"):
        p.accumulate_product(g, x)


# ---------------------------------------------------------------------------- SGD and Linear
def _mlp(dtype, seed=0):
    return nn.Sequential(nn.Linear(80, 64, rng=seed, dtype=dtype), nn.Sigmoid(), nn.Linear(64, 3, rng=seed + 1, dtype=dtype))


def _train(model, x, y, opt, steps):
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward(), input_grad=False)
        opt.step()
    return [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 2, 32, 300])
@pytest.mark.parametrize("maximize", [False, True])
def test_fused_sgd_step_equals_the_eager_step(dtype, rows, maximize, monkeypatch):
    if not HAVE_GEMM:
        pytest.skip("no usable BLAS gemm in this NumPy")
    rng = np.random.default_rng(rows)
    x = rng.standard_normal((rows, 80)).astype(dtype)
    y = rng.integers(0, 3, rows)
    fused, eager = _mlp(dtype), _mlp(dtype)
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(fused(x), y)
    fused.backward(loss_fn.backward(), input_grad=False)
    assert fused[0].weight._pending_product() is not None  # the fused path is really taken
    got = _train(fused, x, y, optim.SGD(fused.parameters(), lr=0.3, maximize=maximize), 5)
    with monkeypatch.context() as m:
        m.setattr(nn.Parameter, "accumulate_product", lambda self, g, x: self.accumulate(_blas.outer_product(g, x)))
        expected = _train(eager, x, y, optim.SGD(eager.parameters(), lr=0.3, maximize=maximize), 5)
    eps = np.finfo(dtype).eps
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=0, atol=64 * eps * max(1.0, np.abs(e).max()))


def test_gradient_after_a_fused_step_is_the_gradient_of_the_step():
    if not HAVE_GEMM:
        pytest.skip("no usable BLAS gemm in this NumPy")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 80))
    y = rng.integers(0, 3, 16)
    model = _mlp(np.float64)
    w0 = model[0].weight.data.copy()
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward(), input_grad=False)
    optim.SGD(model.parameters(), lr=0.5).step()
    g = model[0].weight.grad  # read after the fused step: the gradient at w0
    np.testing.assert_allclose(model[0].weight.data, w0 - 0.5 * g, rtol=0, atol=1e-13)
    probe = _mlp(np.float64)
    loss_fn(probe(x), y)
    probe.backward(loss_fn.backward())
    np.testing.assert_allclose(g, probe[0].weight.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("SGD", dict(lr=0.1, weight_decay=0.01)),
                                          ("Adam", dict(lr=0.01)), ("RMSprop", dict(lr=0.01))])
def test_other_optimizers_form_the_pending_product(name, kwargs, monkeypatch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 80)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    a, b = _mlp(np.float32), _mlp(np.float32)
    got = _train(a, x, y, getattr(optim, name)(a.parameters(), **kwargs), 4)
    monkeypatch.setattr(nn.Parameter, "accumulate_product", lambda self, g, x: self.accumulate(_blas.outer_product(g, x)))
    expected = _train(b, x, y, getattr(optim, name)(b.parameters(), **kwargs), 4)
    for g, e in zip(got, expected):
        assert np.array_equal(g, e)  # the same formed gradient, the same update


@pytest.mark.parametrize("rows", [1, 2, 17, FEATURE_MAJOR_MAX_ROWS, FEATURE_MAJOR_MAX_ROWS + 1])
def test_linear_layouts_give_the_same_values(rows):
    rng = np.random.default_rng(rows)
    layer = nn.Linear(80, 64, rng=0, dtype=np.float64)
    nxt = nn.Linear(64, 5, rng=1, dtype=np.float64)
    x = rng.standard_normal((rows, 80))
    h = layer(x)
    out = nxt(h)
    fm = 1 < rows <= FEATURE_MAJOR_MAX_ROWS
    assert h.flags.f_contiguous == fm or rows == 1
    np.testing.assert_allclose(h, x @ layer.weight.data.T + layer.bias.data, rtol=1e-13, atol=1e-13)
    g = rng.standard_normal((rows, 5))
    dh = nxt.backward(g)
    # dL/dx comes back in the layout of the x the layer got (F after a feature-major Linear).
    assert dh.flags.f_contiguous == h.flags.f_contiguous
    np.testing.assert_allclose(dh, g @ nxt.weight.data, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(out, h @ nxt.weight.data.T + nxt.bias.data, rtol=1e-13, atol=1e-13)
    dx = layer.backward(dh)
    assert dx.flags.c_contiguous  # x was C-ordered
    np.testing.assert_allclose(dx, dh @ layer.weight.data, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(layer.weight.grad, dh.T @ x, rtol=1e-12, atol=1e-12)

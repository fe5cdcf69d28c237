"""Unit tests for nnumpy.optim optimizers; agreement with PyTorch is in tests/parity/test_optim_parity.py."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnumpy import optim
from nnumpy.nn import Parameter
from nnumpy import _blas
from nnumpy.optim import _adagrad, _adam, _optimizer, _rmsprop, _sgd, lr_scheduler

# Every optimizer with each of its options switched on at least once.
OPTIONS = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True},
    ],
    "Adam": [{}, {"amsgrad": True, "weight_decay": 0.1}, {"decoupled_weight_decay": True, "weight_decay": 0.1}],
    "AdamW": [{}, {"amsgrad": True, "maximize": True}],
    "RMSprop": [{}, {"momentum": 0.9, "centered": True, "weight_decay": 0.1}, {"maximize": True}],
    "Adagrad": [{}, {"lr_decay": 0.1, "initial_accumulator_value": 0.2, "weight_decay": 0.1}],
}
CONFIGS = [(name, kwargs) for name, variants in OPTIONS.items() for kwargs in variants]
CONFIG_IDS = [f"{name}-{'-'.join(kwargs) or 'defaults'}" for name, kwargs in CONFIGS]


def _params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal((3, 4)), dtype=dtype), Parameter(rng.standard_normal(4), dtype=dtype)]


def _set_grads(params):
    """A deterministic gradient that depends on θ, so every step differs: cos(3θ) + θ/2."""
    for p in params:
        p.grad = np.cos(3 * p.data) + 0.5 * p.data


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        _set_grads(params)
        opt.step()


def _build(name, params, kwargs):
    return getattr(optim, name)(params, **kwargs)


# ---------------------------------------------------------------------------- hyperparameter checks
@pytest.mark.parametrize(
    ("name", "kwargs", "exc", "message"),
    [
        ("SGD", {"lr": -0.1}, ValueError, "The 'lr' parameter of SGD must be a float > 0. Got -0.1 instead."),
        ("SGD", {"lr": 0}, ValueError, "The 'lr' parameter of SGD must be a float > 0. Got 0 instead."),
        ("SGD", {"lr": "0.1"}, TypeError, "The 'lr' parameter of SGD must be a float > 0. Got '0.1' instead."),
        ("SGD", {"momentum": -0.5}, ValueError, "The 'momentum' parameter of SGD must be a float >= 0. Got -0.5 instead."),
        ("SGD", {"weight_decay": -1e-4}, ValueError, "The 'weight_decay' parameter of SGD must be a float >= 0. Got -0.0001 instead."),
        ("SGD", {"dampening": None}, TypeError, "The 'dampening' parameter of SGD must be a float. Got None instead."),
        ("SGD", {"nesterov": 1}, TypeError, "The 'nesterov' parameter of SGD must be a bool. Got 1 instead."),
        (
            "SGD", {"nesterov": True}, ValueError,
            "The 'nesterov' parameter of SGD must be False unless momentum > 0 and dampening == 0 "
            "(momentum=0.0, dampening=0.0). Got True instead.",
        ),
        (
            "SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, ValueError,
            "The 'nesterov' parameter of SGD must be False unless momentum > 0 and dampening == 0 "
            "(momentum=0.9, dampening=0.1). Got True instead.",
        ),
        ("Adam", {"lr": float("nan")}, ValueError, "The 'lr' parameter of Adam must be a float > 0. Got nan instead."),
        ("Adam", {"betas": (0.9, 1.0)}, ValueError, "The 'betas[1]' parameter of Adam must be a float in [0, 1). Got 1.0 instead."),
        ("Adam", {"betas": (-0.1, 0.9)}, ValueError, "The 'betas[0]' parameter of Adam must be a float in [0, 1). Got -0.1 instead."),
        ("Adam", {"betas": 0.9}, TypeError, "The 'betas' parameter of Adam must be a tuple of two floats in [0, 1). Got 0.9 instead."),
        ("Adam", {"eps": -1e-8}, ValueError, "The 'eps' parameter of Adam must be a float >= 0. Got -1e-08 instead."),
        ("Adam", {"amsgrad": "yes"}, TypeError, "The 'amsgrad' parameter of Adam must be a bool. Got 'yes' instead."),
        ("AdamW", {"weight_decay": -0.01}, ValueError, "The 'weight_decay' parameter of AdamW must be a float >= 0. Got -0.01 instead."),
        ("RMSprop", {"alpha": 1.5}, ValueError, "The 'alpha' parameter of RMSprop must be a float in [0, 1]. Got 1.5 instead."),
        ("RMSprop", {"momentum": -0.9}, ValueError, "The 'momentum' parameter of RMSprop must be a float >= 0. Got -0.9 instead."),
        ("RMSprop", {"centered": None}, TypeError, "The 'centered' parameter of RMSprop must be a bool. Got None instead."),
        ("Adagrad", {"lr_decay": -1}, ValueError, "The 'lr_decay' parameter of Adagrad must be a float >= 0. Got -1 instead."),
        (
            "Adagrad", {"initial_accumulator_value": -0.1}, ValueError,
            "The 'initial_accumulator_value' parameter of Adagrad must be a float >= 0. Got -0.1 instead.",
        ),
        ("Adagrad", {"maximize": 0}, TypeError, "The 'maximize' parameter of Adagrad must be a bool. Got 0 instead."),
    ],
)  # fmt: skip
def test_optimizer_invalid_hyperparameter_message(name, kwargs, exc, message):
    with pytest.raises(exc) as info:
        _build(name, _params(), kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("name", list(OPTIONS))
def test_optimizer_invalid_group_hyperparameter_message(name):
    p, q = _params()
    with pytest.raises(ValueError, match=rf"^The 'lr' parameter of {name} must be a float > 0. Got -1 instead.$"):
        _build(name, [{"params": [p]}, {"params": [q], "lr": -1}], {})
    opt = _build(name, [p], {})
    with pytest.raises(ValueError, match=rf"^The 'lr' parameter of {name} must be a float > 0. Got 0.0 instead.$"):
        opt.add_param_group({"params": [q], "lr": 0.0})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize(
    ("make_params", "exc", "match"),
    [
        (lambda p: [], ValueError, "^optimizer got an empty parameter list$"),
        (lambda p: [p.data], TypeError, "can only optimize nnumpy.nn.Parameter objects, but item 0 .* ndarray"),
        (lambda p: p, TypeError, r"got a single Parameter: wrap it in a list, e.g. SGD\(\[param\]\)"),
        (lambda p: {p}, TypeError, "ordered collection .* use a list instead"),
        (lambda p: 5, TypeError, "iterable of Parameters or of parameter-group dicts, got int"),
        (lambda p: [p, p], ValueError, "lists the same parameter more than once"),
        (lambda p: [{"params": [p]}, {"params": [p]}], ValueError, "more than one parameter group"),
        (lambda p: [{"lr": 0.1}], ValueError, "must have a 'params' entry"),
        (lambda p: [{"params": {p}}], TypeError, "ordered collection"),
    ],
)
def test_optimizer_invalid_params(make_params, exc, match):
    with pytest.raises(exc, match=match):
        optim.SGD(make_params(_params()[0]))


def test_sgd_defaults_match_pytorch():
    opt = optim.SGD(_params())
    expected = {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False}
    assert opt.defaults == expected
    assert optim.AdamW(_params()).defaults["weight_decay"] == 0.01
    assert optim.RMSprop(_params()).defaults["lr"] == 0.01
    assert optim.Adagrad(_params()).defaults["eps"] == 1e-10


# ---------------------------------------------------------------------------- stepping
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_keeps_float32_in_place(name, kwargs):
    params = _params(np.float32)
    arrays = [p.data for p in params]
    opt = _build(name, params, kwargs)
    for _ in range(3):
        for p in params:
            p.grad = (np.cos(3 * p.data) + 0.5 * p.data).astype(np.float32)
        opt.step()
        assert all(p.data.dtype == np.float32 for p in params)
        assert all(p.data is a for p, a in zip(params, arrays))  # updated in place
    buffers = [v for state in opt.state.values() for v in state.values() if isinstance(v, np.ndarray)]
    assert all(b.dtype == np.float32 for b in buffers)
    assert buffers or (name == "SGD" and "momentum" not in kwargs)  # plain SGD keeps no state


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_skips_params_without_grad(name, kwargs):
    used, frozen = _params()
    before = frozen.data.copy()
    opt = _build(name, [used, frozen], kwargs)
    for _ in range(3):
        _set_grads([used])
        opt.step()
    assert np.array_equal(frozen.data, before)
    assert frozen.grad is None
    assert opt.state.get(frozen, {}).get("step", 0) == 0
    assert not np.array_equal(used.data, _params()[0].data)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_step_leaves_grad_unchanged(name, kwargs):
    params = _params()
    opt = _build(name, params, kwargs)
    for _ in range(3):
        _set_grads(params)
        grads = [p.grad.copy() for p in params]
        opt.step()
        assert all(np.array_equal(p.grad, g) for p, g in zip(params, grads))


def _sgd_vs_numpy_loop(dtype):
    """Three plain SGD steps and the hand-written ``e -= 0.1 * g`` on the same gradients."""
    params = _params(dtype)
    expected = [p.data.copy() for p in params]
    opt = optim.SGD(params, lr=0.1)
    for _ in range(3):
        _set_grads(params)
        for e, p in zip(expected, params):
            e -= 0.1 * p.grad
        opt.step()
    return [p.data for p in params], expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_plain_step_equals_numpy_loop_within_one_rounding(dtype, axpy_path, monkeypatch):
    monkeypatch.setattr(_blas, "MIN_BLAS_SIZE", 1)  # the (3, 4) test parameters take the BLAS path too
    # BLAS axpy rounds p - lr·g once (as torch does), the NumPy loop twice (lr·g, then the sum):
    # per step they differ by at most one rounding of lr·g, which is ≤ |θ| here, so a few eps·|θ| overall.
    got, expected = _sgd_vs_numpy_loop(dtype)
    eps = np.finfo(dtype).eps
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=4 * eps * np.abs(e).max())


def test_sgd_plain_step_without_blas_equals_numpy_loop(monkeypatch):
    monkeypatch.setattr(_blas, "_FNS", None)
    monkeypatch.setattr(_blas, "_LOADED", True)
    got, expected = _sgd_vs_numpy_loop(np.float32)
    assert all(np.array_equal(g, e) for g, e in zip(got, expected))


@pytest.fixture(params=["blas", "numpy"])
def axpy_path(request, monkeypatch):
    """Run a test through the BLAS kernel (as if OpenBLAS had one thread) and through the NumPy fallback."""
    fns = _blas._functions()
    if request.param == "blas":
        if fns is None:
            pytest.skip("no usable BLAS axpy in this NumPy")
        monkeypatch.setitem(fns, "threads", lambda: 1)
        assert _blas.blas_axpy_available()
    else:
        monkeypatch.setattr(_blas, "_FNS", None)
        monkeypatch.setattr(_blas, "_LOADED", True)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (33, 65), (64, 64), (5000,), (2, 3, 4)])
def test_axpy_adds_scaled_x_in_place(dtype, shape, axpy_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(shape).astype(dtype)
    x_before = x.copy()
    # In float64 / long double the reference is exact or within one rounding of it.
    exact = (y.astype(np.longdouble) + np.longdouble(dtype(-0.3)) * x.astype(np.longdouble)).astype(dtype)
    # One rounding of the result (fused, BLAS) or two (NumPy: the product, then the sum).
    bound = np.spacing(np.abs(exact)) + np.spacing(np.abs(dtype(-0.3) * x))
    target = y
    _blas.axpy(-0.3, x, y)
    assert y is target and y.dtype == dtype
    assert np.array_equal(x, x_before)
    assert np.all(np.abs(y - exact) <= bound)


@pytest.mark.parametrize("n", [5, 5000])  # below and above MIN_BLAS_SIZE
def test_axpy_falls_back_for_views_overlap_and_read_only_x(n, axpy_path):
    base = np.arange(2 * n, dtype=np.float32)
    y = np.ones(n, np.float32)
    _blas.axpy(2.0, base[::2], y)  # strided x
    assert np.array_equal(y, 1 + 2 * base[::2])
    z = np.arange(n + 4, dtype=np.float32)
    expected = z.copy()
    expected[2 : n + 2] += z[:n]
    _blas.axpy(1.0, z[:n], z[2 : n + 2])  # overlapping: the NumPy expression's semantics (x read first)
    assert np.array_equal(z, expected)
    x = np.full(n, 3.0, np.float32)
    x.flags.writeable = False
    w = np.zeros(n, np.float32)
    _blas.axpy(0.5, x, w)  # read-only x is fine
    assert np.array_equal(w, np.full(n, 1.5, np.float32))
    m = np.zeros(n, np.float32)
    _blas.axpy(0.5, x.astype(np.float64), m)  # mixed dtypes: NumPy casting rules
    assert m.dtype == np.float32 and np.array_equal(m, np.full(n, 1.5, np.float32))


def test_axpy_blas_can_be_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("NNUMPY_NO_BLAS", "1")
    assert _blas._load() is None


def test_axpy_uses_numpy_while_openblas_has_several_threads(monkeypatch):
    fns = _blas._functions()
    if fns is None:
        pytest.skip("no usable BLAS axpy in this NumPy")
    monkeypatch.setitem(fns, "threads", lambda: 2)
    assert not _blas.blas_axpy_available()
    calls = []
    monkeypatch.setitem(fns, np.dtype(np.float32), (lambda *a: calls.append(a), fns[np.dtype(np.float32)][1]))
    y = np.zeros(5000, np.float32)
    _blas.axpy(1.0, np.ones(5000, np.float32), y)
    assert not calls and np.array_equal(y, np.ones(5000, np.float32))


def test_sgd_momentum_worked_example():
    # θ0 = 1, g = 2 each step, lr = 0.5, μ = 0.5, τ = 0.5:
    # b1 = g = 2 → θ1 = 1 - 0.5·2 = 0;  b2 = 0.5·2 + 0.5·2 = 2 → θ2 = -1.
    p = Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.5, momentum=0.5, dampening=0.5)
    thetas = []
    for _ in range(2):
        p.grad = np.array([2.0])
        opt.step()
        thetas.append(float(p.data[0]))
    assert thetas == [0.0, -1.0]


@settings(derandomize=True, max_examples=50, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=1, max_size=8),
    dtype=st.sampled_from([np.float32, np.float64]),
    lr=st.floats(1e-6, 10.0),
    momentum=st.floats(0.0, 0.99),
    dampening=st.floats(0.0, 1.0),
    nesterov=st.booleans(),
    maximize=st.booleans(),
)
def test_sgd_zero_gradient_leaves_parameters_unchanged(values, dtype, lr, momentum, dampening, nesterov, maximize):
    if nesterov:
        momentum, dampening = max(momentum, 0.1), 0.0
    p = Parameter(np.array(values), dtype=dtype)
    before = p.data.copy()
    opt = optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, maximize=maximize)
    for _ in range(3):
        p.grad = np.zeros_like(p.data)
        opt.step()
    assert np.array_equal(p.data, before)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_optimizer_zero_grad(set_to_none):
    params = _params(np.float32)
    opt = optim.Adam(params)
    _set_grads(params)
    opt.zero_grad(set_to_none=set_to_none)
    for p in params:
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad.dtype == np.float32 and not p.grad.any()


def test_optimizer_step_returns_closure_loss():
    params = _params()
    opt = optim.SGD(params, lr=0.1)

    def closure():
        _set_grads(params)
        return 1.5

    assert opt.step(closure) == 1.5
    assert opt.step() is None


def test_optimizer_add_param_group_fills_defaults():
    p, q = _params()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": q, "lr": 0.01})
    assert opt.param_groups[1]["params"] == [q]
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9


@pytest.mark.parametrize(
    ("grad", "exc", "match"),
    [
        (np.ones(4), ValueError, r"^SGD.step: gradient of shape \(4,\) does not match parameter of shape \(3, 4\).$"),
        (np.ones((3, 4), np.float32), TypeError, r"gradient of dtype float32 does not match parameter of dtype float64"),
    ],
)
def test_optimizer_rejects_mismatched_grad(grad, exc, match):
    p = _params()[0]
    before = p.data.copy()
    opt = optim.SGD([p], lr=0.1)
    p.grad = grad
    with pytest.raises(exc, match=match):
        opt.step()
    assert np.array_equal(p.data, before)


def test_adagrad_creates_state_at_construction():
    # As torch.optim.Adagrad: every parameter has state before the first step.
    params = _params()
    opt = optim.Adagrad(params, initial_accumulator_value=0.5)
    assert sorted(opt.state_dict()["state"]) == [0, 1]
    assert all(np.all(opt.state[p]["sum"] == 0.5) and opt.state[p]["step"] == 0 for p in params)


def test_optimizer_repr_lists_groups():
    text = repr(optim.SGD(_params(), lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9" in text


# ---------------------------------------------------------------------------- state_dict
def _json_round_trip(state):
    """Store ``state`` as a JSON document plus flat arrays, the way a checkpoint does."""
    arrays = []

    def encode(value):
        if isinstance(value, np.ndarray):
            arrays.append(value)
            return {"__array__": len(arrays) - 1}
        if isinstance(value, dict):
            return {str(k): encode(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        assert value is None or isinstance(value, (bool, int, float, str)), type(value)
        return value

    def decode(value):
        if isinstance(value, dict):
            if "__array__" in value:
                return arrays[value["__array__"]].copy()
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    return decode(json.loads(json.dumps(encode(state))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_state_dict_round_trip(name, kwargs, dtype):
    params = _params(dtype)
    opt = _build(name, params, kwargs)
    _train(opt, params, 5)
    saved = _json_round_trip(opt.state_dict())
    snapshot = [p.data.copy() for p in params]
    _train(opt, params, 5)

    resumed = [Parameter(s) for s in snapshot]
    fresh = _build(name, resumed, {"lr": 0.5})  # other hyperparameters: load must restore them
    fresh.load_state_dict(saved)
    _train(fresh, resumed, 5)

    assert all(np.array_equal(a.data, b.data) for a, b in zip(params, resumed))
    assert all(r.data.dtype == dtype for r in resumed)
    for p, r in zip(params, resumed):
        assert opt.state.get(p, {}).keys() == fresh.state.get(r, {}).keys()
        for key, value in opt.state.get(p, {}).items():
            assert np.array_equal(value, fresh.state[r][key])
            assert type(value) is type(fresh.state[r][key])


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_state_dict_holds_copies(name, kwargs):
    params = _params()
    opt = _build(name, params, kwargs)
    _train(opt, params, 2)
    saved = opt.state_dict()
    expected = opt.state_dict()
    for entry in saved["state"].values():
        for value in entry.values():
            if isinstance(value, np.ndarray):
                value += 1.0  # mutating the dict must not touch the optimizer
    assert all(
        np.array_equal(opt.state[p][k], expected["state"][i][k])
        for i, p in enumerate(params)
        for k in opt.state.get(p, {})
    )
    fresh_params = _params()
    fresh = _build(name, fresh_params, kwargs)
    fresh.load_state_dict(expected)
    for entry in expected["state"].values():
        for value in entry.values():
            if isinstance(value, np.ndarray):
                value += 1.0  # nor mutating it after loading
    assert all(
        np.array_equal(fresh.state[q][k], opt.state[p][k])
        for p, q in zip(params, fresh_params)
        for k in opt.state.get(p, {})
    )


def _drop_group(sd):
    sd["param_groups"].append(dict(sd["param_groups"][0], params=[7]))


def _drop_param(sd):
    sd["param_groups"][0]["params"].pop()


def _bad_shape(sd):
    sd["state"][0]["exp_avg"] = np.zeros((4, 3))


def _unknown_index(sd):
    sd["state"][9] = sd["state"].pop(1)


def _not_a_state_dict(sd):
    sd.pop("state")


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (_drop_group, "loaded state dict has 2 parameter groups, but Adam has 1"),
        (_drop_param, "loaded state dict has 1 parameters in group 0, but Adam has 2"),
        (_bad_shape, r"entry 'exp_avg' of parameter 0 has shape \(4, 3\), expected \(3, 4\)"),
        (_unknown_index, "state for unknown parameter index 9"),
        (_not_a_state_dict, "expects a dict with 'state' and 'param_groups' entries"),
    ],
)
def test_optimizer_load_state_dict_rejects_mismatch(corrupt, match):
    params = _params()
    opt = optim.Adam(params, lr=0.1)
    _train(opt, params, 2)
    sd = opt.state_dict()
    corrupt(sd)
    target = optim.Adam(_params(), lr=0.2)
    _train(target, target.param_groups[0]["params"], 1)
    before = target.state_dict()
    with pytest.raises(ValueError, match=match):
        target.load_state_dict(sd)
    after = target.state_dict()  # a failed load changes nothing
    assert after["param_groups"] == before["param_groups"]
    assert all(np.array_equal(after["state"][i]["exp_avg"], before["state"][i]["exp_avg"]) for i in (0, 1))


@pytest.mark.parametrize(
    "module", [_optimizer, _sgd, _adam, _rmsprop, _adagrad, lr_scheduler], ids=lambda m: m.__name__
)
def test_optim_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

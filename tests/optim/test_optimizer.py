"""The Optimizer base class (src/nnumpy/optim/_optimizer.py), as tables over every optimizer
with each option switched on (rows named after the optimizer): hyperparameter and parameter
validation, dtype, in-place steps, zero_grad, closures, param groups, state_dict round trips.

Each optimizer's update rule, worked example and PyTorch parity are in
tests/optim/test_<optimizer>.py (test_sgd, test_adam, test_rmsprop, test_adagrad).
"""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
from _optim import CONFIG_IDS, CONFIGS, OPTIONS, build, new_params, set_grads, train

from nnumpy import optim
from nnumpy.nn import Parameter
from nnumpy.optim import _adagrad, _adam, _optimizer, _rmsprop, _sgd, lr_scheduler


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
        build(name, new_params(), kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("name", list(OPTIONS))
def test_optimizer_invalid_group_hyperparameter_message(name):
    p, q = new_params()
    with pytest.raises(ValueError, match=rf"^The 'lr' parameter of {name} must be a float > 0. Got -1 instead.$"):
        build(name, [{"params": [p]}, {"params": [q], "lr": -1}], {})
    opt = build(name, [p], {})
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
        optim.SGD(make_params(new_params()[0]))


def test_sgd_defaults_match_pytorch():
    opt = optim.SGD(new_params())
    expected = {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False}
    assert opt.defaults == expected
    assert optim.AdamW(new_params()).defaults["weight_decay"] == 0.01
    assert optim.RMSprop(new_params()).defaults["lr"] == 0.01
    assert optim.Adagrad(new_params()).defaults["eps"] == 1e-10


# ---------------------------------------------------------------------------- stepping
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_keeps_float32_in_place(name, kwargs):
    params = new_params(np.float32)
    arrays = [p.data for p in params]
    opt = build(name, params, kwargs)
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
    used, frozen = new_params()
    before = frozen.data.copy()
    opt = build(name, [used, frozen], kwargs)
    for _ in range(3):
        set_grads([used])
        opt.step()
    assert np.array_equal(frozen.data, before)
    assert frozen.grad is None
    assert opt.state.get(frozen, {}).get("step", 0) == 0
    assert not np.array_equal(used.data, new_params()[0].data)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_step_leaves_grad_unchanged(name, kwargs):
    params = new_params()
    opt = build(name, params, kwargs)
    for _ in range(3):
        set_grads(params)
        grads = [p.grad.copy() for p in params]
        opt.step()
        assert all(np.array_equal(p.grad, g) for p, g in zip(params, grads))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_optimizer_zero_grad(set_to_none):
    params = new_params(np.float32)
    opt = optim.Adam(params)
    set_grads(params)
    opt.zero_grad(set_to_none=set_to_none)
    for p in params:
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad.dtype == np.float32 and not p.grad.any()


def test_optimizer_step_returns_closure_loss():
    params = new_params()
    opt = optim.SGD(params, lr=0.1)

    def closure():
        set_grads(params)
        return 1.5

    assert opt.step(closure) == 1.5
    assert opt.step() is None


def test_optimizer_add_param_group_fills_defaults():
    p, q = new_params()
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
    p = new_params()[0]
    before = p.data.copy()
    opt = optim.SGD([p], lr=0.1)
    p.grad = grad
    with pytest.raises(exc, match=match):
        opt.step()
    assert np.array_equal(p.data, before)


def test_optimizer_repr_lists_groups():
    text = repr(optim.SGD(new_params(), lr=0.1, momentum=0.9))
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
    params = new_params(dtype)
    opt = build(name, params, kwargs)
    train(opt, params, 5)
    saved = _json_round_trip(opt.state_dict())
    snapshot = [p.data.copy() for p in params]
    train(opt, params, 5)

    resumed = [Parameter(s) for s in snapshot]
    fresh = build(name, resumed, {"lr": 0.5})  # other hyperparameters: load must restore them
    fresh.load_state_dict(saved)
    train(fresh, resumed, 5)

    assert all(np.array_equal(a.data, b.data) for a, b in zip(params, resumed))
    assert all(r.data.dtype == dtype for r in resumed)
    for p, r in zip(params, resumed):
        assert opt.state.get(p, {}).keys() == fresh.state.get(r, {}).keys()
        for key, value in opt.state.get(p, {}).items():
            assert np.array_equal(value, fresh.state[r][key])
            assert type(value) is type(fresh.state[r][key])


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_optimizer_state_dict_holds_copies(name, kwargs):
    params = new_params()
    opt = build(name, params, kwargs)
    train(opt, params, 2)
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
    fresh_params = new_params()
    fresh = build(name, fresh_params, kwargs)
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
    params = new_params()
    opt = optim.Adam(params, lr=0.1)
    train(opt, params, 2)
    sd = opt.state_dict()
    corrupt(sd)
    target = optim.Adam(new_params(), lr=0.2)
    train(target, target.param_groups[0]["params"], 1)
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

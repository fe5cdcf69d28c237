"""The one PyTorch bridge for every parity test in tests/.

Layers and losses: the torch twin of an nnumpy module is built from the module's
``get_config()`` (the same constructor arguments) and loaded with its
``state_dict()``, so both hold identical weights. Optimizers and lr schedulers:
a tiny MLP trained ``STEPS`` steps by both libraries.

torch is imported at the point of use, through :func:`require_torch` (the
``torch`` fixture in conftest.py calls it): a missing torch fails the parity
tests, it never skips them, so CI cannot pass with parity unchecked; the other
tests in the same file still run.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from nnumpy import nn, optim
from nnumpy.nn import Parameter

# Tolerances: relative to the tensor's scale for layers and losses; for optimizers,
# max |Δθ| in float64 and max |Δθ| / max(1, |θ|) in float32, since one float32 ulp of a
# parameter that grew to ~500 (maximize runs) is already 3e-5.
TOL = {np.float64: 1e-10, np.float32: 1e-5}
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])

# Layers whose torch.nn twin has the same class name and constructor arguments (by design).
_TWINS = ("Linear", "Identity", "Flatten", "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh",
          "Softplus", "Softmax", "LogSoftmax", "Dropout", "BatchNorm1d", "Conv2d", "MaxPool2d", "AvgPool2d",
          "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d")


def require_torch():
    """The torch module, or a test failure that says how to install it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is in the [test] extra
        pytest.fail(f"PyTorch parity tests need torch ({exc}): pip install -e '.[test]'", pytrace=False)
    return torch


def torch_dtype(dtype):
    torch = require_torch()
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]


def torch_module(module: nn.Module, dtype):
    """The torch twin of ``module`` with the same weights, in the same train/eval mode."""
    torch = require_torch()
    if isinstance(module, nn.Sequential):
        twin = torch.nn.Sequential(*(torch_module(m, dtype) for m in module))
    else:
        name = type(module).__name__
        assert name in _TWINS, f"no torch twin known for {name}: add it to _TWINS"
        twin = getattr(torch.nn, name)(**module.get_config())
    twin = twin.to(torch_dtype(dtype))
    state = {k: torch.from_numpy(np.array(v)) for k, v in module.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    twin.train(module.training)
    return twin


def torch_loss(loss_fn: nn.Loss, dtype):
    """The torch twin of a loss, class weights and pos_weight included."""
    torch = require_torch()
    cfg = dict(loss_fn.get_config())
    for name in ("weight", "pos_weight"):
        value = getattr(loss_fn, name, None)
        if value is not None:
            cfg[name] = torch.tensor(value, dtype=torch_dtype(dtype))
    return getattr(torch.nn, type(loss_fn).__name__)(**cfg)


def tensor(x, dtype, requires_grad=False):
    torch = require_torch()
    t = torch.tensor(np.asarray(x), dtype=torch_dtype(dtype) if np.asarray(x).dtype.kind == "f" else None)
    return t.requires_grad_(requires_grad)


# ---------------------------------------------------------------------------- layers
def assert_close(actual, expected, tol):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = float(np.abs(actual - expected).max(initial=0.0)) / scale
    assert err <= tol, f"max error {err:.3e} > {tol:.0e}"


def assert_layer_matches_torch(layer: nn.Module, shape, dtype):
    """Same weights, same input → same output, input gradient, parameter gradients and buffers."""
    rng = np.random.default_rng(0)
    twin = torch_module(layer, dtype)
    x = rng.normal(size=shape).astype(dtype)
    g = rng.normal(size=np.asarray(copy.deepcopy(layer)(x)).shape).astype(dtype)

    layer.zero_grad()
    y = layer(x)
    gx = layer.backward(g)

    xt = tensor(x, dtype, requires_grad=True)
    yt = twin(xt)
    yt.backward(tensor(g, dtype))

    assert y.dtype == dtype and gx.dtype == dtype
    assert_close(y, yt.detach().numpy(), TOL[dtype])
    assert_close(gx, xt.grad.numpy(), TOL[dtype])
    torch_params = dict(twin.named_parameters())
    for pname, p in layer.named_parameters():
        assert_close(p.grad, torch_params[pname].grad.numpy(), TOL[dtype])
    torch_buffers = dict(twin.named_buffers())
    for bname, b in layer.named_buffers():
        assert_close(b, torch_buffers[bname].numpy(), TOL[dtype])


# ---------------------------------------------------------------------------- optimizers
# A tiny MLP trained STEPS steps by both libraries. Each side's gradients come from torch
# autograd evaluated at that side's *own* current parameters, so the two trajectories are
# independent and any difference in an update rule accumulates over the 20 steps. The MLP
# is written directly in torch so these tests do not depend on nnumpy's layers.
STEPS = 20
# (out, in) weights as in torch.nn.Linear; the last tensor is not used by the
# loss, so its gradient stays None and both libraries must leave it alone.
SHAPES = [(8, 4), (8,), (3, 8), (3,), (2, 2)]
# Monitored values fed to ReduceLROnPlateau: plateaus, small and large improvements.
METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.8, 0.8, 0.8, 0.8, 0.85, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.7, 0.75, 0.8]


def assert_loss_matches_torch(loss_fn: nn.Loss, pred: np.ndarray, target: np.ndarray, dtype, seed: int = 1):
    """The loss value and d(loss)/d(pred) equal torch's twin's (relative to the largest entry), dtypes kept.

    With ``reduction='none'`` both backward passes take the same random ``grad_output``;
    otherwise the value must be a Python float. Returns ``(value, grad)``.
    """
    torch = require_torch()
    twin = torch_loss(loss_fn, dtype)
    pred = pred.astype(dtype)
    target = target.astype(dtype) if target.dtype.kind == "f" else target
    value = loss_fn(pred, target)
    pt = tensor(pred, dtype, requires_grad=True)
    tt = tensor(target, dtype) if target.dtype.kind == "f" else torch.from_numpy(target)
    vt = twin(pt, tt)
    go = np.random.default_rng(seed).normal(size=np.shape(value)).astype(dtype) if loss_fn.reduction == "none" else None
    grad = loss_fn.backward(go)
    vt.backward(None if go is None else torch.from_numpy(go))
    expected = vt.detach().numpy()
    assert np.shape(value) == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    assert np.abs(np.asarray(value) - expected).max() / scale <= TOL[dtype]
    assert grad.dtype == dtype and grad.shape == pred.shape
    gscale = max(1.0, float(np.abs(pt.grad.numpy()).max()))
    assert np.abs(grad - pt.grad.numpy()).max() / gscale <= TOL[dtype]
    if loss_fn.reduction != "none":
        assert isinstance(value, float)
    return value, grad


def config_id(config) -> str:
    """``("SGD", {"lr": 0.1})`` -> ``"SGD-lr=0.1"``."""
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _mlp_loss(tensors, x, y):
    w1, b1, w2, b2, _unused = tensors
    hidden = (x @ w1.T + b1).tanh()  # (N, 8)
    return ((hidden @ w2.T + b2 - y) ** 2).mean()


def _groups(params, overrides):
    """All parameters in one list, or two groups when ``overrides`` is given."""
    if overrides is None:
        return params
    return [{"params": params[:2]}, {"params": params[2:], **overrides}]


def train_both(dtype, make_optimizer, make_scheduler=None, overrides=None):
    """Train the MLP ``STEPS`` steps with nnumpy and torch; return both sides' parameters and lrs.

    In float64 each side gets the gradient at its own parameters. In float32
    both get torch's gradient: the loss surface amplifies float32 rounding in
    the gradients (an RMSprop step is ±lr/√(1-α) whatever |g| is, so a tiny
    gradient whose sign flips moves θ by 2·lr), which would hide what is
    tested here, the update rule's float32 arithmetic.
    """
    torch = require_torch()
    shared_grads = dtype == np.float32
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((16, 4)).astype(dtype))
    y = torch.from_numpy(rng.standard_normal((16, 3)).astype(dtype))
    init = [(0.5 * rng.standard_normal(s)).astype(dtype) for s in SHAPES]

    ours = [Parameter(a) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt_ours = make_optimizer(optim, _groups(ours, overrides))
    opt_theirs = make_optimizer(torch.optim, _groups(theirs, overrides))
    sched_ours = sched_theirs = None
    if make_scheduler is not None:
        sched_ours = make_scheduler(optim.lr_scheduler, opt_ours)
        sched_theirs = make_scheduler(torch.optim.lr_scheduler, opt_theirs)

    lrs_ours, lrs_theirs = [], []
    for step in range(STEPS):
        opt_theirs.zero_grad()
        _mlp_loss(theirs, x, y).backward()
        opt_theirs.step()

        opt_ours.zero_grad()
        if shared_grads:
            leaves = theirs
        else:
            leaves = [torch.tensor(p.data, requires_grad=True) for p in ours]
            _mlp_loss(leaves, x, y).backward()
        for p, leaf in zip(ours, leaves):
            if leaf.grad is not None:
                p.grad = leaf.grad.numpy()
        opt_ours.step()

        for sched, lrs in ((sched_ours, lrs_ours), (sched_theirs, lrs_theirs)):
            if sched is None:
                continue
            if isinstance(sched, (optim.lr_scheduler.ReduceLROnPlateau, torch.optim.lr_scheduler.ReduceLROnPlateau)):
                sched.step(METRICS[step])
            else:
                sched.step()
            lrs.append(sched.get_last_lr())
    return ours, theirs, opt_ours, opt_theirs, np.array(lrs_ours), np.array(lrs_theirs)


def _diff(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |Δ| in float64, max |Δ| / max(1, |expected|) in float32 (see TOL)."""
    scale = 1.0 if expected.dtype == np.float64 else np.maximum(1.0, np.abs(expected))
    return float(np.max(np.abs(actual - expected) / scale))


def max_param_diff(ours, theirs) -> float:
    return max(_diff(p.data, t.detach().numpy()) for p, t in zip(ours, theirs))


def assert_states_match(opt_ours, opt_theirs, tol):
    """Same state entries (keys, step counts, buffers) as torch's state_dict."""
    sd_ours, sd_theirs = opt_ours.state_dict(), opt_theirs.state_dict()
    assert sorted(sd_ours["state"]) == sorted(sd_theirs["state"])
    for index, entry in sd_ours["state"].items():
        expected = sd_theirs["state"][index]
        assert sorted(entry) == sorted(expected)
        for key, value in entry.items():
            if key == "step":
                assert value == int(expected[key])
            else:
                assert value.dtype == expected[key].numpy().dtype
                assert _diff(value, expected[key].numpy()) <= tol, key


def assert_optimizer_matches_torch(name, kwargs, dtype):
    """``optim.<name>(**kwargs)`` and ``torch.optim.<name>(**kwargs)`` agree after STEPS steps."""
    ours, theirs, opt_ours, opt_theirs, _, _ = train_both(dtype, lambda mod, p: getattr(mod, name)(p, **kwargs))
    assert max_param_diff(ours, theirs) <= TOL[dtype]
    assert np.array_equal(ours[-1].data, theirs[-1].detach().numpy())  # grad None: untouched
    assert_states_match(opt_ours, opt_theirs, TOL[dtype])


def assert_param_groups_match_torch(name, overrides):
    """A second parameter group with its own hyperparameters (``overrides``) agrees with torch."""
    ours, theirs, opt_ours, opt_theirs, _, _ = train_both(
        np.float64, lambda mod, p: getattr(mod, name)(p, lr=0.01), overrides=overrides
    )
    assert max_param_diff(ours, theirs) <= TOL[np.float64]
    assert_states_match(opt_ours, opt_theirs, TOL[np.float64])

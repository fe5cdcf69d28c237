"""Edge sizes and PyTorch parity at the edges (docs/reliability.md, "Edge sizes").

nnumpy matches PyTorch where PyTorch has an answer: an empty batch gives a NaN mean (an empty
sum is 0) and an empty gradient; a zero-size dimension through Softmax/LogSoftmax gives an empty
result; 0-d inputs work in element-wise layers. Softmax/LogSoftmax of a 0-d array raise a
ValueError (PyTorch returns 1 / 0 there; a class axis of length 1 is almost surely a bug).
"""

from __future__ import annotations

import numpy as np
import pytest

from nnumpy import nn, optim

LOSSES = [
    (nn.MSELoss, "float"), (nn.L1Loss, "float"), (nn.HuberLoss, "float"), (nn.SmoothL1Loss, "float"),
    (nn.BCELoss, "prob"), (nn.BCEWithLogitsLoss, "prob"), (nn.CrossEntropyLoss, "index"), (nn.NLLLoss, "index"),
]


def _empty_target(kind):
    return np.zeros(0, dtype=np.int64) if kind == "index" else np.zeros((0, 3))


@pytest.mark.parametrize("cls, kind", LOSSES, ids=[c.__name__ for c, _ in LOSSES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_of_empty_batch_matches_torch(torch, cls, kind, reduction):
    x, t = np.zeros((0, 3)), _empty_target(kind)
    loss_fn = cls(reduction=reduction)
    with np.errstate(all="raise"):
        got = loss_fn(x, t)
        grad = loss_fn.backward()
    tfn = getattr(torch.nn, cls.__name__)(reduction=reduction)
    want = tfn(torch.zeros((0, 3), dtype=torch.float64), torch.from_numpy(t))
    if reduction == "none":
        assert got.shape == tuple(want.shape)
    else:
        assert np.isnan(got) == bool(torch.isnan(want)) and (np.isnan(got) or got == float(want))
    assert grad.shape == (0, 3)


@pytest.mark.parametrize("cls", [nn.Softmax, nn.LogSoftmax])
@pytest.mark.parametrize("shape, dim", [((0, 3), 1), ((2, 0), 1), ((2, 0), 0), ((0, 0), 1), ((2, 0, 3), 1)])
def test_softmax_with_zero_size_dimension_is_empty_as_torch(torch, cls, shape, dim):
    layer = cls(dim=dim)
    y = layer(np.zeros(shape))
    want = getattr(torch.nn, cls.__name__)(dim=dim)(torch.zeros(shape, dtype=torch.float64))
    assert y.shape == tuple(want.shape) and y.size == 0
    assert layer.backward(np.zeros(shape)).shape == shape


ELEMENTWISE = [nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, lambda: nn.GELU("tanh"), nn.Sigmoid, nn.Tanh, nn.Softplus,
               nn.Identity]


@pytest.mark.parametrize("make", ELEMENTWISE, ids=lambda m: getattr(m, "__name__", "GELU-tanh"))
@pytest.mark.parametrize("x", [np.array(0.7), np.float64(-0.3), np.float32(2.0)], ids=["0d-array", "f64", "f32"])
def test_elementwise_layers_take_0d_input_forward_and_backward(torch, make, x):
    layer = make()
    y = layer(x)
    g = layer.backward(np.ones_like(np.asarray(y)))
    name = type(layer).__name__
    tl = getattr(torch.nn, name)(**({"approximate": layer.approximate} if name == "GELU" else {}))
    tx = torch.tensor(np.asarray(x), requires_grad=True)
    tl(tx).backward()
    np.testing.assert_allclose(np.asarray(y), tl(tx).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g), tx.grad.numpy(), rtol=1e-6)
    assert np.shape(y) == () and np.shape(g) == ()


@pytest.mark.parametrize("cls", [nn.Softmax, nn.LogSoftmax])
def test_softmax_of_0d_input_raises_a_clear_error(cls):
    with pytest.raises(ValueError, match="at least one dimension.*reshape"):
        cls()(np.array(1.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_clamped_gradient_matches_torch_bit_for_bit(torch, dtype):
    p = np.array([1e-14, 1 - 1e-16, 0.0, 1.0, 1e-7, 0.5], dtype=dtype)
    t = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 1.0], dtype=dtype)
    loss_fn = nn.BCELoss(reduction="sum")
    loss_fn(p, t)
    tp = torch.tensor(p, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(tp, torch.tensor(t), reduction="sum").backward()
    np.testing.assert_array_equal(loss_fn.backward(), tp.grad.numpy())


@pytest.mark.parametrize("dtype", [">f4", ">f8"])
def test_big_endian_input_is_converted_to_native(dtype):
    x = np.arange(6, dtype=dtype).reshape(2, 3)
    layer = nn.Linear(3, 2, rng=0, dtype=np.dtype(dtype).newbyteorder("="))
    np.testing.assert_array_equal(layer(x), layer(x.astype(x.dtype.newbyteorder("="))))


def test_load_state_dict_is_all_or_nothing():
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU(), nn.Linear(2, 2, rng=1))
    before = model.state_dict()
    bad = {k: np.full_like(v, 7.0) for k, v in before.items()}
    bad["2.bias"] = np.array([np.nan, 0.0])  # the last key fails: nothing before it may change
    with pytest.raises(ValueError, match="'2.bias'"):
        model.load_state_dict(bad)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_optimizer_load_state_dict_is_all_or_nothing():
    model = nn.Linear(2, 2, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(np.ones((1, 2)))
    state = opt.state_dict()
    state["param_groups"][0]["lr"] = 0.5
    state["state"] = {0: {"momentum_buffer": np.full((2, 2), np.nan)}}
    with pytest.raises(ValueError):
        opt.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.state == {}

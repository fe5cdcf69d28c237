"""Module, Parameter and Sequential (src/nnumpy/nn/_module.py): registration, names, state,
modes, dtype; a whole network's gradient along a random direction; PyTorch parity of a
Sequential MLP and of torch state_dicts.

Each layer's own tests are in tests/nn/test_<layer>.py; contracts every layer keeps are
tables in tests/nn/test_layers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _parity import DTYPES, assert_layer_matches_torch

from nnumpy import nn


def _mlp(dtype=np.float32):
    return nn.Sequential(nn.Linear(4, 3, dtype=dtype, rng=0), nn.BatchNorm1d(3, dtype=dtype), nn.ReLU(),
                         nn.Dropout(0.5, rng=1), nn.Linear(3, 2, dtype=dtype, rng=2))


def test_named_parameters_use_pytorch_sequential_names():
    names = [n for n, _ in _mlp().named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]


def test_state_dict_includes_buffers_and_is_a_copy():
    model = _mlp()
    sd = model.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                        "1.num_batches_tracked", "4.weight", "4.bias"]
    sd["0.weight"][...] = 0
    assert model[0].weight.data.any()


def test_load_state_dict_roundtrip_and_strict_errors():
    a, b = _mlp(), _mlp()
    b[0].weight.data += 1
    b.load_state_dict(a.state_dict())
    assert np.array_equal(a[0].weight.data, b[0].weight.data)
    sd = a.state_dict()
    del sd["0.bias"]
    sd["extra"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing keys \['0.bias'\].*unexpected keys \['extra'\]"):
        b.load_state_dict(sd)
    missing, unexpected = b.load_state_dict(sd, strict=False)
    assert missing == ["0.bias"] and unexpected == ["extra"]
    bad = a.state_dict()
    bad["0.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"size mismatch for '0.weight': expected shape \(3, 4\), got \(2, 2\)"):
        b.load_state_dict(bad)


def test_grads_accumulate_and_zero_grad_resets():
    layer = nn.Linear(3, 2, rng=0)
    x, g = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    layer(x)
    layer.backward(g)
    first = layer.weight.grad.copy()
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * first)
    layer.zero_grad()
    assert layer.weight.grad is None
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is not None and not layer.weight.grad.any()


def test_train_eval_propagate_to_children():
    model = _mlp()
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_sequential_index_slice_iter_len():
    model = _mlp()
    assert len(model) == 5 and isinstance(model[0], nn.Linear) and isinstance(model[-1], nn.Linear)
    assert isinstance(model[1:3], nn.Sequential) and len(model[1:3]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    with pytest.raises(IndexError, match="out of range"):
        model[9]
    with pytest.raises(TypeError, match="Module instances"):
        nn.Sequential(nn.ReLU(), "relu")


def test_repr_reads_like_pytorch():
    text = repr(nn.Sequential(nn.Linear(784, 512), nn.Sigmoid()))
    assert text == "Sequential(\n  (0): Linear(in_features=784, out_features=512, bias=True)\n  (1): Sigmoid()\n)"


def test_model_wide_dtype_conversion_preserves_dtype_through_forward_and_backward():
    model = _mlp().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64
    y = model(np.ones((5, 4), np.float64))
    assert y.dtype == np.float64
    assert model.backward(np.ones_like(y)).dtype == np.float64
    model.float()
    y = model(np.ones((5, 4)))  # float64 input is cast to the layer's float32
    assert y.dtype == np.float32


def test_global_numpy_rng_is_untouched():
    state = np.random.get_state()[1].copy()
    model = _mlp()
    model(np.ones((4, 4), np.float32))
    nn.init.xavier_uniform_(np.zeros((3, 3)), rng=1)
    assert np.array_equal(np.random.get_state()[1], state)


def test_custom_module_subclass_registers_parameters():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(np.ones(3))
            self.inner = nn.Linear(3, 3)

        def forward(self, x):
            return self.inner(x) * self.weight.data

    assert [n for n, _ in Scale().named_parameters()] == ["weight", "inner.weight", "inner.bias"]


def test_module_without_super_init_gets_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_network_gradcheck_along_random_direction():
    """A whole MLP + loss: directional derivative (L(θ+εv) − L(θ−εv))/2ε equals ⟨∇L, v⟩."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(6, 8, dtype=np.float64, rng=1), nn.Tanh(), nn.Linear(8, 8, dtype=np.float64, rng=2),
        nn.Sigmoid(), nn.Linear(8, 3, dtype=np.float64, rng=3),
    )
    loss_fn = nn.CrossEntropyLoss()
    x, y = rng.normal(size=(10, 6)), rng.integers(0, 3, 10)
    params = list(model.parameters())
    model.zero_grad()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    v = [rng.normal(size=p.shape) for p in params]
    analytic = sum(float(np.sum(p.grad * d)) for p, d in zip(params, v))
    eps = 1e-6
    base = [p.data.copy() for p in params]

    def loss_at(sign):
        for p, b, d in zip(params, base, v):
            p.data = b + sign * eps * d
        return loss_fn(model(x), y)

    numeric = (loss_at(1) - loss_at(-1)) / (2 * eps)
    assert abs(analytic - numeric) / max(abs(numeric), 1e-8) < 1e-6


def _parity_mlp(dtype):
    return nn.Sequential(
        nn.Linear(5, 8, dtype=dtype, rng=2), nn.Sigmoid(), nn.Linear(8, 8, dtype=dtype, rng=3), nn.Tanh(),
        nn.Linear(8, 3, dtype=dtype, rng=4),
    )


@DTYPES
def test_sequential_mlp_matches_torch_forward_and_gradients(dtype, torch):
    assert_layer_matches_torch(_parity_mlp(dtype), (6, 5), dtype)


def test_state_dict_from_torch_loads_as_is(torch):
    twin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    model.eval()
    twin.eval()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(model(x), twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(6, 4, rng=0, dtype=np.float64), nn.Tanh(),
                              nn.Linear(4, 2, rng=1, dtype=np.float64)),
        lambda: nn.Sequential(nn.BatchNorm1d(6, dtype=np.float64), nn.Linear(6, 2, rng=1, dtype=np.float64)),
        lambda: nn.Sequential(nn.Sequential(nn.Linear(6, 4, rng=0, dtype=np.float64), nn.ReLU()),
                              nn.Linear(4, 2, rng=1, dtype=np.float64)),
    ],
    ids=["flatten-linear-first", "batchnorm-first", "nested-sequential-first"],
)
def test_sequential_backward_without_input_grad_gives_the_same_parameter_gradients(make):
    # input_grad=False skips what no parameter needs (modules before the first with parameters,
    # and that module's own dL/dx when it can_skip_input_grad); the parameter gradients are equal.
    x = np.random.default_rng(0).standard_normal((5, 6))
    g = np.random.default_rng(1).standard_normal((5, 2))
    a, b = make(), make()
    a(x), b(x)
    assert a.backward(g, input_grad=False) is None
    assert b.backward(g).shape == x.shape
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.grad, pb.grad, err_msg=name)

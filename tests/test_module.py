"""Module, Parameter and Sequential behaviour: registration, names, state, modes, dtype."""

from __future__ import annotations

import numpy as np
import pytest

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


ACTIVATIONS = [nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Softplus,
               lambda: nn.Softmax(1), lambda: nn.LogSoftmax(1), nn.Identity, nn.Flatten, lambda: nn.Dropout(0.2, rng=0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("factory", ACTIVATIONS)
def test_activation_preserves_dtype_and_leaves_grad_output_untouched(factory, dtype):
    layer = factory()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(dtype)
    y = layer(x)
    g = np.random.default_rng(1).normal(size=y.shape).astype(dtype)
    g_before = g.copy()
    gx = layer.backward(g)
    assert y.dtype == dtype and gx.dtype == dtype and gx.shape == x.shape
    assert np.array_equal(g, g_before)


@pytest.mark.parametrize("layer", [nn.Linear(3, 2), nn.ReLU(), nn.Sigmoid(), nn.Softmax(1), nn.BatchNorm1d(3),
                                   nn.Dropout(0.1), nn.Flatten(), nn.GELU(), nn.Identity()],
                         ids=lambda m: type(m).__name__)
def test_backward_before_forward_raises_runtime_error(layer):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.ones((2, 3)))


def test_linear_shape_mismatch_names_layer_expected_and_got():
    with pytest.raises(ValueError, match=r"Linear\(in_features=784, out_features=10\) expected input of shape "
                                         r"\(N, \*, 784\), got \(32, 28, 28\)"):
        nn.Linear(784, 10)(np.zeros((32, 28, 28)))


def test_linear_accepts_leading_dimensions():
    layer = nn.Linear(5, 2, rng=0)
    assert layer(np.zeros((3, 4, 5))).shape == (3, 4, 2)


def test_sigmoid_is_stable_at_extremes():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = nn.Sigmoid()(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    assert np.all(np.isfinite(y)) and y[0] == 0.0 and y[-1] == 1.0 and y[2] == 0.5


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", ">f4", ">f8", "int64", "bool"])
def test_sigmoid_takes_the_sign_bit_route_to_the_same_bits_as_copysign(dtype):
    # F.sigmoid forms -|x| by setting the sign bit (NumPy's copysign is not vectorised);
    # the result must be bit for bit that of the copysign formula, for every layout,
    # byte order and special value (NaN, ±inf, ±0, subnormals).
    from nnumpy.nn import functional as F

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((40, 30)) * 30).astype(dtype)  # 1,200 elements: the sign-bit route
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
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(np.asarray(got).tobytes(), np.asarray(want).tobytes())


def test_dropout_is_identity_in_eval_and_reproducible_with_seed():
    x = np.ones((100, 10), np.float32)
    assert np.array_equal(nn.Dropout(0.5, rng=0).eval()(x), x)
    a, b = nn.Dropout(0.5, rng=3)(x), nn.Dropout(0.5, rng=3)(x)
    assert np.array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}


def test_batchnorm_running_stats_follow_pytorch_formula():
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    bn(x)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(0))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(0, ddof=1))
    assert int(bn.num_batches_tracked) == 1
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.ones((1, 2)))


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

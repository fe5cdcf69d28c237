"""Conv2d (src/nnumpy/nn/_conv.py, machinery in _im2col.py): gradient check, PyTorch parity,
argument errors, memory bound, model files, summary and check_layer.

The parity rows are the Conv2d configurations of PyTorch's own module tests
(torch/testing/_internal/common_nn.py ``new_module_tests`` and common_modules.py
``module_inputs_torch_nn_ConvNd``), named as there; their unbatched (3-D input)
rows are left out: nnumpy's Conv2d takes (N, C, H, W) only.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, away_from_kinks
from _parity import DTYPES, assert_layer_matches_torch

import nnumpy
from nnumpy import nn
from nnumpy.check import check_layer, gradcheck
from nnumpy.nn import _im2col


# ---------------------------------------------------------------------------- gradient check
GRADCHECK = [
    ("basic", lambda: nn.Conv2d(3, 4, 3, rng=0), (2, 3, 6, 6)),
    ("batch1-odd", lambda: nn.Conv2d(2, 3, (3, 2), rng=0), (1, 2, 7, 5)),
    ("stride", lambda: nn.Conv2d(2, 3, 3, stride=2, rng=0), (2, 2, 7, 7)),
    ("stride-asym", lambda: nn.Conv2d(2, 3, (2, 3), stride=(2, 1), rng=0), (2, 2, 7, 6)),
    ("padding", lambda: nn.Conv2d(2, 3, 3, padding=1, rng=0), (2, 2, 5, 5)),
    ("padding-asym", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=(2, 1), rng=0), (2, 2, 5, 6)),
    ("dilation", lambda: nn.Conv2d(2, 3, 3, padding=1, dilation=2, rng=0), (2, 2, 7, 7)),
    ("groups", lambda: nn.Conv2d(4, 6, (3, 2), groups=2, rng=0), (2, 4, 5, 5)),
    ("depthwise", lambda: nn.Conv2d(3, 6, 3, groups=3, padding=1, rng=0), (2, 3, 5, 5)),
    ("same-even-kernel", lambda: nn.Conv2d(2, 3, (2, 4), padding="same", rng=0), (2, 2, 5, 6)),
    ("same-dilated", lambda: nn.Conv2d(2, 3, 3, padding="same", dilation=2, rng=0), (2, 2, 6, 5)),
    ("valid", lambda: nn.Conv2d(2, 3, 3, padding="valid", rng=0), (2, 2, 5, 5)),
    ("no-bias", lambda: nn.Conv2d(2, 3, 3, bias=False, rng=0), (2, 2, 5, 5)),
    ("1x1", lambda: nn.Conv2d(3, 2, 1, rng=0), (2, 3, 3, 4)),
    ("kernel-equals-input", lambda: nn.Conv2d(2, 3, (4, 3), rng=0), (2, 2, 4, 3)),
    ("reflect", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=(1, 2), padding_mode="reflect", rng=0), (2, 2, 5, 5)),
    ("replicate", lambda: nn.Conv2d(2, 3, 3, padding=2, padding_mode="replicate", rng=0), (2, 2, 4, 5)),
    ("circular", lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular", rng=0), (2, 2, 4, 4)),
]


def assert_bilinear_gradcheck(layer, shape, seed):
    """tests/_gradcheck.py's check (max relative error <= 1e-6, every tensor) with the step ε = 1e-4.

    The checked loss Σ R ⊙ conv(x) is linear in x and in W, so central
    differences are exact for any ε; their rounding noise, ~1e-16·|L|/ε, is
    not, and at ε = 1e-6 it reaches 1e-6 of a near-zero gradient entry on
    some seeds. The larger step divides that noise by 100.
    """
    x = away_from_kinks(np.random.default_rng(seed).normal(size=shape) * 2)
    report = gradcheck(layer, x, rng=seed, eps=1e-4)
    assert report.ok and report.max_rel_error <= 1e-6, str(report)
    assert {c.name for c in report.checks} == {"input"} | {n for n, _ in layer.named_parameters()}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,factory,shape", GRADCHECK, ids=[n for n, _, _ in GRADCHECK])
def test_conv2d_gradcheck_float64(name, factory, shape, seed):
    assert_bilinear_gradcheck(factory(), shape, seed)


# ---------------------------------------------------------------------------- PyTorch parity
# (PyTorch test name, constructor arguments, input shape)
PARITY = [
    ("Conv2d", ((3, 4, (3, 2)), {}), (2, 3, 7, 5)),
    ("Conv2d_strided", ((3, 4, (3, 3), (2, 2)), {}), (2, 3, 6, 6)),
    ("Conv2d_padding", ((3, 4, (3, 3), (2, 2), (1, 1)), {}), (2, 3, 6, 6)),
    ("Conv2d_dilated", ((3, 2, (3, 3), (2, 2), (1, 1), (2, 2)), {}), (2, 3, 8, 8)),
    ("Conv2d_no_bias", ((3, 4, (3, 2), 1, 0, 1, 1, False), {}), (2, 3, 6, 5)),
    ("Conv2d_zero_batch", ((3, 4, (3, 2)), {}), (0, 3, 7, 5)),
    ("Conv2d_groups", ((4, 6, (3, 2)), {"groups": 2}), (2, 4, 6, 5)),
    ("Conv2d_pad_valid", ((2, 4, (3, 4)), {"padding": "valid"}), (2, 2, 6, 5)),
    ("Conv2d_pad_same", ((2, 4, (3, 4)), {"padding": "same"}), (2, 2, 6, 5)),
    ("Conv2d_pad_same_dilated", ((2, 4, (3, 4)), {"padding": "same", "dilation": 2}), (2, 2, 6, 5)),
    ("Conv2d_depthwise", ((4, 4, (3, 3)), {"groups": 4}), (2, 4, 6, 6)),
    ("Conv2d_depthwise_with_multiplier", ((4, 8, (3, 3)), {"groups": 4}), (2, 4, 6, 6)),
    ("Conv2d_depthwise_strided", ((4, 4, (3, 3)), {"stride": (2, 2), "groups": 4}), (2, 4, 6, 6)),
    ("Conv2d_depthwise_padded", ((4, 4, (3, 3)), {"padding": (1, 1), "groups": 4}), (2, 4, 6, 6)),
    ("Conv2d_depthwise_dilated", ((4, 4, (2, 2)), {"dilation": (2, 2), "groups": 4}), (2, 4, 5, 5)),
    *[
        (f"Conv2d_{mode}_stride2_pad2", ((2, 3, 3, 2, (1, 2), 1, 1, True, mode), {}), (2, 2, 4, 4))
        for mode in ("reflect", "circular", "replicate", "zeros")
    ],
    ("ConvNd_2d", ((4, 5, 3), {}), (2, 4, 3, 4)),
    ("ConvNd_2d_padding_same", ((4, 5, 3), {"padding": "same"}), (2, 4, 3, 4)),
]


@DTYPES
@pytest.mark.parametrize("name,args,shape", PARITY, ids=[n for n, _, _ in PARITY])
# torch's own note that it pads a copy for an even kernel with padding='same'; not about nnumpy
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
def test_conv2d_matches_torch_forward_and_gradients(name, args, shape, dtype, torch):
    positional, keywords = args
    assert_layer_matches_torch(nn.Conv2d(*positional, **keywords, dtype=dtype, rng=0), shape, dtype)


def test_conv2d_init_matches_pytorch_bounds():
    """W, b ~ U(−1/√k, 1/√k), k = (C_in/groups)·kH·kW, as torch.nn.Conv2d.reset_parameters."""
    conv = nn.Conv2d(8, 64, (3, 2), groups=2, rng=0)
    bound = 1.0 / np.sqrt(4 * 3 * 2)
    for p in (conv.weight.data, conv.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound


# ---------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_preserves_dtype_and_casts_input(dtype):
    conv = nn.Conv2d(2, 3, 3, dtype=dtype, rng=0)
    other = np.float64 if dtype == np.float32 else np.float32
    y = conv(np.ones((2, 2, 5, 5), dtype=other))
    gx = conv.backward(np.ones(y.shape, dtype=other))
    assert y.dtype == gx.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == dtype


def test_conv2d_input_grad_false_fills_the_same_parameter_gradients():
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(3, 2, 6, 6)), rng.normal(size=(3, 4, 4, 4))
    a, b = nn.Conv2d(2, 4, 3, dtype=np.float64, rng=0), nn.Conv2d(2, 4, 3, dtype=np.float64, rng=0)
    a(x), b(x)
    assert a.backward(g, input_grad=False) is None
    b.backward(g)
    assert np.array_equal(a.weight.grad, b.weight.grad) and np.array_equal(a.bias.grad, b.bias.grad)


def test_conv2d_batch_split_under_column_budget_gives_the_same_result(monkeypatch):
    """A batch whose columns exceed COLUMN_BUDGET runs in pieces; the numbers do not change."""
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(5, 3, 7, 7)), rng.normal(size=(5, 4, 4, 3))
    whole = nn.Conv2d(3, 4, 3, stride=(2, 2), padding=(1, 0), groups=1, dtype=np.float64, rng=0)
    y, gx = whole(x), whole.backward(g)
    per_image = 3 * 3 * 3 * 4 * 3  # C·kH·kW·OH·OW
    monkeypatch.setattr(_im2col, "COLUMN_BUDGET", 2 * per_image)
    assert len(_im2col.batch_chunks(5, per_image)) == 3
    pieces = nn.Conv2d(3, 4, 3, stride=(2, 2), padding=(1, 0), dtype=np.float64, rng=0)
    np.testing.assert_allclose(pieces(x), y, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(pieces.backward(g), gx, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(pieces.weight.grad, whole.weight.grad, rtol=1e-12)


def test_conv2d_gradients_ignore_changes_to_the_input_after_forward():
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(2, 3, 3, 3))
    a, b = nn.Conv2d(2, 3, 3, dtype=np.float64, rng=0), nn.Conv2d(2, 3, 3, dtype=np.float64, rng=0)
    a(x.copy()), b(x)
    x += 1.0  # the caller reuses its buffer
    a.backward(g), b.backward(g)
    assert np.array_equal(a.weight.grad, b.weight.grad)


def test_conv2d_is_cross_correlation_worked_example():
    """One 2×2 kernel on a 3×3 image: y[i, j] = Σ W[p, q]·x[i + p, j + q] (no kernel flip)."""
    conv = nn.Conv2d(1, 1, 2, bias=False, dtype=np.float64, rng=0)
    conv.weight.data[...] = [[[[1.0, 2.0], [3.0, 4.0]]]]
    x = np.arange(9.0).reshape(1, 1, 3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    # y[0, 0] = 1·0 + 2·1 + 3·3 + 4·4 = 27; each step right adds 1+2+3+4 = 10, each step down 3·10
    np.testing.assert_array_equal(conv(x), [[[[27.0, 37.0], [57.0, 67.0]]]])
    # dL/dx for G = 1: every pixel sums the weights of the windows that read it
    np.testing.assert_array_equal(conv.backward(np.ones((1, 1, 2, 2))), [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]])


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make,error,message",
    [
        (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
         "The 'groups' parameter of Conv2d must be an int that divides in_channels=3 and out_channels=4. Got 2 instead."),
        (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError,
         "The 'padding' parameter of Conv2d must be an int or a pair of ints for stride=(2, 2) ('same' needs stride 1"),
        (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError,
         "The 'padding' parameter of Conv2d must be one of 'valid', 'same'. Got 'full' instead."),
        (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), ValueError,
         "The 'padding_mode' parameter of Conv2d must be one of 'zeros', 'reflect', 'replicate', 'circular'. Got 'mirror' instead."),
        (lambda: nn.Conv2d(3, 4, 0), ValueError,
         "The 'kernel_size' parameter of Conv2d must be an int >= 1 or a pair of them, such as (3, 3). Got 0 instead."),
        (lambda: nn.Conv2d(3, 4, (3, 3, 3)), ValueError, "The 'kernel_size' parameter of Conv2d must be an int >= 1"),
        (lambda: nn.Conv2d(3, 4, 3.0), TypeError, "The 'kernel_size' parameter of Conv2d must be an int >= 1"),
        (lambda: nn.Conv2d(3, 4, 3, stride=(1, 0)), ValueError, "The 'stride' parameter of Conv2d must be an int >= 1"),
        (lambda: nn.Conv2d(3, 4, 3, padding=-1), ValueError, "The 'padding' parameter of Conv2d must be an int >= 0"),
        (lambda: nn.Conv2d(0, 4, 3), ValueError, "The 'in_channels' parameter of Conv2d must be an int >= 1. Got 0 instead."),
    ],
    ids=["groups-divide", "same-strided", "padding-str", "padding_mode", "kernel-0", "kernel-3d", "kernel-float",
         "stride-0", "padding-negative", "in_channels"],
)
def test_conv2d_invalid_arguments_get_the_documented_message(make, error, message):
    with pytest.raises(error) as info:
        make()
    assert message in str(info.value)


@pytest.mark.parametrize(
    "conv,shape,message",
    [
        (nn.Conv2d(3, 4, 3), (3, 8, 8), r"Conv2d\(3, 4, kernel_size=\(3, 3\)\) expected input of shape \(N, 3, H, W\), got \(3, 8, 8\)"),
        (nn.Conv2d(3, 4, 3), (2, 1, 8, 8), r"expected input of shape \(N, 3, H, W\), got \(2, 1, 8, 8\)"),
        (nn.Conv2d(3, 4, 5, padding=1), (2, 3, 2, 8),
         r"Conv2d\(3, 4, kernel_size=\(5, 5\)\) expected an input at least as large as its \(dilated\) kernel \(5, 5\) "
         r"after padding \(\(1, 1\), \(1, 1\)\), got input of shape \(2, 3, 2, 8\)"),
        (nn.Conv2d(3, 4, 3, dilation=3), (2, 3, 6, 6), r"at least as large as its \(dilated\) kernel \(7, 7\)"),
        (nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect"), (1, 1, 3, 3),
         r"padding_mode='reflect' needs padding < the input's height and width"),
    ],
    ids=["3d-input", "channels", "kernel-larger-than-padded-input", "dilated-kernel", "reflect-too-wide"],
)
def test_conv2d_bad_input_names_layer_expected_and_got(conv, shape, message):
    with pytest.raises(ValueError, match=message):
        conv(np.zeros(shape, np.float32))


def test_conv2d_backward_checks_grad_output_and_order():
    conv = nn.Conv2d(2, 3, 3)
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        conv.backward(np.ones((1, 3, 3, 3)))
    conv(np.ones((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv2d.backward expected grad_output of shape \(1, 3, 3, 3\), got \(1, 3, 9\)"):
        conv.backward(np.ones((1, 3, 9)))


# ---------------------------------------------------------------------------- model files, summary, check_layer
def _conv_net(dtype=np.float32):
    return nn.Sequential(
        nn.Conv2d(3, 8, (3, 3), padding="same", padding_mode="reflect", dtype=dtype, rng=0),
        nn.BatchNorm2d(8, momentum=None, dtype=dtype), nn.ReLU(), nn.MaxPool2d((2, 2), ceil_mode=True),
        nn.Dropout2d(0.1, rng=0),
        nn.Conv2d(8, 16, 3, stride=2, padding=(1, 2), dilation=2, groups=8, bias=False, dtype=dtype, rng=1),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False, divisor_override=None),
        nn.AdaptiveAvgPool2d((2, None)), nn.Flatten(), nn.Linear(16 * 2 * 3, 4, dtype=dtype, rng=2),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_net_save_load_roundtrip_keeps_tuple_and_string_arguments(tmp_path, dtype):
    model = _conv_net(dtype)
    x = np.random.default_rng(0).normal(size=(2, 3, 11, 12)).astype(dtype)
    model(x)  # BatchNorm2d running stats move off their defaults
    loaded = nnumpy.load(nnumpy.save(model, tmp_path / "m.safetensors"))
    assert [(type(m).__name__, m.get_config()) for m in loaded] == [(type(m).__name__, m.get_config()) for m in model]
    assert loaded[0].kernel_size == (3, 3) and loaded[0].padding == "same" and loaded[7].output_size == (2, None)
    assert loaded[3].get_config()["kernel_size"] == (2, 2)
    assert model.eval()(x).tobytes() == loaded.eval()(x).tobytes()


def test_depthwise_conv_file_is_not_refused_as_oversized(tmp_path):
    """The loader's size bound counts a Conv2d's channels and kernel, not its groups or stride."""
    model = nn.Sequential(nn.Conv2d(256, 256, 3, stride=2, padding=2, dilation=2, groups=256, rng=0))
    loaded = nnumpy.load(nnumpy.save(model, tmp_path / "m.safetensors"))
    assert loaded[0].weight.shape == (256, 1, 3, 3)


def test_conv_net_summary_lists_every_layer_shape():
    summary = _conv_net().summary((2, 3, 12, 12))
    text = str(summary)
    for shape in ["(2, 8, 12, 12)", "(2, 8, 6, 6)", "(2, 16, 2, 3)", "(2, 96)", "(2, 4)"]:
        assert shape in text
    assert summary.total_params == 8 * 3 * 9 + 8 + 2 * 8 + 16 * 9 + 96 * 4 + 4


@pytest.mark.parametrize(
    "make,shape",
    [(lambda: nn.Conv2d(3, 4, 3, rng=0), (2, 3, 8, 8)),
     (lambda: nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=2, padding_mode="circular", rng=0), (2, 4, 7, 7))],
    ids=["default", "strided-groups-circular"],
)
def test_check_layer_passes_conv2d(make, shape):
    report = check_layer(make(), shape)
    assert report.ok, report

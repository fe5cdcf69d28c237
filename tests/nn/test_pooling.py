"""MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (src/nnumpy/nn/_pooling.py): gradient check, PyTorch
parity, the tie rule, both max-pool paths, argument and input errors.

The parity rows start with the configurations of PyTorch's own module tests
(torch/testing/_internal/common_modules.py ``module_inputs_torch_nn_MaxPool2d``,
``..._AvgPool2d``, ``..._AdaptiveAvgPool2d``; their unbatched 3-D rows and
``return_indices`` are left out) and add ceil_mode, dilation and
count_include_pad rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from _gradcheck import SEEDS, away_from_kinks
from _parity import DTYPES, assert_layer_matches_torch

from nnumpy import nn
from nnumpy.check import check_layer, gradcheck


def assert_piecewise_linear_gradcheck(layer, shape, seed):
    """tests/_gradcheck.py's check (max relative error <= 1e-6, every tensor) with the step ε = 1e-4.

    Pools are linear (average) or linear between kinks (max), so central
    differences are exact for any ε that crosses no kink; the larger step
    divides their rounding noise by 100. Inputs are N(0, 4) and distinct, so
    a window's top two values are almost never within 1e-4.
    """
    x = away_from_kinks(np.random.default_rng(seed).normal(size=shape) * 2)
    report = gradcheck(layer, x, rng=seed, eps=1e-4)
    assert report.ok and report.max_rel_error <= 1e-6, str(report)
    assert [c.name for c in report.checks] == ["input"]


# ---------------------------------------------------------------------------- gradient check
GRADCHECK = [
    ("MaxPool2d-tiles", lambda: nn.MaxPool2d(2), (2, 3, 4, 6)),
    ("MaxPool2d-batch1-odd", lambda: nn.MaxPool2d(2), (1, 2, 5, 7)),
    ("MaxPool2d-overlap-pad", lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    ("MaxPool2d-dilation", lambda: nn.MaxPool2d((2, 3), stride=1, dilation=(2, 1)), (2, 2, 6, 6)),
    ("MaxPool2d-ceil", lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 2, 6, 8)),
    ("AvgPool2d-tiles", lambda: nn.AvgPool2d(2), (2, 3, 4, 6)),
    ("AvgPool2d-overlap-pad", lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    ("AvgPool2d-exclude-pad-ceil", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (1, 2, 6, 7)),
    ("AvgPool2d-divisor", lambda: nn.AvgPool2d((2, 3), stride=(1, 2), divisor_override=2), (2, 2, 5, 7)),
    ("AdaptiveAvgPool2d-shrink", lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 2, 7, 5)),
    ("AdaptiveAvgPool2d-grow", lambda: nn.AdaptiveAvgPool2d(4), (1, 2, 3, 2)),
    ("AdaptiveAvgPool2d-global", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,factory,shape", GRADCHECK, ids=[n for n, _, _ in GRADCHECK])
def test_pooling_gradcheck_float64(name, factory, shape, seed):
    assert_piecewise_linear_gradcheck(factory(), shape, seed)


# ---------------------------------------------------------------------------- PyTorch parity
PARITY = [
    # common_modules.py rows (name as there)
    ("MaxPool2d_4d_input", lambda: nn.MaxPool2d((3, 3), (2, 2), (1, 1)), (1, 3, 7, 7)),
    ("AvgPool2d", lambda: nn.AvgPool2d((2, 2)), (2, 3, 6, 6)),
    ("AvgPool2d_stride", lambda: nn.AvgPool2d((2, 2), (2, 2)), (2, 3, 6, 6)),
    ("AvgPool2d_stride_pad", lambda: nn.AvgPool2d((2, 2), (2, 2), (1, 1)), (2, 3, 6, 6)),
    ("AvgPool2d_divisor", lambda: nn.AvgPool2d((2, 2), divisor_override=1), (2, 3, 6, 6)),
    ("AvgPool2d_divisor_stride", lambda: nn.AvgPool2d((2, 2), (2, 2), divisor_override=1), (2, 3, 6, 6)),
    ("AvgPool2d_divisor_stride_pad", lambda: nn.AvgPool2d((2, 2), (2, 2), (1, 1), divisor_override=1), (2, 3, 6, 6)),
    ("AdaptiveAvgPool2d_single", lambda: nn.AdaptiveAvgPool2d(3), (1, 3, 5, 6)),
    ("AdaptiveAvgPool2d_single_1x1output", lambda: nn.AdaptiveAvgPool2d(1), (1, 3, 5, 6)),
    ("AdaptiveAvgPool2d_tuple", lambda: nn.AdaptiveAvgPool2d((3, 4)), (1, 3, 5, 6)),
    ("AdaptiveAvgPool2d_tuple_none", lambda: nn.AdaptiveAvgPool2d((3, None)), (1, 3, 5, 6)),
    # the options those rows leave out
    ("MaxPool2d_tiles", lambda: nn.MaxPool2d(2), (4, 3, 8, 6)),
    ("MaxPool2d_ceil_mode", lambda: nn.MaxPool2d(3, 2, ceil_mode=True), (2, 2, 8, 7)),
    ("MaxPool2d_ceil_mode_pad", lambda: nn.MaxPool2d((2, 3), (1, 2), (1, 1), ceil_mode=True), (1, 2, 5, 7)),
    ("MaxPool2d_dilation", lambda: nn.MaxPool2d(3, 2, 1, dilation=2), (2, 2, 9, 8)),
    ("AvgPool2d_ceil_mode", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True), (2, 2, 8, 7)),
    ("AvgPool2d_ceil_mode_exclude_pad", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 8, 7)),
    ("AvgPool2d_exclude_pad", lambda: nn.AvgPool2d((3, 2), (2, 1), (1, 1), count_include_pad=False), (2, 2, 6, 5)),
    ("AdaptiveAvgPool2d_grow", lambda: nn.AdaptiveAvgPool2d((7, 4)), (2, 3, 5, 3)),
]


@DTYPES
@pytest.mark.parametrize("name,factory,shape", PARITY, ids=[n for n, _, _ in PARITY])
def test_pooling_matches_torch_forward_and_gradient(name, factory, shape, dtype, torch):
    assert_layer_matches_torch(factory(), shape, dtype)


@DTYPES
@pytest.mark.parametrize("layer", [nn.MaxPool2d(2), nn.MaxPool2d(3, 1, 1), nn.MaxPool2d(2, 1, dilation=2)],
                         ids=["tiles", "overlap", "dilated"])
def test_maxpool_ties_go_to_the_first_max_as_torch(layer, dtype, torch):
    """Equal values in a window (zeros after ReLU): the gradient goes to the first in row-major order, once."""
    x = np.zeros((1, 1, 6, 6), dtype)
    x[0, 0, 2:4, 2:4] = 1.0
    y = layer(x)
    g = np.random.default_rng(0).normal(size=y.shape).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn, "MaxPool2d")(**layer.get_config())(xt)
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), rtol=1e-6)


def test_maxpool_reshape_path_and_window_path_agree():
    """8×8 tiles exactly (the reshape path); 9×8 does not (the strided-view path) and drops the last row."""
    x = np.random.default_rng(0).normal(size=(2, 3, 9, 8))
    g = np.random.default_rng(1).normal(size=(2, 3, 4, 4))
    tiles, view = nn.MaxPool2d(2), nn.MaxPool2d(2)
    assert tiles._tiles((2, 3, 8, 8)) and not view._tiles(x.shape)
    np.testing.assert_array_equal(tiles(x[:, :, :8]), view(x))
    np.testing.assert_array_equal(tiles.backward(g), view.backward(g)[:, :, :8])
    assert not view.backward(g)[:, :, 8].any()


def test_maxpool_worked_example():
    x = np.array([[[[1.0, 3.0, 2.0, 0.0],
                    [4.0, 2.0, 1.0, 5.0],
                    [0.0, 1.0, 7.0, 7.0],
                    [2.0, 6.0, 3.0, 1.0]]]])
    pool = nn.MaxPool2d(2)
    np.testing.assert_array_equal(pool(x), [[[[4.0, 5.0], [6.0, 7.0]]]])
    # each window's gradient lands on its max; the 7-7 tie goes to the first
    np.testing.assert_array_equal(pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]])),
                                  [[[[0, 0, 0, 0], [1, 0, 0, 2], [0, 0, 4, 0], [0, 3, 0, 0]]]])


def test_avgpool_count_include_pad_worked_example():
    """A 3×3 window at the corner of a padded 2×2 image of ones covers 4 pixels and 5 zeros."""
    x = np.ones((1, 1, 2, 2))
    assert nn.AvgPool2d(3, stride=1, padding=1)(x)[0, 0, 0, 0] == pytest.approx(4 / 9)
    assert nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)(x)[0, 0, 0, 0] == 1.0


@pytest.mark.parametrize("make", [lambda dt: nn.MaxPool2d(3, 2, 1), lambda dt: nn.AvgPool2d(2),
                                  lambda dt: nn.AdaptiveAvgPool2d(3)], ids=["max", "avg", "adaptive"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_preserves_dtype(make, dtype):
    layer = make(dtype)
    y = layer(np.random.default_rng(0).normal(size=(2, 2, 6, 6)).astype(dtype))
    g = np.ones(y.shape, np.float64)
    assert y.dtype == dtype and layer.backward(g).dtype == dtype


@pytest.mark.parametrize("layer,shape", [(nn.MaxPool2d(3, 2, 1), (2, 3, 7, 7)), (nn.AvgPool2d(3, 2, 1), (2, 3, 7, 7)),
                                         (nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 5))], ids=["max", "avg", "adaptive"])
def test_check_layer_passes_pooling(layer, shape):
    assert check_layer(layer, shape).ok


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make,error,message",
    [
        (lambda: nn.MaxPool2d(3, padding=2), ValueError,
         "The 'padding' parameter of MaxPool2d must be at most half the (dilated) kernel size (3, 3) on each side. Got 2 instead."),
        (lambda: nn.AvgPool2d(2, padding=(0, 2)), ValueError, "The 'padding' parameter of AvgPool2d must be at most half"),
        (lambda: nn.MaxPool2d(0), ValueError, "The 'kernel_size' parameter of MaxPool2d must be an int >= 1 or a pair of them"),
        (lambda: nn.AvgPool2d(2, stride=0), ValueError, "The 'stride' parameter of AvgPool2d must be an int >= 1"),
        (lambda: nn.MaxPool2d(2, ceil_mode=1), TypeError, "The 'ceil_mode' parameter of MaxPool2d must be a bool. Got 1 instead."),
        (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, "The 'divisor_override' parameter of AvgPool2d must be an int >= 1"),
        (lambda: nn.AdaptiveAvgPool2d((0, 2)), ValueError,
         "The 'output_size' parameter of AdaptiveAvgPool2d must be an int >= 1 or a pair of ints >= 1 or None. Got (0, 2) instead."),
    ],
    ids=["max-padding", "avg-padding", "kernel-0", "stride-0", "ceil_mode", "divisor", "adaptive-size"],
)
def test_pooling_invalid_arguments_get_the_documented_message(make, error, message):
    with pytest.raises(error) as info:
        make()
    assert message in str(info.value)


@pytest.mark.parametrize(
    "layer,shape,message",
    [
        (nn.MaxPool2d(2), (3, 8, 8), r"MaxPool2d\(kernel_size=2\) expected input of shape \(N, C, H, W\), got \(3, 8, 8\)"),
        (nn.AvgPool2d(5), (1, 1, 4, 9), r"AvgPool2d\(kernel_size=5\) expected an input at least as large as its "
                                        r"\(dilated\) kernel after padding \(0, 0\), got input of shape \(1, 1, 4, 9\)"),
        (nn.AdaptiveAvgPool2d(2), (2, 8, 8), r"AdaptiveAvgPool2d\(output_size=2\) expected input of shape \(N, C, H, W\)"),
        (nn.AdaptiveAvgPool2d(2), (2, 1, 0, 8), r"expected a non-empty image"),
    ],
    ids=["max-3d", "avg-kernel-too-large", "adaptive-3d", "adaptive-empty"],
)
def test_pooling_bad_input_names_layer_expected_and_got(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


@pytest.mark.parametrize("layer", [nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1)], ids=lambda m: type(m).__name__)
def test_pooling_backward_checks_grad_output_and_order(layer):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.ones((1, 1, 2, 2)))
    layer(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=rf"{type(layer).__name__}.backward expected grad_output of shape"):
        layer.backward(np.ones((1, 1, 3, 3)))

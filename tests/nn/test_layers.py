"""Contracts every layer and loss keeps, as tables whose rows are named after the layer:
dtype preserved, grad_output left untouched, backward before forward refused, hyperparameter
messages. Each layer's gradient check, PyTorch parity and own behaviour are in
tests/nn/test_<layer>.py (test_linear, test_activation, test_batchnorm, test_dropout, test_loss).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnumpy import nn


def _name(factory):
    """Row id: the layer's class name (``nn.ReLU`` or a lambda building one)."""
    return factory.__name__ if isinstance(factory, type) else type(factory()).__name__


ACTIVATIONS = [nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Softplus,
               lambda: nn.Softmax(1), lambda: nn.LogSoftmax(1), nn.Identity, nn.Flatten, lambda: nn.Dropout(0.2, rng=0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("factory", ACTIVATIONS, ids=_name)
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


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: nn.MSELoss(reduction="avg"), "The 'reduction' parameter of MSELoss must be one of 'mean', 'sum', 'none'. Got 'avg' instead."),
        (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), "The 'label_smoothing' parameter of CrossEntropyLoss must be a float in [0, 1]. Got 1.5 instead."),
        (lambda: nn.HuberLoss(delta=0), "The 'delta' parameter of HuberLoss must be a float > 0. Got 0 instead."),
        (lambda: nn.CrossEntropyLoss(weight=[[1.0]]), "must be a 1-D array of C class weights"),
        (lambda: nn.Dropout(p=1.0), "The 'p' parameter of Dropout must be a float in [0, 1). Got 1.0 instead."),
        (lambda: nn.Dropout(p=-0.1), "The 'p' parameter of Dropout must be a float in [0, 1). Got -0.1 instead."),
        (lambda: nn.Linear(0, 3), "The 'in_features' parameter of Linear must be an int >= 1. Got 0 instead."),
        (lambda: nn.Linear(3, 2, dtype=np.int32), "The 'dtype' parameter of Linear must be float32 or float64. Got int32 instead."),
        (lambda: nn.GELU(approximate="fast"), "The 'approximate' parameter of GELU must be one of 'none', 'tanh'. Got 'fast' instead."),
        (lambda: nn.BatchNorm1d(3, momentum=2.0), "The 'momentum' parameter of BatchNorm1d must be a float in [0, 1]. Got 2.0 instead."),
    ],
    ids=["MSELoss-reduction", "CrossEntropyLoss-label_smoothing", "HuberLoss-delta", "CrossEntropyLoss-weight",
         "Dropout-p=1", "Dropout-p<0", "Linear-in_features", "Linear-dtype", "GELU-approximate", "BatchNorm1d-momentum"],
)
def test_invalid_hyperparameters_get_the_documented_message(make, message):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    assert message in str(info.value)


def test_invalid_hyperparameter_types_raise_type_error():
    with pytest.raises(TypeError, match="The 'p' parameter of Dropout must be a float"):
        nn.Dropout(p="0.5")
    with pytest.raises(TypeError, match="The 'in_features' parameter of Linear must be an int"):
        nn.Linear(3.0, 2)


LAYER_FACTORIES = [nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Softplus,
                   lambda: nn.Softmax(1), lambda: nn.LogSoftmax(1), lambda: nn.Linear(4, 3, rng=0),
                   lambda: nn.BatchNorm1d(4), lambda: nn.Dropout(0.3, rng=0)]


@given(st.sampled_from([np.float32, np.float64]), st.integers(0, len(LAYER_FACTORIES) - 1),
       st.integers(2, 5))
def test_dtype_preserved_through_every_layer(dtype, which, n):
    layer = LAYER_FACTORIES[which]()
    if hasattr(layer, "weight") or isinstance(layer, nn.BatchNorm1d):
        layer.to(dtype)
    x = np.linspace(-3, 3, n * 4).reshape(n, 4).astype(dtype)
    y = layer(x)
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype
    assert all(p.grad.dtype == dtype for p in layer.parameters())

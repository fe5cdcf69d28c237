"""Weight initialisers, PyTorch's ``torch.nn.init`` names and formulas.

Each function fills ``tensor`` (a ``Parameter`` or an ndarray) in place and
returns it. Random ones take a keyword-only ``rng`` (int seed or
``np.random.Generator``); the global NumPy RNG is never used. Values are drawn
in float64 and cast to the tensor's dtype.

Fan computation follows PyTorch: for a weight of shape ``(out, in, *k)``,
``fan_in = in * prod(k)`` and ``fan_out = out * prod(k)``.
"""

from __future__ import annotations

import math

import numpy as np

from .._random import as_generator
from .._validation import check_choice, check_float
from ._module import Parameter

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "zeros_",
    "ones_",
    "constant_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]


def _array(tensor) -> np.ndarray:
    arr = tensor.data if isinstance(tensor, Parameter) else tensor
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"init functions fill a Parameter or an ndarray in place, got {type(tensor).__name__}.")
    return arr


def _fill(tensor, values):
    arr = _array(tensor)
    arr[...] = values
    return tensor


def _fans(arr: np.ndarray, owner: str) -> tuple[int, int]:
    if arr.ndim < 2:
        raise ValueError(f"{owner} needs a tensor with at least 2 dimensions to compute fan in/out, got shape {arr.shape}.")
    receptive = int(np.prod(arr.shape[2:])) if arr.ndim > 2 else 1
    return arr.shape[1] * receptive, arr.shape[0] * receptive


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear/conv/sigmoid: 1, tanh: 5/3, relu: √2, leaky_relu: √(2/(1+a²)), selu: 3/4.
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check_float("calculate_gain", "param", param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        "The 'nonlinearity' parameter of calculate_gain must be one of 'linear', 'sigmoid', "
        f"'tanh', 'relu', 'leaky_relu', 'selu'. Got {nonlinearity!r} instead."
    )


def uniform_(tensor, a: float = 0.0, b: float = 1.0, *, rng=None):
    """Fill with U(a, b)."""
    arr = _array(tensor)
    return _fill(tensor, as_generator(rng, "uniform_").uniform(a, b, size=arr.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, *, rng=None):
    """Fill with N(mean, std²)."""
    check_float("normal_", "std", std, ge=0)
    arr = _array(tensor)
    return _fill(tensor, as_generator(rng, "normal_").normal(mean, std, size=arr.shape))


def zeros_(tensor):
    """Fill with 0."""
    return _fill(tensor, 0.0)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1.0)


def constant_(tensor, val: float):
    """Fill with ``val``."""
    return _fill(tensor, check_float("constant_", "val", val))


def xavier_uniform_(tensor, gain: float = 1.0, *, rng=None):
    """Glorot uniform: U(-a, a) with a = gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(_array(tensor), "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng)


def xavier_normal_(tensor, gain: float = 1.0, *, rng=None):
    """Glorot normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(_array(tensor), "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


def _kaiming_std(tensor, a, mode, nonlinearity, owner) -> float:
    check_choice(owner, "mode", mode, ("fan_in", "fan_out"))
    fan_in, fan_out = _fans(_array(tensor), owner)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *, rng=None):
    """He uniform: U(-b, b) with b = gain·√(3 / fan)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *, rng=None):
    """He normal: N(0, std²) with std = gain / √fan."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"), rng=rng)

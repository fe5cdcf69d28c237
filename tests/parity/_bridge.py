"""One PyTorch bridge for every parity test: build the torch twin of an nnumpy module or loss.

The twin is made from the module's ``get_config()`` (the same constructor
arguments) and loaded with the module's ``state_dict()``, so both hold
identical weights.
"""

from __future__ import annotations

import numpy as np
import torch

from nnumpy import nn

# nnumpy name -> torch constructor (same argument names by design).
_TORCH = {
    "Linear": torch.nn.Linear,
    "Identity": torch.nn.Identity,
    "Flatten": torch.nn.Flatten,
    "ReLU": torch.nn.ReLU,
    "LeakyReLU": torch.nn.LeakyReLU,
    "ELU": torch.nn.ELU,
    "GELU": torch.nn.GELU,
    "Sigmoid": torch.nn.Sigmoid,
    "Tanh": torch.nn.Tanh,
    "Softplus": torch.nn.Softplus,
    "Softmax": torch.nn.Softmax,
    "LogSoftmax": torch.nn.LogSoftmax,
    "Dropout": torch.nn.Dropout,
    "BatchNorm1d": torch.nn.BatchNorm1d,
}

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def torch_module(module: nn.Module, dtype) -> torch.nn.Module:
    """The torch twin of ``module`` with the same weights, in the same train/eval mode."""
    if isinstance(module, nn.Sequential):
        twin = torch.nn.Sequential(*(torch_module(m, dtype) for m in module))
    else:
        twin = _TORCH[type(module).__name__](**module.get_config())
    twin = twin.to(TORCH_DTYPE[np.dtype(dtype)])
    state = {k: torch.from_numpy(np.array(v)) for k, v in module.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    twin.train(module.training)
    return twin


def torch_loss(loss_fn: nn.Loss, dtype) -> torch.nn.Module:
    """The torch twin of a loss, class weights and pos_weight included."""
    cfg = dict(loss_fn.get_config())
    for name in ("weight", "pos_weight"):
        value = getattr(loss_fn, name, None)
        if value is not None:
            cfg[name] = torch.tensor(value, dtype=TORCH_DTYPE[np.dtype(dtype)])
    return getattr(torch.nn, type(loss_fn).__name__)(**cfg)


def tensor(x, dtype, requires_grad=False) -> torch.Tensor:
    t = torch.tensor(np.asarray(x), dtype=TORCH_DTYPE[np.dtype(dtype)] if np.asarray(x).dtype.kind == "f" else None)
    return t.requires_grad_(requires_grad)

"""predict, predict_proba, predict_classes: a trained model's outputs, probabilities and classes.

All three run the model in eval mode (Dropout off, BatchNorm on running
statistics) in batches and put every module back in the mode it had.

How ``predict_proba`` reads the outputs (``output='auto'``) is decided by the
type of the model's last layer, found by following the last registered child
of each container (``Sequential``'s last entry): an ``nn.Softmax`` or
``nn.Sigmoid`` there means the outputs are probabilities already, an
``nn.LogSoftmax`` that they are log-probabilities; anything else (a
``Linear``) that they are logits, turned into probabilities by a softmax over
the columns of an ``(N, C)`` output or a sigmoid of an ``(N,)``/``(N, 1)`` one.
A model whose ``forward`` does not end with its last registered child, or one
trained on probabilities produced elsewhere, says what its outputs are with
``output='logits'``, ``'probabilities'`` or ``'log_probabilities'``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int
from ..nn import LogSoftmax, Sigmoid, Softmax
from ..nn._summary import model_dtype
from ..nn.functional import sigmoid, softmax
from ._checks import check_model
from ._evaluate import preserved_modes

__all__ = ["predict", "predict_proba", "predict_classes"]

_OUTPUTS = ("auto", "logits", "probabilities", "log_probabilities")


def _inputs(owner: str, X) -> np.ndarray:
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{owner} expects a numeric input array X, got dtype {arr.dtype}.")
    if arr.ndim == 0:
        raise ValueError(f"{owner} expects X with a first axis indexing samples, got a 0-d array.")
    return arr


def predict(model, X, *, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs ``model(X)`` in eval mode, computed in batches; each module's mode is restored.

    Floating-point inputs are converted to the model's dtype (its first
    parameter's); integer inputs are passed as they are.

    Args:
        model: an ``nnumpy.nn.Module``.
        X: the inputs, samples along the first axis.
        batch_size: samples per forward pass, >= 1. Default: ``1024``.

    Shape:
        ``X (N, *)`` as the model takes it; returns ``(N, *)`` as the model gives it.

    Example:
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Dropout(0.5, rng=0))
        >>> out = predict(model, np.ones((5, 2), np.float32))
        >>> out.shape, model.training   # Dropout was off, and the model is back in training mode
        ((5, 3), True)
    """
    owner = "predict"
    check_model(owner, model)
    batch_size = check_int(owner, "batch_size", batch_size, ge=1)
    X = _inputs(owner, X)
    dtype = model_dtype(model)
    if X.dtype.kind == "f" and X.dtype != dtype:
        X = X.astype(dtype)
    with preserved_modes(model):
        model.eval()
        if X.shape[0] == 0:
            return np.array(model(X))  # the model's own answer to an empty batch (or its error)
        # np.concatenate copies: layers may reuse their output buffer on the next call.
        return np.concatenate([np.asarray(model(X[i : i + batch_size])) for i in range(0, X.shape[0], batch_size)])


def _last_layer(model):
    """The last registered leaf: the last child, recursively (Sequential's last entry)."""
    while model._modules:
        model = list(model._modules.values())[-1]
    return model


def _output_kind(owner: str, model, output: str) -> str:
    output = check_choice(owner, "output", output, _OUTPUTS)
    if output != "auto":
        return output
    last = _last_layer(model)
    if isinstance(last, LogSoftmax):
        return "log_probabilities"
    if isinstance(last, (Softmax, Sigmoid)):
        return "probabilities"
    return "logits"


def _columns(owner: str, out: np.ndarray) -> np.ndarray:
    """``(N, C)`` scores; ``(N,)`` becomes ``(N, 1)``."""
    if out.ndim == 1:
        return out[:, None]
    if out.ndim != 2:
        raise ValueError(f"{owner} expects model outputs of shape (N,), (N, 1) or (N, C), got {out.shape}.")
    return out


def predict_proba(model, X, *, batch_size: int = 1024, output: str = "auto") -> np.ndarray:
    """Class probabilities of a classifier, one row per sample, rows summing to 1.

    ``(N, C)`` outputs with C >= 2 give a softmax over the columns (from
    logits), ``exp`` (from log-probabilities) or the outputs themselves
    (probabilities); a single column gives ``[1 - p, p]`` with ``p`` the
    sigmoid of the logit (or the probability itself), as scikit-learn's
    ``predict_proba`` does for two classes. How the outputs are read: see the
    module docstring (the last layer's type, or ``output``).

    Args:
        model: a classifier (an ``nnumpy.nn.Module``).
        X: the inputs, samples along the first axis.
        batch_size: samples per forward pass, >= 1. Default: ``1024``.
        output: ``'auto'``, ``'logits'``, ``'probabilities'`` or
            ``'log_probabilities'``. Default: ``'auto'``.

    Shape:
        ``X (N, *)``; returns ``(N, C)`` for ``(N, C)`` outputs, ``(N, 2)`` for ``(N,)``/``(N, 1)`` outputs.

    Example:
        >>> from nnumpy import nn
        >>> p = predict_proba(nn.Linear(4, 3, rng=0), np.ones((2, 4), np.float32))
        >>> p.shape, np.allclose(p.sum(axis=1), 1)
        ((2, 3), True)
    """
    owner = "predict_proba"
    kind = _output_kind(owner, model, output)
    out = _columns(owner, predict(model, X, batch_size=batch_size))
    if out.shape[1] == 1:
        p = sigmoid(out[:, 0]) if kind == "logits" else (np.exp(out[:, 0]) if kind == "log_probabilities" else out[:, 0])
        p = p.astype(out.dtype, copy=False)
        return np.column_stack([1 - p, p])  # (N, 2)
    if kind == "logits":
        return softmax(out, axis=1)
    return np.exp(out) if kind == "log_probabilities" else out


def predict_classes(model, X, *, batch_size: int = 1024, output: str = "auto") -> np.ndarray:
    """Predicted class indices: the arg-max of ``(N, C)`` outputs; for one column, 1 where p > 0.5.

    Decided on the raw outputs, as fit and evaluate count them: a single logit
    predicts class 1 when it is > 0, a probability when it is > 0.5 (how the
    outputs are read: the module docstring). Use
    ``nnumpy.datasets.class_names(name)[k]`` for the name of class ``k``.

    Args:
        model, X, batch_size, output: as :func:`predict_proba`.

    Shape:
        ``X (N, *)``; returns ``(N,)`` int64.

    Example:
        >>> from nnumpy import nn
        >>> predict_classes(nn.Linear(2, 3, rng=0), np.eye(2, dtype=np.float32)).shape
        (2,)
    """
    owner = "predict_classes"
    kind = _output_kind(owner, model, output)
    out = _columns(owner, predict(model, X, batch_size=batch_size))
    if out.shape[1] >= 2:
        return out.argmax(axis=1).astype(np.int64)
    threshold = {"logits": 0.0, "probabilities": 0.5, "log_probabilities": float(np.log(0.5))}[kind]
    return (out[:, 0] > threshold).astype(np.int64)

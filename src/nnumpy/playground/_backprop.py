"""The backprop step mode: one sample walked through the network by nnumpy's own layers.

:func:`walk` runs each child of the ``Sequential`` on one sample, keeping every
forward value, then the loss and its ``backward``, then each layer's
``backward`` in reverse, keeping the ``grad_output`` it received, the
``Parameter.grad`` it filled and the ``dL/dx`` it returned. The numbers are the
layers' own; the page only shows them, next to the formula of that layer's
backward (:data:`FORMULAS`).

The walk runs on a copy of the network, so the session's weights, gradients
and optimizer state are untouched.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .. import nn

__all__ = ["FORMULAS", "walk"]

#: Forward and backward of each layer type, as the page writes them (``g`` is ``grad_output``, ``⊙`` elementwise).
FORMULAS: dict[str, dict[str, str]] = {
    "Linear": {"forward": "y = x Wᵀ + b",
               "backward": "∂L/∂W = gᵀ x,   ∂L/∂b = Σₙ g,   ∂L/∂x = g W"},
    "ReLU": {"forward": "y = max(0, x)", "backward": "∂L/∂x = g ⊙ [x > 0]"},
    "LeakyReLU": {"forward": "y = x if x > 0 else a·x   (a = 0.01)",
                  "backward": "∂L/∂x = g ⊙ (1 if x > 0 else a)"},
    "ELU": {"forward": "y = x if x > 0 else α(eˣ − 1)   (α = 1)",
            "backward": "∂L/∂x = g ⊙ (1 if x > 0 else y + α)"},
    "Tanh": {"forward": "y = tanh(x)", "backward": "∂L/∂x = g ⊙ (1 − y²)"},
    "Sigmoid": {"forward": "y = σ(x) = 1 / (1 + e⁻ˣ)", "backward": "∂L/∂x = g ⊙ y (1 − y)"},
    "CrossEntropyLoss": {"forward": "L = −log softmax(z)ₜ = logΣⱼ e^zⱼ − zₜ",
                         "backward": "∂L/∂z = softmax(z) − onehot(t)   (÷ N for the batch mean)"},
    "MSELoss": {"forward": "L = mean((z − t)²)", "backward": "∂L/∂z = 2 (z − t) / n"},
    "BCEWithLogitsLoss": {"forward": "L = −[t log σ(z) + (1 − t) log(1 − σ(z))]",
                          "backward": "∂L/∂z = (σ(z) − t) / n"},
}


def _list(a) -> list:
    return np.asarray(a, dtype=np.float64).tolist()


def walk(model: nn.Sequential, loss_fn: nn.Loss, x: np.ndarray, target: np.ndarray, label: int) -> dict[str, Any]:
    """Forward and backward of one sample ``x`` (shape ``(2,)``) with its ``target`` row, layer by layer.

    Returns a JSON-ready dict: ``forward`` (per layer: type, input, output, formula),
    ``loss`` (value, output, target, ``dL/dz``, formula), ``backward`` (per layer in
    reverse: ``grad_output``, ``grads`` by parameter name, ``grad_input``, formula)
    and ``parameters`` (the weights used, at full precision).
    """
    net = copy.deepcopy(model)  # the session's weights, gradients and optimizer stay untouched
    net.train()
    net.zero_grad()
    h = np.asarray(x, dtype=np.float64)[None]  # (1, 2)
    forward = []
    for i, m in enumerate(net.children()):
        out = m(h)
        kind = type(m).__name__
        forward.append({"index": i, "type": kind, "input": _list(h[0]), "output": _list(out[0]),
                        "formula": FORMULAS.get(kind, {}).get("forward", "")})
        h = out
    kind = type(loss_fn).__name__
    loss_copy = copy.deepcopy(loss_fn)
    value = float(loss_copy(h, target))
    g = loss_copy.backward()
    loss = {"type": kind, "value": value, "output": _list(h[0]), "target": _list(np.ravel(target)),
            "label": int(label), "grad": _list(g[0]), "formula": FORMULAS[kind]["forward"],
            "backward_formula": FORMULAS[kind]["backward"]}
    backward = []
    children = list(net.children())
    for i in range(len(children) - 1, -1, -1):
        m = children[i]
        grad_output = g
        g = m.backward(grad_output)
        grads = {name: _list(p.grad) for name, p in m.named_parameters() if p.grad is not None}
        kind = type(m).__name__
        backward.append({"index": i, "type": kind, "grad_output": _list(grad_output[0]), "grads": grads,
                         "grad_input": _list(g[0]), "formula": FORMULAS.get(kind, {}).get("backward", "")})
    parameters = {name: _list(p.data) for name, p in model.named_parameters()}
    return {"x": _list(x), "forward": forward, "loss": loss, "backward": backward, "parameters": parameters}

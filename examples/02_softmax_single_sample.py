"""Softmax regression on one sample: the worked example, by hand and next to PyTorch.

What it teaches: for logits z = W x + b, p = softmax(z) and the cross-entropy
L = −log p_y, the gradient with respect to the logits is simply

    dL/dz = p − onehot(y)

because ∂(−z_y)/∂z_k = −[k = y] and ∂ log Σ_j e^{z_j} / ∂z_k = e^{z_k} / Σ_j e^{z_j} = p_k.
The chain rule through z = W x + b then gives dL/dW = (p − y) xᵀ and
dL/db = p − y. The script prints that gradient, checks it against central
differences, takes 100 SGD steps at lr 0.001 with ``nnumpy`` and prints the
prediction and loss before and after, beside PyTorch's numbers.

The data: 4 features, 3 classes, x = [1.2, 2.4, 3.6, 1.8], target class 2;
weights from NumPy's legacy global seed, ``np.random.seed(220106); W = randn(3, 4);
B = randn(3, 1)``, as the classic exercise does. That legacy seed is the one
place the global RNG is used; its previous state is restored afterwards.

Run: ``python examples/02_softmax_single_sample.py`` (``--quick`` is the same run:
it already takes milliseconds).
"""

from __future__ import annotations

import numpy as np

from _common import optional, parse_args, print_table
from nnumpy import nn, optim
from nnumpy.nn import functional as F

X = np.array([[1.2, 2.4, 3.6, 1.8]])  # (1, 4): one sample
TARGET = np.array([2])  # (1,): class index
QUOTED_PRED = np.array([0.42185561, 0.4060726, 0.17207179])  # the worked example's numbers, as quoted
QUOTED_LOSS = 1.7598435
LR = 0.001
STEPS = 100


def legacy_weights() -> tuple[np.ndarray, np.ndarray]:
    """W (3, 4) and B (3, 1) from ``np.random.seed(220106)``; the global RNG state is restored."""
    state = np.random.get_state()
    try:
        np.random.seed(220106)
        W = np.random.randn(3, 4)
        B = np.random.randn(3, 1)
    finally:
        np.random.set_state(state)
    return W, B


def numeric_logit_grad(z: np.ndarray, y: int, eps: float = 1e-6) -> np.ndarray:
    """Central differences of L(z) = −log softmax(z)_y, one logit at a time."""
    def loss(v):
        return -F.log_softmax(v, axis=1)[0, y]

    g = np.zeros_like(z)
    for k in range(z.shape[1]):
        e = np.zeros_like(z)
        e[0, k] = eps
        g[0, k] = (loss(z + e) - loss(z - e)) / (2 * eps)
    return g


def train_nnumpy(W, B):
    """Linear(4, 3) in float64 with the given weights, 100 SGD steps; returns (pred/loss before, after, first grads)."""
    layer = nn.Linear(4, 3, dtype=np.float64)
    layer.weight.data[...] = W
    layer.bias.data[...] = B[:, 0]
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(layer.parameters(), lr=LR)

    def snapshot():
        z = layer(X)  # (1, 3) logits
        return F.softmax(z, axis=1)[0], loss_fn(z, TARGET), z

    before = snapshot()
    first = None
    for step in range(STEPS):
        opt.zero_grad()
        loss_fn(layer(X), TARGET)
        dz = loss_fn.backward()  # (1, 3): p − onehot(y), already /N for N = 1
        layer.backward(dz)
        if step == 0:
            first = dz.copy(), layer.weight.grad.copy(), layer.bias.grad.copy()
        opt.step()
    return before, snapshot(), first


def train_torch(torch, W, B):
    """The same 100 steps in PyTorch (float64): ``torch.nn.Linear`` + ``cross_entropy`` + ``torch.optim.SGD``."""
    layer = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(W))
        layer.bias.copy_(torch.from_numpy(B[:, 0]))
    opt = torch.optim.SGD(layer.parameters(), lr=LR)
    x, y = torch.from_numpy(X), torch.from_numpy(TARGET)

    def snapshot():
        with torch.no_grad():
            z = layer(x)
            return torch.softmax(z, 1).numpy()[0], torch.nn.functional.cross_entropy(z, y).item()

    before = snapshot()
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(layer(x), y).backward()
        opt.step()
    return before, snapshot()


def fmt(p: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.8f}" for v in p) + "]"


def main(argv=None) -> dict:
    parse_args(__doc__, argv, seed=None)  # no random draws besides the documented legacy seed; nothing is written
    W, B = legacy_weights()
    (p0, l0, z0), (p1, l1, _), (dz, dW, db) = train_nnumpy(W, B)

    print("Logits z = W x + b, p = softmax(z), L = −log p_2.")
    print(f"x = {X[0].tolist()}, target class {TARGET[0]}\n")
    onehot = np.eye(3)[TARGET]
    print("Gradient at the start (the backward of CrossEntropyLoss):")
    print(f"  p − onehot(y)          = {fmt((F.softmax(z0, axis=1) - onehot)[0])}")
    print(f"  dL/dz from backward()  = {fmt(dz[0])}")
    print(f"  central differences    = {fmt(numeric_logit_grad(z0, int(TARGET[0]))[0])}")
    print(f"  dL/db = p − y          = {fmt(db)}")
    print(f"  dL/dW = (p − y) xᵀ, max |Δ| to the outer product: {np.abs(dW - dz.T @ X).max():.1e}\n")

    torch = optional("torch", "test")
    results = {"before": {"pred": p0, "loss": l0}, "after": {"pred": p1, "loss": l1}, "torch": None}
    if torch is not None:
        (tp0, tl0), (tp1, tl1) = train_torch(torch, W, B)
        results["torch"] = {"before": {"pred": tp0, "loss": tl0}, "after": {"pred": tp1, "loss": tl1}}
    rows = []
    for key, label in (("before", "before"), ("after", f"after {STEPS} steps")):
        ours, theirs = results[key], (results["torch"] or {}).get(key)
        rows.append((f"nnumpy  {label}", fmt(ours["pred"]), f"{ours['loss']:.8f}"))
        if theirs:
            rows.append((f"PyTorch {label}", fmt(theirs["pred"]), f"{theirs['loss']:.8f}"))
        else:
            rows.append((f"PyTorch {label}", "(torch not installed)", "-"))
    print_table(("", "pred = softmax(W x + b)", "loss"), rows, title=f"SGD, lr {LR}, {STEPS} steps (float64):")
    if results["torch"]:
        diff = float(np.abs(p1 - results["torch"]["after"]["pred"]).max())
        results["max_abs_diff_torch"] = diff
        print(f"\nmax |nnumpy − PyTorch| of the final pred: {diff:.1e}")
    dp = float(np.abs(p0 - QUOTED_PRED).max())
    dl = abs(l0 - QUOTED_LOSS) / QUOTED_LOSS
    print(
        f"The worked example quotes pred {fmt(QUOTED_PRED)}, loss {QUOTED_LOSS} before training (its loss\n"
        f"is −log of its rounded p_2): float64 differs by {dp:.1e} in p and {dl:.1e} (relative) in the loss."
    )
    return results


if __name__ == "__main__":
    main()

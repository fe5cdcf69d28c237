"""The five training implementations the benchmark compares, behind one interface.

Every implementation trains the same network (Linear → Sigmoid → … → Linear,
softmax cross-entropy, plain SGD) from the same initial weights, on the same
data, in the same shuffled order, and is timed from the first shuffle to the
last update of the run:

* ``nnumpy-fit``  — ``nnumpy.train.fit`` (the library's own loop and DataLoader);
* ``nnumpy-loop`` — a bare ``forward / loss / zero_grad / backward / step`` loop
  over nnumpy's public API, the code a user writes;
* ``numpy``       — the fastest hand-written NumPy loop we could write, no library:
  preallocated buffers, ``out=`` everywhere, lr folded into the output gradient;
* ``torch``       — PyTorch CPU, idiomatic ``nn.Sequential`` + ``optim.SGD``;
* ``sklearn``     — ``MLPClassifier(solver="sgd", momentum=0)`` via ``partial_fit``.

An implementation is used as::

    impl.prepare(layers, params, X, y, batch_size, lr)   # untimed
    loss = impl.train(orders)                             # timed: one epoch per order
    pred = impl.predict(X_test)                           # untimed, for the accuracy

``params`` is a list of ``(W, b)`` float32 pairs with PyTorch's layout
(``W`` is ``(out, in)``); ``orders`` is a list of index permutations, one per
epoch. Each batch is gathered from the data by its indices, ``X[order[s:e]]``
(see ``GATHER``), except for scikit-learn, whose ``partial_fit`` needs the
epoch's shuffled copy, and ``nnumpy-fit``, whose DataLoader shuffles: it gets
the epoch count and the seed the orders were drawn from, and draws the same
permutations (``bench_mlp.epoch_orders``).
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np

__all__ = ["IMPLS", "make_impl", "forward_numpy", "accuracy"]


def accuracy(pred_labels: np.ndarray, y: np.ndarray) -> float:
    """Fraction of correct labels, in percent."""
    return float(np.mean(np.asarray(pred_labels) == y) * 100.0)


def forward_numpy(params, X: np.ndarray) -> np.ndarray:
    """Logits of the sigmoid MLP ``params`` on ``X`` in plain NumPy (for predictions)."""
    h = X
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < len(params) - 1:
            h = 1.0 / (1.0 + np.exp(-np.clip(h, -80.0, 80.0)))
    return h


def _missing(module: str, label: str) -> str | None:
    """Why a peer cannot run (its package is not installed), or None."""
    try:
        importlib.import_module(module)
    except ImportError:
        return f"{label} not installed (pip install 'nnumpy[bench]')"
    return None


def _batches(n: int, batch_size: int):
    """``(start, stop)`` of every batch; the last one may be smaller (no sample dropped)."""
    return [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]


#: How a shuffled batch is formed: "batch" gathers each batch's rows (X[order[s:e]],
#: a fresh contiguous array); "epoch" makes one shuffled copy of the data per epoch
#: and slices it. NOTES.md compares them: "batch" is as fast or faster here and does
#: not hold a second copy of the data set.
GATHER = "batch"


def _gather(X, y, order, s, e):
    """The batch ``order[s:e]`` of (X, y) (NumPy arrays or torch tensors) by the GATHER strategy."""
    if GATHER == "batch":
        idx = order[s:e]
        return X[idx], y[idx]
    cache = _gather.cache
    if cache.get("src") is not X or cache.get("order") is not order:
        cache.clear()
        cache.update(src=X, order=order, X=X[order], y=y[order])  # one shuffled copy per epoch
    return cache["X"][s:e], cache["y"][s:e]


_gather.cache = {}


# --------------------------------------------------------------------------- nnumpy
def _nnumpy_model(layers, params):
    from nnumpy import nn

    mods = []
    for i, (W, b) in enumerate(params):
        lin = nn.Linear(layers[i], layers[i + 1], rng=0)
        lin.weight.data[...] = W
        lin.bias.data[...] = b
        mods.append(lin)
        if i < len(params) - 1:
            mods.append(nn.Sigmoid())
    return nn.Sequential(*mods)


def _nnumpy_sgd(parameters, lr):
    from nnumpy import optim

    return optim.SGD(list(parameters), lr=lr)


def _nnumpy_params(model):
    from nnumpy import nn

    return [(m.weight.data, m.bias.data) for m in model if isinstance(m, nn.Linear)]


class NnumpyLoop:
    """The bare loop a user writes with nnumpy's public API."""

    name = "nnumpy-loop"

    @staticmethod
    def unavailable() -> str | None:
        try:
            from nnumpy import nn, optim  # noqa: F401

            optim.SGD  # noqa: B018 - the optimizer may not exist yet in a partial checkout
        except (ImportError, AttributeError) as e:
            return f"nnumpy not importable ({e})"
        return None

    def prepare(self, layers, params, X, y, batch_size, lr):
        from nnumpy import nn

        self.model = _nnumpy_model(layers, params)
        self.loss_fn = nn.CrossEntropyLoss()
        self.opt = _nnumpy_sgd(self.model.parameters(), lr)
        self.X, self.y, self.bs = X, y, batch_size

    def train(self, orders):
        model, loss_fn, opt = self.model, self.loss_fn, self.opt
        loss = float("nan")
        for order in orders:
            for s, e in _batches(len(order), self.bs):
                xb, yb = _gather(self.X, self.y, order, s, e)
                loss = loss_fn(model(xb), yb)
                opt.zero_grad()
                # input_grad=False skips the first layer's dL/dx (a quarter of this MLP's
                # FLOPs), as PyTorch does for an input that does not require grad.
                model.backward(loss_fn.backward(), input_grad=False)
                opt.step()
        return loss

    def predict(self, X):
        return self.model(X).argmax(axis=1)

    def params(self):
        return _nnumpy_params(self.model)


class NnumpyFit(NnumpyLoop):
    """``nnumpy.train.fit``: the library's loop; its DataLoader, seeded alike, draws the same orders."""

    name = "nnumpy-fit"

    @staticmethod
    def unavailable() -> str | None:
        reason = NnumpyLoop.unavailable()
        if reason:
            return reason
        try:
            from nnumpy.train import fit  # noqa: F401
        except ImportError as e:
            return f"nnumpy.train.fit not available ({e})"
        return None

    seed = 0  # fit's shuffling seed; the driver sets it

    def train(self, orders):
        from nnumpy.train import fit

        history = fit(
            self.model, self.loss_fn, self.opt, (self.X, self.y),
            epochs=len(orders), batch_size=self.bs, rng=self.seed, progress=False, verbose=False,
        )
        return _last_loss(history)


def _last_loss(history) -> float:
    """Best-effort final training loss from whatever ``fit`` returns."""
    for attr in ("loss", "train_loss"):
        seq = getattr(history, attr, None)
        if seq is None and isinstance(history, dict):
            seq = history.get(attr)
        if seq is not None:
            try:
                return float(seq[-1])
            except (TypeError, IndexError, ValueError):
                pass
    try:
        return float(history["loss"][-1])
    except Exception:  # noqa: BLE001 - a report field, never worth failing the run for
        return float("nan")


# --------------------------------------------------------------------------- plain NumPy
class PlainNumpy:
    """The fastest hand-written NumPy loop we know, for this exact network.

    * every activation, delta and gradient lives in a buffer allocated once per
      batch size (``out=`` everywhere, no temporaries in the step);
    * the learning rate is folded into the output delta (lr/B instead of 1/B), so
      every gradient comes out already scaled and the update is one ``-=``;
    * the first layer's input gradient is never computed;
    * at batch size 1 the weight gradient is an ``einsum`` outer product (NumPy's
      matmul with an inner dimension of 1 is several times slower);
    * the GEMMs are written as in the formulas, ``x @ Wᵀ``, ``gᵀ @ x`` and ``g @ W``, on
      C-ordered arrays, as nnumpy's Linear writes them (NOTES.md, round 4, says what
      the feature-major layout of earlier rounds gained and why it left both loops);
    * sigmoid as ``1/(1+exp(-z))`` on z clipped to ±80 (no overflow, one
      transcendental per element; exact to float32 rounding for |z| ≤ 80);
    * the loss (log-sum-exp form) is computed every step, as a real loop would.
    """

    name = "numpy"

    @staticmethod
    def unavailable() -> str | None:
        return None

    def prepare(self, layers, params, X, y, batch_size, lr):
        self.W = [np.array(W, dtype=np.float32, order="C") for W, _ in params]
        self.b = [np.array(b, dtype=np.float32) for _, b in params]
        self.X, self.y, self.bs, self.lr = X, y, batch_size, float(lr)
        self._buf = {}

    def _buffers(self, m):
        buf = self._buf.get(m)
        if buf is None:
            f32 = np.float32
            widths = [W.shape[0] for W in self.W]  # out features per layer
            buf = {
                "a": [np.empty((m, w), f32) for w in widths],  # activations / logits
                "d": [np.empty((m, W.shape[1]), f32) for W in self.W[1:]],  # input deltas of layers 1..L-1
                "t": [np.empty((m, w), f32) for w in widths[:-1]],  # sigmoid-derivative scratch
                "gW": [np.empty_like(W) for W in self.W],
                "gb": [np.empty_like(b) for b in self.b],
                "rows": np.arange(m),
                "ones": np.ones(m, f32),
            }
            self._buf[m] = buf
        return buf

    def train(self, orders):
        W, b, lr = self.W, self.b, self.lr
        L = len(W)
        loss = float("nan")
        exp, matmul, clip = np.exp, np.matmul, np.clip
        for order in orders:
            for s, e in _batches(len(order), self.bs):
                x, t = _gather(self.X, self.y, order, s, e)
                m = e - s
                buf = self._buffers(m)
                a, d, tmp, gW, gb = buf["a"], buf["d"], buf["t"], buf["gW"], buf["gb"]
                rows, ones = buf["rows"], buf["ones"]
                # forward
                h = x
                for i in range(L - 1):
                    z = a[i]
                    matmul(h, W[i].T, out=z)
                    z += b[i]
                    np.negative(z, out=z)  # sigmoid(z) = 1 / (1 + exp(-z))
                    clip(z, -80.0, 80.0, out=z)
                    exp(z, out=z)
                    z += 1.0
                    np.reciprocal(z, out=z)
                    h = z
                z = a[L - 1]
                matmul(h, W[L - 1].T, out=z)
                z += b[L - 1]
                # fused softmax + cross-entropy; delta = lr/m * (softmax - onehot)
                z -= z.max(axis=1, keepdims=True)
                picked = z[rows, t]
                exp(z, out=z)
                sums = z.sum(axis=1)
                loss = float(np.log(sums).sum() - picked.sum()) / m
                z /= sums[:, None]
                z[rows, t] -= 1.0
                z *= lr / m
                # backward + update (gradients are already lr-scaled)
                g = z
                for i in range(L - 1, -1, -1):
                    h_in = a[i - 1] if i > 0 else x
                    if m == 1:  # outer product: einsum is ~6x faster than matmul with k = 1
                        np.einsum("bi,bj->ij", g, h_in, out=gW[i])
                    else:
                        matmul(g.T, h_in, out=gW[i])
                    matmul(ones, g, out=gb[i])  # bias gradient: Σ_rows g as a GEMV
                    if i > 0:
                        gi = d[i - 1]
                        matmul(g, W[i], out=gi)
                        sd = tmp[i - 1]  # sigmoid' = y(1 - y)
                        np.subtract(1.0, h_in, out=sd)
                        sd *= h_in
                        gi *= sd
                        g = gi
                    W[i] -= gW[i]
                    b[i] -= gb[i]
        return loss

    def predict(self, X):
        return forward_numpy(list(zip(self.W, self.b)), X).argmax(axis=1)

    def params(self):
        return list(zip(self.W, self.b))


# --------------------------------------------------------------------------- PyTorch
class Torch:
    """PyTorch CPU, the idiomatic way: nn.Sequential, CrossEntropyLoss, optim.SGD."""

    name = "torch"

    @staticmethod
    def unavailable() -> str | None:
        return _missing("torch", "torch")

    def prepare(self, layers, params, X, y, batch_size, lr):
        import torch

        mods = []
        for i, (W, b) in enumerate(params):
            lin = torch.nn.Linear(layers[i], layers[i + 1])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
                lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
            mods.append(lin)
            if i < len(params) - 1:
                mods.append(torch.nn.Sigmoid())
        self.model = torch.nn.Sequential(*mods)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.X = torch.from_numpy(X)  # shares memory, no copy
        self.y = torch.from_numpy(y)
        self.bs = batch_size

    def train(self, orders):
        import torch

        model, loss_fn, opt = self.model, self.loss_fn, self.opt
        loss = None
        for order in orders:
            idx = torch.from_numpy(order)
            for s, e in _batches(len(order), self.bs):
                xb, yb = _gather(self.X, self.y, idx, s, e)
                loss = loss_fn(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
        return loss.item() if loss is not None else float("nan")

    def predict(self, X):
        import torch

        with torch.inference_mode():
            return self.model(torch.from_numpy(X)).argmax(dim=1).numpy()

    def params(self):
        lins = [m for m in self.model if hasattr(m, "weight")]
        return [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in lins]


# --------------------------------------------------------------------------- scikit-learn
class Sklearn:
    """``MLPClassifier(activation="logistic", solver="sgd", momentum=0)``, one ``partial_fit`` per epoch.

    ``partial_fit`` on a pre-shuffled copy with ``shuffle=False`` visits the
    samples in our order; the weights are set from ``params`` after a one-batch
    ``partial_fit`` that only initialises the estimator (sklearn has no public
    way to pass initial weights). For two classes sklearn's network has one
    logistic output instead of two softmax logits (same cost, equivalent start).
    """

    name = "sklearn"

    @staticmethod
    def unavailable() -> str | None:
        return _missing("sklearn.neural_network", "scikit-learn")

    def prepare(self, layers, params, X, y, batch_size, lr):
        from sklearn.neural_network import MLPClassifier

        n_classes = layers[-1]
        self.clf = MLPClassifier(
            hidden_layer_sizes=tuple(layers[1:-1]),
            activation="logistic",
            solver="sgd",
            learning_rate="constant",
            learning_rate_init=lr,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,  # sklearn's L2 penalty; 0 = the same objective as the others
            batch_size=batch_size,
            shuffle=False,
            max_iter=1,
            random_state=0,
        )
        k = min(len(X), batch_size)
        with warnings.catch_warnings():
            # "Got `batch_size` ... larger than sample size": only in tiny smoke runs.
            warnings.simplefilter("ignore", UserWarning)
            self.clf.partial_fit(X[:k], y[:k], classes=np.arange(n_classes))
        if n_classes == 2:
            # sklearn models two classes with one logistic output; softmax over two logits
            # is the logistic of their difference, so the equivalent start is W1 - W0.
            (W, b) = params[-1]
            params = [*params[:-1], (W[1:] - W[:1], b[1:] - b[:1])]
        self.clf.coefs_ = [np.ascontiguousarray(W.T, dtype=np.float32) for W, _ in params]
        self.clf.intercepts_ = [np.array(b, dtype=np.float32) for _, b in params]
        self.X, self.y = X, y

    def train(self, orders):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for order in orders:
                self.clf.partial_fit(self.X[order], self.y[order])
        return float(self.clf.loss_)

    def predict(self, X):
        return self.clf.predict(X)

    def params(self):
        return [(W.T, b) for W, b in zip(self.clf.coefs_, self.clf.intercepts_)]


IMPLS = {cls.name: cls for cls in (NnumpyFit, NnumpyLoop, PlainNumpy, Torch, Sklearn)}


def make_impl(name: str):
    return IMPLS[name]()

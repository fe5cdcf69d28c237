#!/usr/bin/env python
"""CNN benchmark: the book's SimpleConvNet and LeNet-5, nnumpy against PyTorch CPU and the book's im2col loop.

SimpleConvNet ("Deep Learning from Scratch", ch. 7): Conv2d(1, 30, 5) → ReLU →
MaxPool2d(2) → Flatten → Linear(4320, 100) → ReLU → Linear(100, 10), softmax
cross-entropy, plain SGD lr 0.1, batch 100, float32, on 1×28×28 images. Three
implementations start from the same weights (drawn by nnumpy's layers) and see
the same batches in the same order:

* ``nnumpy``: ``nn.Sequential`` + ``CrossEntropyLoss`` + ``optim.SGD``, the bare loop;
* ``torch``: the same network in PyTorch (CPU), ``torch.set_num_threads(threads)``;
* ``book``: a plain NumPy loop written in this file the way the book writes it:
  ``Convolution``/``Pooling``/``Affine``/``Relu``/``SoftmaxWithLoss`` classes whose
  im2col returns one row per window, ``(N·OH·OW, C·kH·kW)``, built by a loop over
  the kernel offsets, and col2im its adjoint (see :class:`BookNet`).

Workloads (``--workloads``, comma-separated):

* ``epoch``: one epoch of Fashion-MNIST (60,000 images) per implementation, ``--repeats``
  times; within a repeat the implementations take turns every ``--chunk-steps`` steps
  (20 nnumpy steps, 20 torch, 20 book, …), so a slow spell of a shared machine hits
  all of them; median and min–max per implementation, and the ratio's range over repeats;
* ``memory``: tracemalloc peak of one training step (batch 100, 1,000 and 10,000; the
  book loop to 1,000) next to the im2col buffer: the whole batch's columns and the
  largest column array nnumpy's Conv2d builds (it works in pieces of at most
  ``_im2col.COLUMN_BUDGET`` elements); NumPy reports its allocations to tracemalloc;
* ``lenet``: LeNet-5 inference at batch 1 (µs per forward), nnumpy against PyTorch;
* ``acc``: ``--acc-epochs`` (3) epochs on Fashion-MNIST, nnumpy and PyTorch, test accuracy
  on the 10,000 test images (one run each: it is a correctness check);
* ``sample``: ``--sample-epochs`` epochs on the bundled ``mnist-sample`` (8,000 train /
  2,000 test images), nnumpy and PyTorch, test accuracy.

Every library uses ``--threads`` threads (default 1: BLAS through threadpoolctl and the
``*_NUM_THREADS`` variables, ``torch.set_num_threads``). Like ``bench_mlp.py`` (whose
helpers it imports), the script clears ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` for its
own process and prints the BLAS kernel. Outputs: ``<date>-<machine>-cnn.json`` and ``.md``
in ``--out`` (default ``benchmarks/results/``).

    python benchmarks/bench_cnn.py                       # full run (~12 min on 2 cores)
    python benchmarks/bench_cnn.py --smoke --out /tmp/b  # seconds, synthetic data, times meaningless
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_mlp  # noqa: E402  (stdlib-only at import time: numpy is not loaded yet)
from bench_mlp import (  # noqa: E402
    DATA_HINT,
    DataMissing,
    blas_kernel,
    clear_openblas_overrides,
    epoch_orders,
    machine_info,
    pin_imported_pools,
    setup_threads,
)

np = None  # numpy: main() imports it once the environment is set (OpenBLAS reads it when it loads)
IMPLS = ("nnumpy", "torch", "book")
WORKLOADS = ("epoch", "memory", "lenet", "acc", "sample")
LR, BATCH = 0.1, 100


# =========================================================================== the networks
def simple_convnet(seed: int, hw: tuple[int, int] = (28, 28)):
    """The book's SimpleConvNet in nnumpy, PyTorch's default init drawn from ``seed``."""
    from nnumpy import nn

    g = np.random.default_rng(seed)
    flat = 30 * ((hw[0] - 4) // 2) * ((hw[1] - 4) // 2)  # 30 · 12 · 12 = 4320 for 28 × 28
    return nn.Sequential(nn.Conv2d(1, 30, 5, rng=g), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(flat, 100, rng=g), nn.ReLU(), nn.Linear(100, 10, rng=g))


def lenet5(seed: int):
    """LeNet-5 for 1×28×28 (padding 2 gives the original 32×32 geometry), ReLU and max-pooling."""
    from nnumpy import nn

    g = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=g), nn.ReLU(), nn.MaxPool2d(2),  # (N, 6, 14, 14)
        nn.Conv2d(6, 16, 5, rng=g), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 5, 5)
        nn.Flatten(), nn.Linear(400, 120, rng=g), nn.ReLU(), nn.Linear(120, 84, rng=g), nn.ReLU(),
        nn.Linear(84, 10, rng=g),
    )


def to_torch(model):
    """The same layers and weights in PyTorch (Conv2d, ReLU, MaxPool2d, Flatten and Linear only)."""
    import torch

    from nnumpy import nn

    mods = []
    for m in model:
        if isinstance(m, nn.Conv2d):
            t = torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding)
        elif isinstance(m, nn.Linear):
            t = torch.nn.Linear(m.in_features, m.out_features)
        elif isinstance(m, nn.MaxPool2d):
            t = torch.nn.MaxPool2d(m.kernel_size, m.stride)
        else:
            t = {nn.ReLU: torch.nn.ReLU, nn.Flatten: torch.nn.Flatten}[type(m)]()
        if hasattr(t, "weight"):
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(m.weight.data))
                t.bias.copy_(torch.from_numpy(m.bias.data))
        mods.append(t)
    return torch.nn.Sequential(*mods)


# --------------------------------------------------------------------------- the book's way
def book_im2col(x, fh: int, fw: int, stride: int = 1, pad: int = 0):
    """The book's im2col: ``(N·OH·OW, C·fh·fw)``, one row per window, filled by a loop over kernel offsets."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)]) if pad else x
    col = np.zeros((n, c, fh, fw, oh, ow), dtype=x.dtype)
    for p in range(fh):
        for q in range(fw):  # offset (p, q) of every window at once: a strided slice
            col[:, :, p, q] = img[:, :, p : p + stride * oh : stride, q : q + stride * ow : stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)  # (N·OH·OW, C·fh·fw), a copy


def book_col2im(col, shape, fh: int, fw: int, stride: int = 1, pad: int = 0):
    """The adjoint of :func:`book_im2col`: each row's entries added back onto the pixels they came from."""
    n, c, h, w = shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    col = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)  # (N, C, fh, fw, OH, OW)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1), dtype=col.dtype)
    for p in range(fh):
        for q in range(fw):
            img[:, :, p : p + stride * oh : stride, q : q + stride * ow : stride] += col[:, :, p, q]
    return img[:, :, pad : h + pad, pad : w + pad]


class BookConvolution:
    """Y = col @ W_colᵀ + b, reshaped to NCHW; backward: dW = doutᵀ @ col, dx = col2im(dout @ W_col)."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        fn, _, fh, fw = self.W.shape
        n, _, h, w = x.shape
        oh, ow = (h + 2 * self.pad - fh) // self.stride + 1, (w + 2 * self.pad - fw) // self.stride + 1
        col = book_im2col(x, fh, fw, self.stride, self.pad)  # (N·OH·OW, C·fh·fw)
        col_w = self.W.reshape(fn, -1).T  # (C·fh·fw, FN)
        out = col @ col_w + self.b  # (N·OH·OW, FN)
        self.x_shape, self.col, self.col_w = x.shape, col, col_w
        return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)  # (N, FN, OH, OW)

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)  # (N·OH·OW, FN)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).T.reshape(fn, c, fh, fw)
        dcol = dout @ self.col_w.T  # (N·OH·OW, C·fh·fw)
        return book_col2im(dcol, self.x_shape, fh, fw, self.stride, self.pad)


class BookPooling:
    """Max over each window: im2col, one row per (window, channel), max along the row; backward scatters."""

    def __init__(self, ph, pw, stride):
        self.ph, self.pw, self.stride = ph, pw, stride

    def forward(self, x):
        n, c, h, w = x.shape
        oh, ow = (h - self.ph) // self.stride + 1, (w - self.pw) // self.stride + 1
        col = book_im2col(x, self.ph, self.pw, self.stride).reshape(-1, self.ph * self.pw)  # (N·OH·OW·C, ph·pw)
        self.arg_max = col.argmax(axis=1)
        self.x_shape = x.shape
        return col.max(axis=1).reshape(n, oh, ow, c).transpose(0, 3, 1, 2)  # (N, C, OH, OW)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)  # (N, OH, OW, C)
        size = self.ph * self.pw
        dmax = np.zeros((dout.size, size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)  # (N·OH·OW, C·ph·pw)
        return book_col2im(dcol, self.x_shape, self.ph, self.pw, self.stride)


class BookAffine:
    """out = x W + b with the book's ``W (in, out)``; the input is flattened first."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class BookRelu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class BookSoftmaxWithLoss:
    def forward(self, x, t):
        x = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        self.t = t
        return float(-np.mean(np.log(self.y[np.arange(len(t)), t] + 1e-7)))  # the book's ε

    def backward(self):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx / len(self.t)


class BookNet:
    """SimpleConvNet as the book builds it: a list of layers, forward in order, backward reversed, SGD."""

    def __init__(self, model):
        conv, lin1, lin2 = model[0], model[4], model[6]
        c = lambda a: np.array(a, dtype=np.float32)  # noqa: E731 - own copies
        self.conv = BookConvolution(c(conv.weight.data), c(conv.bias.data))
        self.layers = [self.conv, BookRelu(), BookPooling(2, 2, 2),
                       BookAffine(c(lin1.weight.data.T), c(lin1.bias.data)), BookRelu(),
                       BookAffine(c(lin2.weight.data.T), c(lin2.bias.data))]
        self.last = BookSoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def step(self, x, t, lr):
        loss = self.last.forward(self.predict(x), t)
        dout = self.last.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        for layer in self.layers:
            if hasattr(layer, "W"):
                layer.W -= lr * layer.dW
                layer.b -= lr * layer.db
        return loss


# =========================================================================== implementations
class Impl:
    """``prepare(model, X, y)`` then ``train(orders)``; ``predict_labels(X)``."""

    def __init__(self, name, model, X, y):
        self.name, self.X, self.y = name, X, y
        if name == "nnumpy":
            from nnumpy import nn, optim

            self.model = model
            self.loss_fn = nn.CrossEntropyLoss()
            self.opt = optim.SGD(model.parameters(), lr=LR)
        elif name == "torch":
            import torch

            self.model = to_torch(model)
            self.loss_fn = torch.nn.CrossEntropyLoss()
            self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
            self.Xt, self.yt = torch.from_numpy(X), torch.from_numpy(y)
        else:
            self.model = BookNet(model)

    def train(self, orders, steps=None):
        """Up to ``steps`` steps over the batches of ``orders`` (all by default); the last batch loss."""
        self.start(orders, steps)
        self.run(None)
        return self.loss

    def start(self, orders, steps=None):
        """Queue the batches of ``orders`` (the first ``steps`` of them) for :meth:`run`."""
        batches = [order[s : s + BATCH] for order in orders for s in range(0, len(order), BATCH)]
        self._todo, self.loss = iter(batches[:steps]), float("nan")

    def run(self, k):
        """The next ``k`` queued steps (all with None); how many there were."""
        done = 0
        for idx in itertools.islice(self._todo, k):
            self.loss = self._step(idx)
            done += 1
        return done

    def _step(self, idx):
        if self.name == "nnumpy":
            out = self.model(self.X[idx])
            loss = self.loss_fn(out, self.y[idx])
            self.opt.zero_grad()
            self.model.backward(self.loss_fn.backward())  # Sequential skips the first conv's dL/dx
            self.opt.step()
            return float(loss)
        if self.name == "torch":
            import torch

            i = torch.from_numpy(idx)
            loss = self.loss_fn(self.model(self.Xt[i]), self.yt[i])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return loss.item()
        return self.model.step(self.X[idx], self.y[idx], LR)

    def predict_labels(self, X, batch=1000):
        out = []
        for s in range(0, len(X), batch):
            xb = X[s : s + batch]
            if self.name == "nnumpy":
                out.append(self.model.eval()(xb).argmax(axis=1))
                self.model.train()
            elif self.name == "torch":
                import torch

                with torch.inference_mode():
                    out.append(self.model(torch.from_numpy(xb)).argmax(dim=1).numpy())
            else:
                out.append(self.model.predict(xb).argmax(axis=1))
        return np.concatenate(out)


def accuracy(impl, X, y) -> float:
    return float(np.mean(impl.predict_labels(X) == y) * 100.0)


# =========================================================================== data
def load_images(args):
    """Fashion-MNIST as ``((X (N, 1, 28, 28) float32, y), (X_test, y_test))``; smoke: a small subset."""
    n_train, n_test = (500, 200) if args.smoke else (args.max_samples, None)
    (X, y), (Xt, yt) = bench_mlp.load_fashion_mnist(n_train, n_test, synthetic_ok=args.smoke, synthetic=args.synthetic)
    shape = lambda a: np.ascontiguousarray(a.reshape(len(a), 1, 28, 28), dtype=np.float32)  # noqa: E731
    return (shape(X), y.astype(np.int64)), (shape(Xt), yt.astype(np.int64))


def load_sample(args):
    """The bundled mnist-sample, 4-D float32 (smoke: its first 300 / 200 images)."""
    from nnumpy import datasets

    (X, y), (Xt, yt) = datasets.load("mnist-sample", split="train"), datasets.load("mnist-sample", split="test")
    if args.smoke:
        X, y, Xt, yt = X[:300], y[:300], Xt[:200], yt[:200]
    return (np.ascontiguousarray(X, np.float32), y.astype(np.int64)), (np.ascontiguousarray(Xt, np.float32),
                                                                       yt.astype(np.int64))


# =========================================================================== workloads
def _timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _spread(ts):
    return {"times_s": ts, "median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts)}


def interleaved(impls: dict, chunk: int) -> dict[str, float]:
    """Seconds each started :class:`Impl` takes for its queued steps, run ``chunk`` steps at a time in turn.

    On a machine shared with other jobs a slow spell then hits every implementation
    alike, instead of whichever happened to be running (the load here swings by 3×).
    """
    gc.collect()
    times, active = dict.fromkeys(impls, 0.0), list(impls)
    while active:
        for name in list(active):
            t0 = time.perf_counter()
            done = impls[name].run(chunk)
            times[name] += time.perf_counter() - t0
            if done < chunk:
                active.remove(name)
    return times


def run_epoch(args, data, log) -> dict:
    """One epoch per implementation, interleaved ``--repeats`` times; the book loop may run a prefix."""
    (X, y), _ = data
    orders = epoch_orders(len(X), 1, args.seed)
    steps = -(-len(X) // BATCH)
    book_steps = min(steps, args.book_steps or steps)
    res = {"name": "epoch", "n_train": len(X), "batch_size": BATCH, "lr": LR, "steps": steps,
           "book_steps": book_steps, "chunk_steps": args.chunk_steps, "results": {}}
    log(f"epoch: {len(X)} images, batch {BATCH}, {steps} steps (book loop: {book_steps} steps, scaled)")
    for name in args.impls:  # warm-up: imports, BLAS buffers, allocator
        Impl(name, simple_convnet(args.seed), X, y).train(orders, steps=1 if args.smoke else 3)
    times = {n: [] for n in args.impls}
    for r in range(args.repeats):
        impls = {name: Impl(name, simple_convnet(args.seed), X, y) for name in args.impls}
        for name, impl in impls.items():
            impl.start(orders, book_steps if name == "book" else steps)
        for name, dt in interleaved(impls, args.chunk_steps).items():
            times[name].append(dt * steps / (book_steps if name == "book" else steps))
            res["results"].setdefault(name, {})["final_loss"] = impls[name].loss
        log(f"  repeat {r + 1}/{args.repeats}: " + "  ".join(f"{n} {times[n][-1]:.2f}s" for n in args.impls))
    for name, ts in times.items():
        res["results"][name].update(_spread(ts), samples_per_s=len(X) / statistics.median(ts))
    for name, e in res["results"].items():
        e["ratio"] = {p: e["median_s"] / o["median_s"] for p, o in res["results"].items() if p != name}
        # the spread of the ratio over the repeats (pairs from the same round of the interleaving)
        e["ratio_range"] = {p: [min(a / b for a, b in zip(e["times_s"], o["times_s"])),
                                max(a / b for a, b in zip(e["times_s"], o["times_s"]))]
                            for p, o in res["results"].items() if p != name}
    return res


def run_memory(args, data, log) -> dict:
    """tracemalloc peak of one training step (forward, loss, backward, update) above what it started with."""
    import tracemalloc

    from nnumpy.nn import _conv, _im2col

    largest = [0]

    def recording_im2col(*a, **k):  # the largest column array Conv2d builds: what batch_chunks bounds
        cols = _im2col.im2col(*a, **k)
        largest[0] = max(largest[0], cols.nbytes)
        return cols

    (X, y), _ = data
    res = {"name": "memory", "column_budget_mb": _im2col.COLUMN_BUDGET * 4 / 2**20, "results": {}}
    for batch in ((100,) if args.smoke else (100, 1000, 10000)):
        if batch > len(X):
            continue
        idx = np.arange(batch)
        cols_mb = batch * 1 * 5 * 5 * 24 * 24 * 4 / 2**20  # N·C·kH·kW·OH·OW float32: the conv's column array
        row = {"im2col_columns_mb": cols_mb, "input_mb": X[idx].nbytes / 2**20}
        for name in ("nnumpy", "book"):
            if name not in args.impls or (name == "book" and batch > 1000):
                continue
            impl = Impl(name, simple_convnet(args.seed), X, y)
            impl._step(idx)  # first step: parameter gradients allocated, caches filled
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            largest[0], _conv.im2col = 0, recording_im2col
            try:
                impl._step(idx)
            finally:
                _conv.im2col = _im2col.im2col
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            row[f"{name}_step_peak_mb"] = (peak - base) / 2**20
            if name == "nnumpy":
                row["nnumpy_largest_columns_mb"] = largest[0] / 2**20
        res["results"][str(batch)] = row
        largest_mb = row.get("nnumpy_largest_columns_mb", float("nan"))
        log(f"memory: batch {batch}: columns {cols_mb:.1f} MB (nnumpy's largest array {largest_mb:.1f} MB); step peak "
            + ", ".join(f"{k[:-13]} {v:.1f} MB" for k, v in row.items() if k.endswith("_step_peak_mb")))
    return res


def run_lenet(args, log) -> dict:
    """LeNet-5 forward at batch 1, µs per call, interleaved repeats of ``--lenet-steps`` calls."""
    import torch

    model = lenet5(args.seed).eval()
    tmodel = to_torch(model).eval()
    x = np.random.default_rng(args.seed).random((1, 1, 28, 28), dtype=np.float32)
    xt = torch.from_numpy(x)
    diff = float(np.max(np.abs(model(x) - tmodel(xt).detach().numpy())))
    steps = 20 if args.smoke else args.lenet_steps

    def nnumpy_run():
        for _ in range(steps):
            model(x)

    def torch_run():
        with torch.inference_mode():
            for _ in range(steps):
                tmodel(xt)

    runs = {"nnumpy": nnumpy_run, "torch": torch_run}
    for fn in runs.values():
        fn()  # warm-up
    times = {n: [] for n in runs}
    for _ in range(args.repeats * 2):
        for name, fn in runs.items():
            times[name].append(_timed(fn)[0])
    res = {"name": "lenet", "batch_size": 1, "steps": steps, "max_abs_output_diff": diff, "results": {}}
    for name, ts in times.items():
        res["results"][name] = dict(_spread(ts), us_per_step=statistics.median(ts) / steps * 1e6)
    res["ratio"] = res["results"]["nnumpy"]["median_s"] / res["results"]["torch"]["median_s"]
    log(f"lenet-5 batch 1: nnumpy {res['results']['nnumpy']['us_per_step']:.0f} µs, "
        f"torch {res['results']['torch']['us_per_step']:.0f} µs per forward (×{res['ratio']:.2f}); "
        f"max |Δoutput| {diff:.1e}")
    return res


def run_accuracy(args, name, data, epochs, log) -> dict:
    """``epochs`` epochs from the same start and batches, trained interleaved; test accuracy and time, one run each."""
    (X, y), (Xt, yt) = data
    orders = epoch_orders(len(X), epochs, args.seed)
    res = {"name": name, "epochs": epochs, "batch_size": BATCH, "lr": LR, "n_train": len(X), "n_test": len(Xt),
           "results": {}}
    impls = {n: Impl(n, simple_convnet(args.seed), X, y) for n in args.impls if n != "book"}
    for impl in impls.values():
        impl.start(orders)
    for impl_name, dt in interleaved(impls, args.chunk_steps).items():
        impl = impls[impl_name]
        res["results"][impl_name] = {"test_acc": accuracy(impl, Xt, yt), "final_loss": impl.loss, "time_s": dt}
        log(f"{name}: {impl_name} {epochs} epoch(s): test accuracy {res['results'][impl_name]['test_acc']:.2f}% "
            f"({dt:.0f} s)")
    return res


# =========================================================================== report
def markdown(report) -> str:
    m = report["meta"]
    w = {x["name"]: x for x in report["workloads"]}
    v = m.get("versions", {})
    lines = [f"### CNN benchmark: {m['date'][:10]}, {m.get('cpu', '?')}, {m['threads']} thread(s)"
             + (" (SMOKE RUN: tiny data, times meaningless)" if m.get("smoke") else ""), "",
             f"Command: `{m['command']}`  ",
             f"git {m.get('git_commit')}{' (dirty)' if m.get('git_dirty') else ''}; "
             + ", ".join(f"{k} {val}" for k, val in v.items() if val) + "  ",
             f"BLAS: {m.get('blas')}" + (f" (cleared for this process: {m['cleared_env']})" if m.get("cleared_env")
                                         else "") + ".  ",
             f"Data: {m.get('data_source')}. SimpleConvNet = Conv2d(1, 30, 5) → ReLU → MaxPool2d(2) "
             "→ Linear(4320, 100) → ReLU → Linear(100, 10); SGD lr 0.1, batch 100, float32; same initial weights "
             "and batch order for all.",
             ""]
    if "epoch" in w:
        e = w["epoch"]
        lines += [f"#### One epoch ({e['n_train']:,} images, {e['steps']} steps), median of {m['repeats']} runs "
                  f"(min–max), the implementations taking turns every {e.get('chunk_steps', e['steps'])} steps", "",
                  "| implementation | s/epoch (min–max) | images/s | × torch (range) | × book (range) |",
                  "|---|---:|---:|---:|---:|"]
        for name, r in e["results"].items():
            cells = []
            for peer in ("torch", "book"):
                if peer in r["ratio"]:
                    lo, hi = r["ratio_range"][peer]
                    cells.append(f"{r['ratio'][peer]:.2f} ({lo:.2f}–{hi:.2f})")
                else:
                    cells.append("–")
            lines.append(f"| {name} | {r['median_s']:.2f} ({r['min_s']:.2f}–{r['max_s']:.2f}) "
                         f"| {r['samples_per_s']:,.0f} | {cells[0]} | {cells[1]} |")
        if e["book_steps"] < e["steps"]:
            lines.append(f"\nThe book loop ran the first {e['book_steps']} steps of each epoch; its time is scaled "
                         f"to {e['steps']} steps.")
        lines.append("")
    if "memory" in w:
        mm = w["memory"]
        lines += [f"#### Working memory of one training step (tracemalloc peak; nnumpy caps a column array at "
                  f"{mm['column_budget_mb']:.0f} MB of float32)", "",
                  "| batch | input MB | all columns MB | nnumpy's largest column array MB | nnumpy step peak MB "
                  "| book step peak MB |", "|---:|---:|---:|---:|---:|---:|"]
        for b, r in mm["results"].items():
            book = r.get("book_step_peak_mb")
            lines.append(f"| {b} | {r['input_mb']:.1f} | {r['im2col_columns_mb']:.1f} "
                         f"| {r.get('nnumpy_largest_columns_mb', float('nan')):.1f} "
                         f"| {r.get('nnumpy_step_peak_mb', float('nan')):.1f} "
                         f"| {'–' if book is None else f'{book:.1f}'} |")
        lines.append("")
    if "lenet" in w:
        ln = w["lenet"]
        lines += [f"#### LeNet-5 inference, batch 1 ({ln['steps']} forwards per run, median of "
                  f"{len(ln['results']['torch']['times_s'])} interleaved runs)", "",
                  "| implementation | µs per forward (min–max) |", "|---|---:|"]
        for name, r in ln["results"].items():
            k = 1e6 / ln["steps"]
            lines.append(f"| {name} | {r['us_per_step']:.0f} ({r['min_s'] * k:.0f}–{r['max_s'] * k:.0f}) |")
        lines += ["", f"nnumpy ÷ torch: {ln['ratio']:.2f}; outputs agree to {ln['max_abs_output_diff']:.1e}.", ""]
    for key, title in (("acc", "Fashion-MNIST"), ("sample", "mnist-sample")):
        if key in w:
            a = w[key]
            lines += [f"#### Accuracy: {title}, {a['epochs']} epoch(s), {a['n_train']:,} train / {a['n_test']:,} test "
                      "(one run each)", "", "| implementation | test acc % | final batch loss | time s |",
                      "|---|---:|---:|---:|"]
            for name, r in a["results"].items():
                lines.append(f"| {name} | {r['test_acc']:.2f} | {r['final_loss']:.4f} | {r['time_s']:.0f} |")
            lines.append("")
    rows = targets(report)
    if rows:
        lines += ["#### Targets", "", "| target | measured | met |", "|---|---:|:---:|"]
        lines += [f"| {r['target']} | {r['value']} | {'yes' if r['ok'] else '**no**'} |" for r in rows]
    return "\n".join(lines).rstrip() + "\n"


def targets(report) -> list[dict]:
    """The issue's targets: epoch time vs PyTorch, accuracy vs PyTorch, mnist-sample accuracy."""
    w = {x["name"]: x for x in report["workloads"]}
    rows = []
    e = w.get("epoch", {}).get("results", {}).get("nnumpy", {})
    if "torch" in e.get("ratio", {}):
        rows.append({"target": "SimpleConvNet epoch: nnumpy ≤ 1.0 × PyTorch's time",
                     "value": f"{e['ratio']['torch']:.2f}×", "ok": e["ratio"]["torch"] <= 1.0})
    a = w.get("acc", {}).get("results", {})
    if "nnumpy" in a and "torch" in a:
        d = a["nnumpy"]["test_acc"] - a["torch"]["test_acc"]
        rows.append({"target": f"{w['acc']['epochs']} epochs: test accuracy within 1 point of PyTorch's "
                               f"({a['torch']['test_acc']:.2f}%)", "value": f"{d:+.2f} pt", "ok": abs(d) <= 1.0})
    s = w.get("sample", {}).get("results", {})
    if "nnumpy" in s:
        rows.append({"target": f"mnist-sample, {w['sample']['epochs']} epochs: test accuracy ≥ 97.5 %",
                     "value": f"{s['nnumpy']['test_acc']:.2f}%", "ok": s["nnumpy"]["test_acc"] >= 97.5})
    return rows


# =========================================================================== CLI
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="seconds: a small subset, synthetic data if Fashion-MNIST "
                                                         "is missing; times meaningless")
    ap.add_argument("--synthetic", action="store_true", help="with --smoke: random images even if the data exists")
    ap.add_argument("--data-dir", default=None, help="look for the Fashion-MNIST *-ubyte.gz files only in DIR")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"any of {','.join(WORKLOADS)} (default: all)")
    ap.add_argument("--impls", default=",".join(IMPLS), help=f"subset of {','.join(IMPLS)}")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved timed runs (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="threads for every library (default 1)")
    ap.add_argument("--book-steps", type=int, default=None,
                    help="time only the first STEPS steps of the book loop's epoch and scale "
                         "(default: the whole epoch)")
    ap.add_argument("--max-samples", type=int, default=None, help="cap the Fashion-MNIST training images")
    ap.add_argument("--chunk-steps", type=int, default=20,
                    help="the implementations take turns every STEPS training steps (default 20)")
    ap.add_argument("--acc-epochs", type=int, default=3)
    ap.add_argument("--sample-epochs", type=int, default=20)
    ap.add_argument("--lenet-steps", type=int, default=2000, help="forwards per LeNet-5 timing run (default 2000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--machine", default=None, help="machine name in the file names (default: host name)")
    args = ap.parse_args(argv)
    args.workloads = [x.strip() for x in args.workloads.split(",") if x.strip()]
    args.impls = [x.strip() for x in args.impls.split(",") if x.strip()]
    if set(args.workloads) - set(WORKLOADS):
        ap.error(f"unknown --workloads {sorted(set(args.workloads) - set(WORKLOADS))}; "
                 f"choose from {','.join(WORKLOADS)}")
    if set(args.impls) - set(IMPLS) or "nnumpy" not in args.impls:
        ap.error(f"--impls must include nnumpy and be a subset of {','.join(IMPLS)}")
    if min(args.repeats, args.threads, args.chunk_steps) < 1:
        ap.error("--repeats, --threads and --chunk-steps must be >= 1")
    if args.synthetic and not args.smoke:
        ap.error("--synthetic is for --smoke runs only")
    if args.smoke:
        args.book_steps = args.book_steps or 2
        args.acc_epochs, args.sample_epochs, args.repeats = 1, 1, min(args.repeats, 2)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    clear_openblas_overrides(argv, script=__file__)
    bench_mlp.DATA_DIR = Path(args.data_dir).expanduser() if args.data_dir else None
    setup_threads(args.threads)  # before numpy's BLAS and torch start their pools
    global np
    import numpy as np
    t_start = time.perf_counter()
    quiet = os.environ.get("BENCH_QUIET") == "1"

    def log(msg):
        if not quiet:
            print(f"[{time.perf_counter() - t_start:6.1f}s] {msg}", flush=True)

    needs_fmnist = {"epoch", "memory", "acc"} & set(args.workloads)
    try:
        data = load_images(args) if needs_fmnist else None
    except DataMissing:
        print(f"bench_cnn.py: {DATA_HINT}", file=sys.stderr)
        return 2
    pools = pin_imported_pools(args.threads, args.impls)
    cleared = os.environ.get("BENCH_CLEARED_OVERRIDES")
    log(f"threads {args.threads}; data: {getattr(bench_mlp.load_fashion_mnist, 'source', 'n/a')}")
    log(f"BLAS: {blas_kernel(pools)}" + (f" (cleared for this process: {cleared})" if cleared else ""))
    results = []
    for wl in args.workloads:
        if wl == "epoch":
            results.append(run_epoch(args, data, log))
        elif wl == "memory":
            results.append(run_memory(args, data, log))
        elif wl == "lenet" and "torch" in args.impls:
            results.append(run_lenet(args, log))
        elif wl == "acc":
            results.append(run_accuracy(args, "acc", data, args.acc_epochs, log))
        elif wl == "sample":
            results.append(run_accuracy(args, "sample", load_sample(args), args.sample_epochs, log))
    now = _dt.datetime.now()
    report = {"meta": {"date": now.isoformat(timespec="seconds"), "smoke": args.smoke, "threads": args.threads,
                       "command": ("python benchmarks/bench_cnn.py " + " ".join(argv)).strip(), "seed": args.seed,
                       "repeats": args.repeats, "data_source": getattr(bench_mlp.load_fashion_mnist, "source", None),
                       "wall_s": time.perf_counter() - t_start, **machine_info(args, pools)},
              "workloads": results}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{now:%Y-%m-%d}-{bench_mlp._machine_name(args)}-cnn"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    md = markdown(report)
    stem.with_suffix(".md").write_text(md)
    if not quiet:
        print("\n" + md)
    log(f"wrote {stem}.json, {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One 2-D playground session: a toy data set, an nnumpy MLP, its optimizer, and a training thread.

Training runs in a background thread in slices of about :data:`SLICE_S`
seconds; after each slice the thread renders a frame (the decision boundary on
a grid, the curves, every weight and its gradient, the neurons' activations at
a probe point) and publishes it. The web page draws the frames it is sent; it
computes nothing about the network itself.

All work on the model happens under the session's lock, so a Step, a Reset or
a backprop walk never sees a half-done optimizer step.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import time
from typing import Any, Callable

import numpy as np

from .. import nn, optim
from ..datasets import make_blobs, make_circles, make_moons, make_spiral, make_xor
from ..nn.functional import sigmoid, softmax
from ._schema import LIMITS

__all__ = ["Session", "build_network", "make_points", "GRID", "FRAME_S", "STEPS_PER_FRAME", "MAX_CURVE"]

#: Cells per side of the decision-boundary grid.
GRID = 48
#: Seconds from one frame to the next while running: 30 frames a second.
FRAME_S = 1 / 30
#: Training steps between two frames unless the page asks for another speed (0: as many as fit in a frame).
STEPS_PER_FRAME = 10
#: Points kept per curve; older points are thinned out two to one beyond this.
MAX_CURVE = 400
#: A running session with no page listening for this long pauses itself.
IDLE_PAUSE_S = 30.0


def make_points(c: dict[str, Any], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of the configured toy data set, scaled into about [-1, 1]²; ``(X (n, 2) float64, y (n,) int64)``."""
    name, noise, k = c["dataset"], c["noise"], c["classes"]
    if name == "xor":
        X, y = make_xor(n, noise=noise, rng=seed)
        X = X / 1.5
    elif name == "moons":
        X, y = make_moons(n, noise=noise / 2, rng=seed)
        X = (X - np.array([0.5, 0.25], dtype=X.dtype)) / 1.25
    elif name == "circles":
        X, y = make_circles(n, noise=noise / 4, rng=seed)
    elif name == "spiral":
        X, y = make_spiral(n, noise=noise, n_classes=k, rng=seed)
    else:
        centres = 0.6 * np.stack([np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)], 1)
        X, y = make_blobs(n, centers=centres, noise=noise / 2, rng=seed)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def build_network(c: dict[str, Any], rng: np.random.Generator) -> tuple[nn.Sequential, nn.Loss, int]:
    """The MLP ``2 → hidden… → outputs`` in float64, its loss and its output width."""
    act = getattr(nn, c["activation"])
    outputs = 1 if c["loss"] == "BCEWithLogitsLoss" else c["classes"]
    layers: list[nn.Module] = []
    width = 2
    for h in c["hidden"]:
        layers += [nn.Linear(width, h, dtype=np.float64, rng=rng), act()]
        width = h
    layers.append(nn.Linear(width, outputs, dtype=np.float64, rng=rng))
    return nn.Sequential(*layers), getattr(nn, c["loss"])(), outputs


def _make_optimizer(c: dict[str, Any], params) -> optim.Optimizer:
    return getattr(optim, c["optimizer"])(params, lr=c["lr"])


def _target(c: dict[str, Any], y: np.ndarray, outputs: int) -> np.ndarray:
    """What the loss compares with: class indices (CrossEntropy), one-hot rows (MSE) or a 0/1 column (BCE)."""
    if c["loss"] == "CrossEntropyLoss":
        return y
    if c["loss"] == "MSELoss":
        return np.eye(outputs)[y]
    return y.astype(np.float64)[:, None]


def class_probabilities(c: dict[str, Any], out: np.ndarray) -> np.ndarray:
    """``(N, classes)`` probabilities from the network's output: softmax, or sigmoid for one BCE logit."""
    if c["loss"] == "BCEWithLogitsLoss":
        p1 = sigmoid(out[:, 0])
        return np.stack([1.0 - p1, p1], axis=1)
    return softmax(out, axis=1)


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _rounded(a: np.ndarray, digits: int = 5) -> list:
    """``a`` as (nested) lists of floats rounded to ``digits`` significant digits (JSON has no NaN: None)."""
    a = np.asarray(a, dtype=np.float64)
    flat = [float(f"{v:.{digits}g}") if math.isfinite(v) else None for v in a.ravel().tolist()]
    if a.ndim == 0:
        return flat[0]
    if a.ndim == 1:
        return flat
    return np.array(flat, dtype=object).reshape(a.shape).tolist()


class Session:
    """A 2-D playground session: configuration, data, network, optimizer, curves and the training thread."""

    def __init__(self, config: dict[str, Any], publish: Callable[["Session"], None] | None = None):
        self.id = secrets.token_hex(8)
        self.lock = threading.RLock()
        self.publish = publish or (lambda s: None)
        self.running = False
        self.steps_per_frame = STEPS_PER_FRAME
        self.render_s = 0.0
        self.message: str | None = None
        self.last_seen = time.monotonic()
        self.version = 0
        self.frame: dict[str, Any] = {}
        self.frame_json = "{}"
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False
        self.configure(config)

    # -- setup -------------------------------------------------------------------------------------
    def configure(self, config: dict[str, Any]) -> None:
        """Take a new (checked) configuration: new data, new network, curves cleared; stays paused."""
        with self.lock:
            self.running = False
            self.config = dict(config)
            c = self.config
            self.X, self.y = make_points(c, c["points"], c["seed"])
            n_val = max(c["points"] // 4, 4)
            self.X_val, self.y_val = make_points(c, n_val, c["seed"] + 1)
            self.reset()

    def reset(self) -> None:
        """New weights from the configured seed, a fresh optimizer, step 0, empty curves; stays paused."""
        with self.lock:
            self.running = False
            c = self.config
            rng = np.random.default_rng(c["seed"])
            self.model, self.loss_fn, self.outputs = build_network(c, rng)
            self.optimizer = _make_optimizer(c, self.model.parameters())
            self.T, self.T_val = _target(c, self.y, self.outputs), _target(c, self.y_val, self.outputs)
            self.order_rng = np.random.default_rng(c["seed"] + 2)
            self.order = self.order_rng.permutation(len(self.X))
            self.cursor = 0
            self.step_count = 0
            self.epoch = 0
            self.curves: dict[str, list] = {"step": [], "loss": [], "val_loss": [], "acc": [], "val_acc": []}
            self.message = None
            self.probe = 0
            self._record()
            self.render()

    # -- training ----------------------------------------------------------------------------------
    def train_step(self) -> float:
        """One optimizer step on the next mini-batch; returns its loss."""
        c = self.config
        if self.cursor >= len(self.order):
            self.order = self.order_rng.permutation(len(self.X))
            self.cursor = 0
            self.epoch += 1
        idx = self.order[self.cursor:self.cursor + c["batch_size"]]
        self.cursor += len(idx)
        self.model.train()
        self.optimizer.zero_grad()
        out = self.model(self.X[idx])
        loss = self.loss_fn(out, self.T[idx])
        self.model.backward(self.loss_fn.backward())
        self.optimizer.step()
        self.step_count += 1
        return float(loss)

    def _evaluate(self, X: np.ndarray, T: np.ndarray, y: np.ndarray) -> tuple[float | None, float]:
        self.model.eval()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverged run says so itself
            out = self.model(X)
            loss = float(self.loss_fn(out, T))
        acc = float((class_probabilities(self.config, out).argmax(1) == y).mean())
        return _finite(loss), acc

    def _record(self) -> None:
        loss, acc = self._evaluate(self.X, self.T, self.y)
        val_loss, val_acc = self._evaluate(self.X_val, self.T_val, self.y_val)
        cv = self.curves
        for key, v in (("step", self.step_count), ("loss", loss), ("val_loss", val_loss), ("acc", acc),
                       ("val_acc", val_acc)):
            cv[key].append(v)
        if len(cv["step"]) > MAX_CURVE:  # thin out two to one, keeping the newest point
            keep = list(range(len(cv["step"]) - 1, -1, -2))[::-1]
            for key in cv:
                cv[key] = [cv[key][i] for i in keep]
        if loss is None and self.message is None:
            self.message = "diverged"
            self.running = False

    def step(self) -> None:
        """One optimizer step (the Step button), recorded and rendered."""
        with self.lock:
            self.running = False
            self._guarded_steps(1)
            self._record()
            self.render()

    def _guarded_steps(self, n: int | None, until: float | None = None) -> None:
        """Up to ``n`` steps (or until the clock reaches ``until``), stopping at the step limit."""
        done = 0
        while (n is None or done < n) and (done == 0 or until is None or time.perf_counter() < until):
            if self.step_count >= LIMITS["max_steps"]:
                self.running = False
                self.message = "step_limit"
                return
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self.train_step()
            done += 1

    def start(self) -> None:
        """Train in the background thread until paused (or diverged, at the step limit, or unwatched)."""
        with self.lock:
            if self.step_count >= LIMITS["max_steps"]:
                self.message = "step_limit"
                self.render()
                return
            self.running = True
            self.message = None
            self.last_seen = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"playground-{self.id}", daemon=True)
                self._thread.start()
            self._wake.set()
            self.render()  # the answer to Start already says "running"

    def pause(self) -> None:
        """Stop training after the current slice; the last frame stays."""
        with self.lock:
            self.running = False
            self.render()

    def close(self) -> None:
        """End the training thread for good (the session was evicted or the server stops)."""
        self._closed = True
        self.running = False
        self._wake.set()

    def _run(self) -> None:
        """The training thread: per frame, up to ``steps_per_frame`` steps, then a frame; 30 frames a second."""
        while not self._closed:
            if not self.running:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            t0 = time.perf_counter()
            with self.lock:
                if not self.running:
                    continue
                if time.monotonic() - self.last_seen > IDLE_PAUSE_S:
                    self.running = False
                    self.message = "idle"
                else:  # leave room in the frame for rendering it
                    until = t0 + max(FRAME_S - 1.5 * self.render_s - 0.004, 0.002)
                    self._guarded_steps(self.steps_per_frame or None, until=until)
                    self._record()
                self.render()
            time.sleep(max(FRAME_S - (time.perf_counter() - t0), 0.001))  # requests take the lock meanwhile

    # -- frames ------------------------------------------------------------------------------------
    def extent(self) -> list[float]:
        """``[xmin, xmax, ymin, ymax]`` of the boundary grid: the data's box with a margin."""
        both = np.concatenate([self.X, self.X_val])
        lo, hi = both.min(axis=0), both.max(axis=0)
        pad = 0.15 * (hi - lo).max() + 1e-3
        return [float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad)]

    def grid_points(self, ext: list[float]) -> np.ndarray:
        """The ``GRID²`` cell centres, row 0 at the top (largest y), as ``(GRID², 2)``."""
        xs = np.linspace(ext[0], ext[1], GRID)
        ys = np.linspace(ext[3], ext[2], GRID)
        gx, gy = np.meshgrid(xs, ys)
        return np.stack([gx.ravel(), gy.ravel()], axis=1)

    def activations_at(self, x: np.ndarray) -> list[list[float]]:
        """Every layer's output for one point: ``[input, after module 0, after module 1, …]``."""
        self.model.eval()
        values = [np.asarray(x, dtype=np.float64)[None]]
        for m in self.model.children():
            values.append(m(values[-1]))
        return [_rounded(v[0], 4) for v in values]

    def render(self) -> None:
        """Build the current frame and publish it (called with the lock held)."""
        t0 = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ext = self.extent()
            self.model.eval()
            P = class_probabilities(self.config, self.model(self.grid_points(ext)))  # (GRID², K)
            cls = P.argmax(axis=1).astype(np.uint8)
            conf = np.nan_to_num(P.max(axis=1) * 255).clip(0, 255).astype(np.uint8)
            layers = []
            for i, m in enumerate(self.model.children()):
                entry: dict[str, Any] = {"index": i, "type": type(m).__name__}
                if isinstance(m, nn.Linear):
                    entry["weight"] = _rounded(m.weight.data, 4)
                    entry["bias"] = _rounded(m.bias.data, 4)
                    g = m.weight.grad
                    entry["weight_grad"] = _rounded(g, 3) if g is not None else None
                    gb = m.bias.grad
                    entry["bias_grad"] = _rounded(gb, 3) if gb is not None else None
                layers.append(entry)
            probe = self.X[self.probe]
            self.frame = {
                "session": self.id,
                "version": self.version + 1,
                "running": self.running,
                "steps_per_frame": self.steps_per_frame,
                "message": self.message,
                "step": self.step_count,
                "epoch": self.epoch,
                "config": self.config,
                "boundary": {
                    "size": GRID,
                    "extent": ext,
                    "classes": base64.b64encode(cls.tobytes()).decode("ascii"),
                    "confidence": base64.b64encode(conf.tobytes()).decode("ascii"),
                },
                "curves": self.curves,
                "network": {"sizes": [2] + list(self.config["hidden"]) + [self.outputs], "layers": layers,
                            "probe": self.probe, "activations": self.activations_at(probe)},
            }
            # encoded once here, not once per listening page; before the version moves, so that a
            # stream that sees the new version also sends the new frame
            self.frame_json = json.dumps(self.frame, allow_nan=False, separators=(",", ":"))
            self.version += 1
        self.render_s = 0.8 * self.render_s + 0.2 * (time.perf_counter() - t0)
        self.publish(self)

    def points(self) -> dict[str, Any]:
        """The training and validation points (sent once per configuration, not with every frame)."""
        return {"train": {"x": _rounded(self.X, 6), "y": self.y.tolist()},
                "val": {"x": _rounded(self.X_val, 6), "y": self.y_val.tolist()}}

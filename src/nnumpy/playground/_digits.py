"""The Digits page's model: a digit drawn in the browser, prepared like MNIST, classified.

The model is either a file the user names (``nnumpy playground --model
file.safetensors``), loaded and checked when the app is built, or the main
job's: the model ``nnumpy train`` trains with no options (784-512-256-10
sigmoid MLP, SGD lr 0.5, cross-entropy, batch 32, 40 epochs on the bundled
``mnist-sample``, 10% held out for validation, seed 0). That one is trained on
first use, in a background thread, with the builders and seeds of
``nnumpy train`` (:mod:`nnumpy.cli._config`), and saved atomically in nnumpy's
cache (``~/.cache/nnumpy/playground/mnist-sample-main.safetensors``) for the
next start. A cache file that is corrupt or was trained for another number of
epochs is trained again, not trusted.

A prediction request carries the canvas as ``{"width", "height", "pixels"}``:
``pixels`` is base64 of ``width * height`` uint8 grayscale values, ink 255 on a
0 background. The picture goes through :func:`nnumpy.cli._imageprep.prepare_glyph`
(crop, scale to 20x20, centre by mass in 28x28), as ``nnumpy predict`` does.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ._schema import RequestError, check_fields, get_int

__all__ = ["DigitsModel", "CACHE_NAME", "SIDE", "CLASSES", "CANVAS_RANGE"]

#: The file, under ``cache_dir()/playground``, that keeps the main job's model.
CACHE_NAME = "mnist-sample-main.safetensors"
#: The side of the square image the model reads, and its number of classes (MNIST).
SIDE, CLASSES = 28, 10
#: Smallest and largest canvas side a request may send, in pixels.
CANVAS_RANGE = (8, 512)
#: Digits after the decimal point of the numbers sent back (3: a heat map needs no more).
_DECIMALS = 3
_DATASET = "mnist-sample"


def _cache_file() -> Path:
    from ..datasets import cache_dir

    return cache_dir() / "playground" / CACHE_NAME


def _layers(model) -> list:
    """The model's top-level layers in order (a Sequential's children; another module is one layer)."""
    from ..nn import Sequential

    return list(model) if isinstance(model, Sequential) else [model]


def _activation_types() -> tuple[type, ...]:
    from ..nn import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh

    return ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus


def _describe(model) -> str:
    """``784-512-256-10 Sigmoid`` for an MLP; else the layer types joined by arrows."""
    from ..nn import Conv2d, Linear

    mods = list(model.modules())
    linears = [m for m in mods if isinstance(m, Linear)]
    acts = [type(m).__name__ for m in mods if isinstance(m, _activation_types())]
    if linears and not any(isinstance(m, Conv2d) for m in mods):
        widths = [linears[0].in_features] + [m.out_features for m in linears]
        return "-".join(map(str, widths)) + (f" {acts[0]}" if acts else "")
    return " → ".join(type(m).__name__ for m in _layers(model))


def _reads_flat(model) -> bool:
    """True when a Linear comes before any Flatten or Conv2d (it reads 784 values); else (1, 28, 28) images."""
    from ..nn import Conv2d, Flatten, Linear

    for layer in _layers(model):
        if isinstance(layer, (Flatten, Conv2d)):
            return False
        if isinstance(layer, Linear):
            return True
    return False


def _model_input(model, field: np.ndarray) -> np.ndarray:
    """``field`` ``(N, 28, 28)`` shaped for the model: ``(N, 784)`` or ``(N, 1, 28, 28)``, in its dtype."""
    from .._inspect import model_dtype

    x = field.reshape(len(field), -1) if _reads_flat(model) else field.reshape(len(field), 1, SIDE, SIDE)
    return x.astype(model_dtype(model), copy=False)


def check_model(model, path: Path, meta: dict[str, str]) -> None:
    """ValueError naming ``path`` unless ``model`` reads 28x28 images and outputs 10 classes."""
    from ..nn import Conv2d, Linear

    expected = ("the Digits page needs a model that reads 28x28 grayscale images (a first Linear(784, …) or a "
                "Conv2d with 1 input channel) and outputs 10 classes")
    fix = ("train one with `nnumpy train` (mnist-sample by default), or leave out --model to use the main "
           "job's model")
    first = next((m for m in model.modules() if isinstance(m, (Linear, Conv2d))), None)
    got = None
    if first is None:
        got = "it has no Linear or Conv2d layer"
    elif isinstance(first, Linear) and first.in_features != SIDE * SIDE:
        got = (f"its first layer is Linear({first.in_features}, {first.out_features}), "
               f"which reads {first.in_features} values")
    elif isinstance(first, Conv2d) and first.in_channels != 1:
        got = f"its first layer is a Conv2d with {first.in_channels} input channels"
    if got is None and "input_shape" in meta:
        try:
            shape = [int(v) for v in json.loads(meta["input_shape"])]
        except (ValueError, TypeError):
            shape = None
        if shape is not None and shape not in ([SIDE * SIDE], [SIDE, SIDE], [1, SIDE, SIDE]):
            got = f"it was trained on inputs of shape {shape}"
    if got is None:
        try:
            out = model(_model_input(model, np.zeros((1, SIDE, SIDE), dtype=np.float32)))
        except (ValueError, TypeError, RuntimeError) as e:
            got = f"a 28x28 image does not go through it: {' '.join(str(e).split())}"
        else:
            if np.shape(out) != (1, CLASSES):
                got = f"it outputs shape {list(np.shape(out)[1:])} per image"
    if got is not None:
        raise ValueError(f"{path}: {expected}; {got}. Fix: {fix}.")


def _decode(body: Any) -> tuple[int, int, np.ndarray]:
    """``(width, height, pixels)`` of a predict request, every field checked (:class:`RequestError`)."""
    if not isinstance(body, dict):
        raise RequestError("request body must be a JSON object {width, height, pixels}", None)
    check_fields(body, ("width", "height", "pixels"))
    for name in ("width", "height", "pixels"):
        if name not in body:
            raise RequestError(f"{name} is missing; send width, height and pixels (base64 of width*height "
                               "grayscale bytes)", name)
    lo, hi = CANVAS_RANGE
    width = get_int(body, "width", 0, lo, hi)
    height = get_int(body, "height", 0, lo, hi)
    text = body["pixels"]
    if not isinstance(text, str):
        raise RequestError(f"pixels must be a base64 string, got {type(text).__name__}", "pixels")
    if len(text) > 4 * (hi * hi // 3 + 1):
        raise RequestError(f"pixels is too long: {len(text):,} characters for at most {hi}x{hi} bytes", "pixels")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise RequestError(f"pixels is not valid base64 ({e}); send the grayscale bytes base64-encoded",
                           "pixels") from None
    if len(raw) != width * height:
        raise RequestError(f"pixels holds {len(raw):,} bytes, expected width x height = {width} x {height} = "
                           f"{width * height:,}", "pixels")
    return width, height, np.frombuffer(raw, dtype=np.uint8).reshape(height, width)


def _progress(owner: "DigitsModel"):
    """A fit callback that reports finished epochs to ``owner`` and stops training when it is closed."""
    from ..train import Callback

    class Progress(Callback):
        def on_batch_end(self, state) -> None:
            if owner._stop.is_set():
                state.stop_training = True

        def on_epoch_end(self, state) -> None:
            with owner._lock:
                owner._epoch = state.epoch + 1

    return Progress()


class DigitsModel:
    """The Digits page's classifier: a named model file, or the main job's model trained on first use.

    Args:
        model: a model file (``nnumpy.save``) to use, loaded and checked now;
            ``None`` (default) for the main job's model, trained on first use.
        cache: the file that keeps the main job's model (default
            ``cache_dir()/playground/mnist-sample-main.safetensors``).
        epochs: epochs to train the main job's model for (default: the main
            job's 40; tests use fewer).

    Raises:
        ValueError: the model file does not read 28x28 images or does not
            output 10 classes (:class:`nnumpy.ModelFileError` when it is
            missing or corrupt); the message names the file and the fix.
    """

    def __init__(self, model: str | Path | None = None, *, cache: Path | None = None, epochs: int | None = None):
        from ..cli._config import DEFAULTS

        self._lock = threading.Lock()  # guards the fields below
        self._run_lock = threading.Lock()  # one forward pass at a time: layers cache their inputs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._model = None
        self._source: str | None = None
        self._accuracy: float | None = None
        self._error: str | None = None
        self._warning: str | None = None
        self._epochs = int(DEFAULTS["epochs"] if epochs is None else epochs)
        if self._epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        self._epoch = 0
        self._cache = Path(cache) if cache is not None else None
        self._description = _describe_main()
        if model is not None:
            from ..cli._data import model_metadata
            from ..io import load

            path = Path(model)
            loaded = load(path)  # ModelFileError names the file when it is missing or corrupt
            check_model(loaded, path, model_metadata(path))
            self._model, self._source, self._description = loaded, "file", _describe(loaded)

    # ------------------------------------------------------------------ the main job's model
    @property
    def cache_file(self) -> Path:
        """Where the main job's model is kept between runs."""
        return self._cache if self._cache is not None else _cache_file()

    def ensure_started(self) -> None:
        """Have a model: the file's, the cached one, or start training the main job's (returns at once)."""
        with self._lock:
            if self._model is not None or self._thread is not None or self._error is not None:
                return
            cached = self._load_cache()
            if cached is not None:
                self._model, self._source, self._epoch = cached, "cache", self._epochs
                return
            self._thread = threading.Thread(target=self._train, name="nnumpy-digits-train", daemon=True)
            self._thread.start()

    def _load_cache(self):
        """The cached model when it is readable, the right shape and trained for ``epochs``; else None."""
        from ..cli._data import model_metadata
        from ..io import load

        path = self.cache_file
        if not path.is_file():
            return None
        try:
            model = load(path)
            meta = model_metadata(path)
            check_model(model, path, meta)
            if meta.get("playground_epochs") != str(self._epochs):
                return None  # trained for another number of epochs: not the model asked for
            acc = meta.get("test_accuracy")
            self._accuracy = float(acc) if acc is not None else None
        except (ValueError, OSError):  # corrupt, truncated or foreign: trained again and overwritten
            return None
        return model

    def _train(self) -> None:
        try:
            model, accuracy = self._fit_main_job()
        except Exception as e:  # the page shows the reason; the server goes on
            with self._lock:
                self._error = f"training the digits model failed: {type(e).__name__}: {' '.join(str(e).split())}"
                self._thread = None
            return
        if model is None:  # stopped by close()
            with self._lock:
                self._thread = None
            return
        warning = None
        try:
            from ..io import save

            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            save(model, self.cache_file, metadata={
                "dataset": _DATASET, "input_shape": json.dumps([1, SIDE, SIDE]), "classes": str(CLASSES),
                "playground_epochs": str(self._epochs), "test_accuracy": repr(accuracy)})
        except (OSError, ValueError) as e:  # a read-only cache: the model still serves, trained again next time
            warning = f"could not keep the model in the cache: {' '.join(str(e).split())}"
        with self._lock:
            self._model, self._source, self._accuracy, self._warning = model, "trained", accuracy, warning
            self._thread = None

    def _fit_main_job(self):
        """``(model, test accuracy)`` trained as ``nnumpy train`` with no options would (seeds included)."""
        from ..cli import _config as C
        from ..cli._data import holdout
        from ..datasets import load
        from ..train import evaluate, fit

        s = copy.deepcopy(C.DEFAULTS)
        # nnumpy train: SeedSequence(seed).spawn(4) -> weights, shuffling, --limit, validation split
        init_ss, shuffle_ss, _limit_ss, val_ss = np.random.SeedSequence(s["seed"]).spawn(4)
        X, y = load(s["dataset"], split="train")
        Xt, yt = load(s["dataset"], split="test")
        keep, held = holdout(len(X), s["val_split"], np.random.default_rng(val_ss))
        dt = np.dtype(s["dtype"])
        spec = C.fill_widths(s["model"], int(np.prod(X.shape[1:])), CLASSES)
        model = C.build_model(spec, s["loss"]["type"], dtype=dt, rng=np.random.default_rng(init_ss))
        loss_fn = C.build_loss(s["loss"], dt)
        optimizer = C.build_optimizer(s["optimizer"], model.parameters())
        history = fit(model, loss_fn, optimizer, (X[keep].astype(dt), y[keep]), epochs=self._epochs,
                      batch_size=s["batch_size"], val=(X[held].astype(dt), y[held]), callbacks=[_progress(self)],
                      rng=np.random.default_rng(shuffle_ss), progress=False, verbose=False)
        if self._stop.is_set():
            return None, None
        if history.stop_reason:
            raise RuntimeError(history.stop_reason)
        model.eval()
        result = evaluate(model, (Xt.astype(dt), yt), loss_fn, batch_size=256)
        return model, float(result["accuracy"])

    def close(self, timeout: float = 10.0) -> None:
        """Stop a training run (after its current batch) and wait for its thread."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for training to end; True when a model is ready."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._model is not None

    # ------------------------------------------------------------------ what the page asks
    def status(self) -> dict[str, Any]:
        """``{ready, training, epoch, epochs, source, accuracy, error, warning, model}`` for the page."""
        with self._lock:
            return {
                "ready": self._model is not None,
                "training": self._thread is not None,
                "epoch": self._epoch if self._source != "file" else None,
                "epochs": self._epochs if self._source != "file" else None,
                "source": self._source,
                "accuracy": None if self._accuracy is None else round(self._accuracy, 4),
                "error": self._error,
                "warning": self._warning,
                "model": self._description,
            }

    def predict(self, body: Any) -> dict[str, Any]:
        """The prepared image, class probabilities, prediction and first activations of a drawn canvas.

        Raises:
            RequestError: a field is missing, unknown or wrong (422, naming it);
                the model is still training (503).
        """
        from ..cli._imageprep import prepare_glyph

        _, _, pixels = _decode(body)
        field, notes, doubts = prepare_glyph(pixels.astype(np.float32) / 255.0, SIDE, invert="no")
        answer: dict[str, Any] = {"image": _rounded(field), "probabilities": None, "prediction": None,
                                  "activations": None, "notes": notes, "doubts": doubts}
        if "almost no ink" in doubts:
            return answer
        self.ensure_started()
        with self._lock:
            model, error, epoch = self._model, self._error, self._epoch
        if model is None:
            if error is not None:
                raise RequestError(f"the digits model is not available: {error}", None, 503)
            raise RequestError(f"the digits model is still training (epoch {epoch} of {self._epochs}); "
                               "try again when the status says it is ready", None, 503)
        with self._run_lock:
            probs, act = _forward(model, _model_input(model, field[None]))
        answer.update(probabilities=[round(float(p), 4) for p in probs], prediction=int(np.argmax(probs)),
                      activations=act)
        return answer


def _describe_main() -> str:
    from ..cli._config import DEFAULT_HIDDEN, DEFAULTS

    act = str(DEFAULTS["model"]["activation"]).capitalize()
    return "-".join(map(str, [SIDE * SIDE, *DEFAULT_HIDDEN, CLASSES])) + f" {act}"


def _rounded(a: np.ndarray) -> list:
    return np.round(a.astype(np.float64), _DECIMALS).tolist()


def _forward(model, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """``(probabilities, first activations)`` of one input ``x`` (batch of 1), layer by layer.

    The activations are the output of the first activation layer after the
    first Linear or Conv2d, or of the first layer when there is none.
    """
    from ..cli._predict import _probabilities
    from ..nn import Conv2d, Linear

    layers = _layers(model)
    seen_weights, picked = False, None
    out = x
    for i, layer in enumerate(layers):
        out = layer(out)
        if picked is None and seen_weights and isinstance(layer, _activation_types()):
            picked = (i, layer, out)
        seen_weights = seen_weights or any(isinstance(m, (Linear, Conv2d)) for m in layer.modules())
    if picked is None:
        picked = (0, layers[0], layers[0](x)) if len(layers) > 1 else (0, layers[0], out)
    i, layer, values = picked
    values = np.asarray(values)[0]
    probs = _probabilities(model, np.asarray(out))[0]
    return probs, {"layer": f"{i}: {type(layer).__name__}", "shape": list(values.shape),
                   "values": _rounded(values.reshape(-1))}

"""``nnumpy predict``: the predicted class and top probabilities of each sample in .npy, IDX or image files."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from .._inspect import model_dtype
from ._config import check_int, first_width
from ._data import dataset_class_names, load_model, model_metadata
from ._errors import EXIT_OK, note, usage_errors
from ._inputs import as_batch, image_input, input_kind, read_array, read_image

__all__ = ["add_parser", "run"]


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``predict`` and its options to the subparsers ``sub``."""
    r = sub.add_parser("predict", parents=parents, help="classify .npy, IDX or image files",
                       description="Print the predicted class and top probabilities for each sample. Images are "
                                   "read as grayscale and prepared as MNIST digits were: inverted when the ink is "
                                   "dark on light, cropped to the ink, the longer side scaled to 20/28 of the "
                                   "model's input, centred by centre of mass; a warning on stderr says when a "
                                   "picture does not look like one centred glyph (needs Pillow: "
                                   "pip install 'nnumpy[image]').")
    r.add_argument("model", help="model file")
    r.add_argument("files", nargs="+", metavar="FILE", help=".npy (one sample or a batch), IDX (.idx, *-ubyte, .gz) or .png/.jpg")
    r.add_argument("--top", type=int, default=3, help="probabilities to show per sample (default 3)")
    r.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert image colours: auto (when the background is light), yes, no")
    r.add_argument("--no-prep", action="store_true",
                   help="no MNIST-style preparation of images: resize the whole picture to the model's input")
    r.set_defaults(func=run)


def _probabilities(model, out: np.ndarray) -> np.ndarray:
    """Class probabilities from the model's output: kept after Softmax, exp after LogSoftmax, else softmax."""
    from ..nn import LogSoftmax, Softmax
    from ..nn.functional import softmax

    last = list(model.modules())[-1]
    out = np.asarray(out, dtype=np.float64)
    if isinstance(last, Softmax):
        return out
    if isinstance(last, LogSoftmax):
        return np.exp(out)
    return softmax(out, axis=-1)


def _image_side(features: int | None, meta: dict[str, str]) -> int:
    """The side of the square image the model reads: from the stored input shape, else sqrt(features)."""
    side = math.isqrt(features) if features else 0
    try:
        shape = json.loads(meta["input_shape"])
        if isinstance(shape, list) and len(shape) >= 2 and int(np.prod(shape)) == features:
            side = int(shape[-1]) if shape[-1] == shape[-2] else side
    except (KeyError, ValueError, TypeError):
        pass
    return side


def _image_shape(meta: dict[str, str]) -> tuple[int, ...] | None:
    """``(C, H, W)`` a model that reads images (a conv net) was trained on, from its metadata; else None."""
    try:
        shape = tuple(int(v) for v in json.loads(meta["input_shape"]))
    except (KeyError, ValueError, TypeError):
        return None
    return shape if len(shape) == 3 and min(shape) >= 1 else None


def _as_images(a: np.ndarray, shape: tuple[int, ...], path: Path) -> np.ndarray:
    """One image or a batch as ``(N, C, H, W)``: any array of a whole number of ``shape``-sized samples."""
    per = math.prod(shape)
    if a.size == 0 or a.size % per:
        c, h, w = shape
        raise ValueError(f"{path} has shape {a.shape}, but the model reads images of shape {shape}: expected "
                         f"{'(' + str(h) + ', ' + str(w) + '), ' if c == 1 else ''}{shape} or (N, {c}, {h}, {w}).")
    return a.reshape(-1, *shape)


def _with_name(c: int, names: list[str] | None) -> str:
    """``3``, or ``9 (Ankle boot)`` where the data set names its classes other than by their index."""
    return f"{c} ({names[c]})" if names is not None and c < len(names) and names[c] != str(c) else str(c)


def run(args) -> int:
    """Predict as ``args`` say; return the exit status."""
    with usage_errors():
        check_int("--top", args.top, 1)
        kinds = [input_kind(Path(name)) for name in args.files]
    model = load_model(args.model)
    model.eval()
    dt = model_dtype(model)
    features = first_width(model)
    meta = model_metadata(args.model)
    images = _image_shape(meta) if features is None else None  # a conv net: (C, H, W)
    side = images[-1] if images else _image_side(features, meta)
    names = dataset_class_names(meta.get("dataset"))
    for name, kind in zip(args.files, kinds):
        path = Path(name)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {name}")
        if not path.is_file():  # a directory, /dev/zero, a pipe: not something to classify
            raise ValueError(f"cannot read {name}: not a regular file (a directory, device or pipe).")
        notes: list[str] = []
        if kind == "image":
            if images is not None:
                if images[0] != 1 or images[1] != images[2]:
                    raise ValueError(f"{name}: the model reads {images} images, not square grey ones; "
                                     "pass a .npy array.")
            elif not features or side * side != features:
                raise ValueError(f"{name}: the model reads {features} features, not a square image; pass a .npy array.")
            a, doubts = image_input(read_image(path), side, args.invert, not args.no_prep, notes)
            if doubts:
                note(f"warning: {name} does not look like one centred glyph ({'; '.join(doubts)}): "
                     "the prediction is a guess")
        else:
            a = read_array(path, kind, notes)
        X = (_as_images(a, images, path) if images else as_batch(a, features, path)).astype(dt, copy=False)
        if not np.isfinite(X).all():
            raise ValueError(f"{name} contains NaN or infinity.")
        probs = _probabilities(model, model(X))
        for remark in notes:
            print(f"{name}: {remark}")
        k = min(args.top, probs.shape[1])
        for i, row in enumerate(probs):
            order = np.argsort(-row, kind="stable")[:k]
            label = name if len(probs) == 1 else f"{name}[{i}]"
            top = "  ".join(f"{int(c)}: {row[c]:.3f}" for c in order)
            print(f"{label}: class {_with_name(int(order[0]), names)}  (p={row[order[0]]:.3f})   top-{k}  {top}")
    return EXIT_OK

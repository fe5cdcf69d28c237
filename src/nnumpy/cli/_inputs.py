"""The files ``nnumpy predict`` reads: .npy arrays, IDX files and images, as ``(N, features)`` batches."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ._errors import one_line
from ._imageprep import dark_on_light, prepare_glyph

__all__ = ["input_kind", "read_image", "image_input", "read_array", "as_batch"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")

#: Largest picture predict decodes (pixels): a digit photo is a few megapixels; a crafted header
#: must not make Pillow allocate gigabytes (its own bomb check starts at 89 M pixels, as a warning).
MAX_IMAGE_PIXELS = 50_000_000


def check_regular(path: Path, what: str, limit: int | None = None) -> int:
    """The size of ``path`` after checking it is a regular file (not /dev/zero, a pipe) of at most ``limit`` bytes."""
    import os
    import stat

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(2, "No such file or directory", str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"cannot read {path}: not a regular file (a directory, device or pipe), expected {what}.")
    if limit is not None and st.st_size > limit:
        raise ValueError(f"cannot read {path}: {st.st_size} bytes is more than the {limit}-byte limit for {what}.")
    return st.st_size


def input_kind(path: Path) -> str:
    """``'npy'``, ``'image'`` or ``'idx'``, from the file name; ValueError when it says none of them."""
    name = path.name.lower()
    if name.endswith(".npy"):
        return "npy"
    if name.endswith(_IMAGE_SUFFIXES):
        return "image"
    if name.endswith((".idx", ".gz")) or "-ubyte" in name or ".idx" in name:
        return "idx"
    raise ValueError(
        f"cannot tell the format of {path}: expected .npy, IDX (.idx, *-ubyte, .gz) or an image (.png, .jpg)."
    )


def read_image(path: Path) -> np.ndarray:
    """A picture as an ``(H, W)`` float32 grayscale array in [0, 1] (0 black); transparency becomes white paper."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"reading {path.name} needs Pillow: pip install 'nnumpy[image]'") from None
    check_regular(path, "an image")
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise ValueError(
                    f"cannot read image {path}: {img.width}x{img.height} pixels is more than {MAX_IMAGE_PIXELS}; "
                    "resize it first."
                )
            img.load()
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, rgba)
            return np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except (OSError, SyntaxError, EOFError, IndexError, TypeError, Image.DecompressionBombError) as e:
        # Pillow reports a damaged file with any of these (SyntaxError: "broken PNG file").
        raise ValueError(f"cannot read image {path}: {one_line(e) if str(e) else type(e).__name__}") from None
    except ValueError as e:
        if str(e).startswith("cannot read image"):
            raise
        raise ValueError(f"cannot read image {path}: {one_line(e)}") from None


def image_input(a: np.ndarray, side: int, invert: str, prep: bool, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """The ``(side, side)`` input for a picture ``a``; remarks go to ``notes``. Returns ``(input, doubts)``.

    With ``prep``, the MNIST-style preparation of ``_imageprep``; without, the
    whole picture resized to ``side x side`` and, as ``invert`` says, inverted
    when its background is light. ``doubts`` says why the picture may not be one
    centred glyph (only with ``prep``).
    """
    if prep:
        field, prep_notes, doubts = prepare_glyph(a, side, invert)
        notes += prep_notes
        return field, doubts
    if a.shape != (side, side):
        from PIL import Image

        resample = getattr(Image, "Resampling", Image).BILINEAR
        notes.append(f"resized {a.shape[1]}x{a.shape[0]} -> {side}x{side}")
        img = Image.fromarray(np.ascontiguousarray(a, dtype=np.float32))
        a = np.asarray(img.resize((side, side), resample), dtype=np.float32)
    if invert == "yes" or (invert == "auto" and dark_on_light(a)):
        a = 1.0 - a
        notes.append("inverted (white background; the model expects a light digit on black)"
                     if invert == "auto" else "inverted (--invert yes)")
    return a, []


def read_array(path: Path, kind: str, notes: list[str]) -> np.ndarray:
    """A .npy or IDX file as a float array (uint8 pixels scaled to [0, 1]); remarks go to ``notes``."""
    if kind == "npy":
        check_regular(path, "a .npy file")
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):  # np.load would call anything else a pickle
            raise ValueError(f"cannot read {path}: not a .npy file (it does not start with NumPy's magic bytes).")
        try:
            # mmap: a header declaring more than the file holds fails here, before any allocation
            a = np.load(path, allow_pickle=False, mmap_mode="r")
            a = np.array(a) if isinstance(a, np.ndarray) else a
        except (ValueError, OSError, EOFError) as e:
            raise ValueError(f"cannot read {path}: {one_line(e)}") from None
        if not isinstance(a, np.ndarray):
            raise ValueError(f"{path} holds several arrays (.npz); save one array with np.save.")
    else:
        from ..datasets import read_idx

        a = read_idx(path)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{path} holds {a.dtype} values; expected numbers.")
    if a.dtype == np.uint8:
        notes.append("uint8 pixels scaled to [0, 1]")
        return a.astype(np.float32) / 255.0
    return a.astype(np.float32) if a.dtype.kind != "f" else a


def as_batch(a: np.ndarray, features: int | None, path: Path) -> np.ndarray:
    """One sample or a batch, as (N, features)."""
    if features is None:
        return a[None] if a.ndim <= 1 else a
    if a.size == features:
        return a.reshape(1, features)
    if a.ndim >= 2 and int(np.prod(a.shape[1:])) == features:
        return a.reshape(a.shape[0], features)
    side = math.isqrt(features)
    example = f"({side}, {side}), (N, {features}) or (N, 1, {side}, {side})" if side * side == features else f"({features},) or (N, {features})"
    raise ValueError(f"{path} has shape {a.shape}, but the model reads {features} values per sample: expected {example}.")

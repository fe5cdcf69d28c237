"""MNIST-style preparation of a picture of one glyph, for ``nnumpy predict``.

MNIST digits were made this way (LeCun, Cortes, Burges, "The MNIST database"):
each was scaled, keeping its aspect ratio, to fit a 20x20 box, then pasted
into a 28x28 field so that its centre of mass lies at the centre. The bundled
test digits agree: their centre of mass averages (14.0, 14.0) in pixel
indices, std 0.3. A digit drawn in a corner of a large canvas reaches the
model in the same form only after the same steps, which :func:`prepare_glyph`
takes on a grayscale array:

1. polarity: MNIST ink is light on black; a light border (median above 0.5)
   means dark ink on light paper, which is inverted;
2. background: the border's median is subtracted and the ink rescaled to
   peak at 1, so grey paper and pencil become black and white;
3. crop to the ink (pixels above a fifth of the peak);
4. scale the longer side to ``round(side * 20 / 28)`` pixels (20 for 28x28),
   with Pillow's antialiasing;
5. paste into ``side x side`` with the centre of mass at ``side / 2``.

It also says when the picture does not look like one centred glyph, since a
prediction is then a guess: almost no ink, or ink touching every border (a
photo, a texture, the wrong polarity). How much of the picture the ink covers
is no sign: a thick digit drawn to fill its canvas covers more than half.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dark_on_light", "prepare_glyph", "BOX_SHARE", "INK_LEVEL"]

#: The glyph's longer side over the field's side: MNIST's 20 px box in 28 px.
BOX_SHARE = 20 / 28
#: A pixel is ink when it reaches this share of the brightest ink (after the background is removed).
INK_LEVEL = 0.2
#: Below this peak (after the background is removed) the picture holds no ink worth the name.
_MIN_PEAK = 0.15
#: Less than this share of the pixels as ink reads as "almost no ink".
_MIN_INK = 0.0005


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def dark_on_light(a: np.ndarray) -> bool:
    """True when the picture's border (its background) is light: the median border pixel is above 0.5."""
    return float(np.median(_border(a))) > 0.5


def _resize(a: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    resample = getattr(Image, "Resampling", Image).LANCZOS
    img = Image.fromarray(np.ascontiguousarray(a, dtype=np.float32))
    return np.clip(np.asarray(img.resize((width, height), resample), dtype=np.float32), 0.0, 1.0)


def _paste_centred(glyph: np.ndarray, side: int) -> np.ndarray:
    """``glyph`` in a ``side x side`` field, shifted so its centre of mass sits at ``side / 2`` (kept inside)."""
    h, w = glyph.shape
    mass = glyph.sum()
    rows, cols = np.arange(h), np.arange(w)
    cy = float((glyph.sum(axis=1) * rows).sum() / mass) if mass > 0 else (h - 1) / 2
    cx = float((glyph.sum(axis=0) * cols).sum() / mass) if mass > 0 else (w - 1) / 2
    top = min(max(int(round(side / 2 - cy)), 0), side - h)
    left = min(max(int(round(side / 2 - cx)), 0), side - w)
    field = np.zeros((side, side), dtype=np.float32)
    field[top:top + h, left:left + w] = glyph
    return field


def prepare_glyph(a: np.ndarray, side: int, invert: str = "auto") -> tuple[np.ndarray, list[str], list[str]]:
    """Turn a grayscale picture of one glyph into an MNIST-style ``(side, side)`` field.

    Args:
        a: ``(H, W)`` grayscale values in [0, 1] (0 black), any size.
        side: the side of the square field the model reads (28 for MNIST).
        invert: ``'auto'`` (invert dark ink on light paper), ``'yes'`` or ``'no'``.

    Returns:
        ``(field, notes, doubts)``: the field, light ink on black in [0, 1];
        what was done, for the reader; why the picture may not be one centred
        glyph (empty when it looks like one).

    Example:
        >>> a = np.ones((100, 60)); a[10:50, 5:15] = 0.0     # a dark bar near a corner of white paper
        >>> field, notes, doubts = prepare_glyph(a, 28)
        >>> field.shape, doubts
        ((28, 28), [])
        >>> [int(i) for i in np.argwhere(field > 0.5).mean(axis=0).round()]   # centred
        [14, 14]
    """
    a = np.asarray(a, dtype=np.float32)
    notes: list[str] = []
    if invert == "yes" or (invert == "auto" and dark_on_light(a)):
        a = 1.0 - a
        notes.append("inverted (dark on light; the model expects light on black)" if invert == "auto"
                     else "inverted (--invert yes)")
    background = float(np.median(_border(a)))
    ink = np.clip(a - background, 0.0, None) / max(1.0 - background, 1e-6)  # (H, W), background at 0
    peak = float(ink.max())
    mask = ink > INK_LEVEL * peak if peak > 0 else np.zeros(ink.shape, dtype=bool)
    share = float(mask.mean())
    if peak < _MIN_PEAK or share < _MIN_INK:
        return np.zeros((side, side), dtype=np.float32), notes, ["almost no ink"]
    doubts = []
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if top == 0 and left == 0 and bottom == a.shape[0] and right == a.shape[1]:
        doubts.append("ink touches every border")
    glyph = ink[top:bottom, left:right] / peak
    box = max(1, round(side * BOX_SHARE))
    h, w = glyph.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    glyph = _resize(glyph, *size)
    notes.append(f"cropped to the ink ({w}x{h}), scaled to {size[0]}x{size[1]}, "
                 f"centred by mass in {side}x{side}")
    return _paste_centred(glyph, side), notes, doubts

"""``inspect``: what a model, weights or checkpoint file holds, without building anything."""

from __future__ import annotations

from typing import Any

from ._checkpoint import CHECKPOINT_KEYS, model_tensor_names
from ._format import KEY_FORMAT_VERSION, KEY_VERSION, RawFile, file_error, read_file, strict_json
from ._model import (
    CHECKPOINT_FORMAT,
    KEY_ARCH,
    KEY_DTYPE,
    KEY_NUM_PARAMS,
    MODEL_FORMAT,
    MODEL_KEYS,
    STATE_FORMAT,
    STATE_KEYS,
    parse_architecture,
    required,
)

__all__ = ["inspect"]


def inspect(path) -> dict[str, Any]:
    """Describe a model, weights or checkpoint file without building the model.

    The file is fully validated (structure and checksums), so ``inspect``
    also answers "is this file intact?".

    Args:
        path: any safetensors file.

    Returns:
        A dict with ``path``, ``format`` (``'nnumpy.model'``,
        ``'nnumpy.state'``, ``'nnumpy.checkpoint'`` or ``'safetensors'`` for
        foreign files), ``format_version``, ``nnumpy_version``, ``dtype``,
        ``architecture`` (or ``None``), ``num_parameters`` (trainable values;
        ``None`` for foreign files), ``num_values`` (all tensor elements),
        ``tensors`` (name -> ``{'dtype', 'shape'}``), ``metadata`` (the user's
        entries), ``file_size``; checkpoints add ``epoch`` and ``step``.

    Example:
        >>> info = nnumpy.io.inspect("model.safetensors")  # doctest: +SKIP
        >>> info["architecture"]["type"], info["num_parameters"]  # doctest: +SKIP
        ('Sequential', 8)
    """
    raw = read_file(path)
    raw.verify()
    meta = raw.metadata
    fmt = raw.format
    info: dict[str, Any] = {"path": str(raw.path), "format": fmt or "safetensors"}
    if fmt is None:
        floats = sorted({e["dtype"] for e in raw.tensor_info().values() if e["dtype"].startswith("float")})
        info.update(format_version=None, nnumpy_version=None, dtype=floats[0] if len(floats) == 1 else ("mixed" if floats else None))
        info.update(architecture=None, num_parameters=None, metadata=dict(meta))
    else:
        keys = {MODEL_FORMAT: MODEL_KEYS, STATE_FORMAT: STATE_KEYS, CHECKPOINT_FORMAT: CHECKPOINT_KEYS}.get(fmt)
        if keys is None:
            raise file_error(raw.path, f"unknown nnumpy format tag {fmt[:40]!r}")
        required(raw, keys)
        names = model_tensor_names(raw) if fmt == CHECKPOINT_FORMAT else list(raw.entries)
        arch_text = meta.get(KEY_ARCH, "null")
        arch = None if arch_text == "null" else parse_architecture(raw, arch_text, raw.num_values(names))
        info.update(
            format_version=int(meta[KEY_FORMAT_VERSION]),
            nnumpy_version=meta[KEY_VERSION],
            dtype=meta[KEY_DTYPE],
            architecture=arch,
            num_parameters=_count(raw, meta[KEY_NUM_PARAMS]),
            metadata={k: v for k, v in meta.items() if k not in keys},
        )
        if fmt == CHECKPOINT_FORMAT:
            for key in ("epoch", "step"):
                info[key] = _count(raw, meta[key])
    info.update(num_values=raw.num_values(), tensors=raw.tensor_info(), file_size=len(raw.data))
    return info


def _count(raw: RawFile, text: str) -> int:
    value = strict_json(text, raw.path, "a count")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise file_error(raw.path, f"corrupt: expected a count, got {text[:40]!r}")
    return value

"""Model files: ``save``/``load`` (architecture + weights), ``save_state``/``load_state`` (weights only), ``inspect``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._random import as_generator
from ..errors import ModelFileError
from ..nn import Module
from ..nn._module import resolve_dtype
from ._architecture import build, check, check_model, describe
from ._format import (
    BASE_KEYS,
    RawFile,
    file_error,
    read_file,
    strict_json,
    write_file,
)

__all__ = ["save", "load", "save_state", "load_state"]

MODEL_FORMAT = "nnumpy.model"
STATE_FORMAT = "nnumpy.state"
CHECKPOINT_FORMAT = "nnumpy.checkpoint"
KEY_ARCH = "architecture"
KEY_DTYPE = "dtype"
KEY_NUM_PARAMS = "num_parameters"
STATE_KEYS = BASE_KEYS + (KEY_DTYPE, KEY_NUM_PARAMS)
MODEL_KEYS = STATE_KEYS + (KEY_ARCH,)


# ---------------------------------------------------------------------------- helpers shared with checkpoints
def model_tensors(model: Module, path) -> dict[str, np.ndarray]:
    """``model.state_dict()``, refusing non-finite values (``load_state_dict`` would reject the file)."""
    state = model.state_dict()
    for name, arr in state.items():
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ModelFileError(
                f"refusing to write {path}: {name!r} contains NaN or infinity, and nnumpy refuses to load such "
                "weights; save an earlier, finite state instead."
            )
    return state


def model_metadata(model: Module, state: Mapping[str, np.ndarray], arch: dict | None, path) -> dict[str, str]:
    """The architecture (checked as the loader will check it), dtype and parameter count as metadata."""
    floats = {a.dtype.name for a in state.values() if a.dtype.kind == "f"}
    meta = {
        KEY_DTYPE: floats.pop() if len(floats) == 1 else ("mixed" if floats else "float32"),
        KEY_NUM_PARAMS: str(sum(p.size for p in model.parameters())),
    }
    if arch is not None:
        try:
            check(arch, path, tensor_values=sum(a.size for a in state.values()))
        except ModelFileError as err:
            raise ModelFileError(f"cannot save {path}: its architecture would not load back ({err})") from None
        meta[KEY_ARCH] = json.dumps(arch)
    return meta


def parse_architecture(raw: RawFile, text: str, tensor_values: int) -> dict[str, Any]:
    """Parse and check the architecture JSON of ``raw``."""
    arch = strict_json(text, raw.path, "architecture", allow_nan=True)
    check(arch, raw.path, tensor_values=tensor_values)
    return arch


def required(raw: RawFile, keys) -> dict[str, str]:
    missing = [k for k in keys if k not in raw.metadata]
    if missing:
        raise file_error(raw.path, f"corrupt: metadata lacks {missing}")
    return raw.metadata


def load_arrays(model: Module, arrays: Mapping[str, np.ndarray], path, *, strict: bool, exact: bool) -> Module:
    """``model.load_state_dict(arrays)`` with file errors; ``exact`` also requires matching dtypes."""
    if exact:
        expected = {n: p.data.dtype for n, p in model.named_parameters()}
        expected.update((n, np.asarray(b).dtype) for n, b in model.named_buffers())
        for name, arr in arrays.items():
            if name in expected and arr.dtype != expected[name]:
                raise file_error(path, f"tensor {name!r} is {arr.dtype} but the architecture builds {expected[name]}")
    try:
        model.load_state_dict(arrays, strict=strict)
    except ValueError as err:
        raise file_error(path, f"its tensors do not fit {type(model).__name__}: {err}") from None
    return model


def build_model(arch: dict[str, Any], arrays: Mapping[str, np.ndarray], path, rng, owner: str) -> Module:
    """Build ``arch`` (already checked) and load ``arrays`` into it, dtypes included."""
    gen = None if rng is None else as_generator(rng, owner)
    return load_arrays(build(arch, path, rng=gen), arrays, path, strict=True, exact=True)


def _user_metadata(metadata: Mapping[str, str] | None, reserved, owner: str) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"The 'metadata' parameter of {owner} must be a dict of str -> str. Got {type(metadata).__name__} instead.")
    out = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"The 'metadata' parameter of {owner} must map str to str. Got {key!r}: {value!r:.80}.")
        if key in reserved or key == "__metadata__":
            raise ValueError(f"metadata key {key!r} is reserved by nnumpy (reserved: {sorted(reserved)}); pick another name.")
        out[key] = value
    return out


# ---------------------------------------------------------------------------- public API
def save(model: Module, path, *, metadata: Mapping[str, str] | None = None) -> Path:
    """Save a model built from nnumpy's layers: architecture, weights and buffers, atomically.

    The file is safetensors: tensors under PyTorch's ``state_dict`` names
    (``0.weight``, ``1.running_mean``), so ``safetensors.torch.load_file``
    + ``load_state_dict`` fill the same architecture in PyTorch. The metadata
    holds the architecture as JSON, the format tag ``nnumpy.model``, the
    nnumpy version, the dtype, the parameter count and sha256 checksums of
    the tensors and of the metadata. The file is written to a temp file in
    the same directory, fsynced and renamed over ``path``: a reader sees the
    old file or the new one, never a mix.

    Args:
        model: a module made only of the layers in ``nnumpy.nn.LAYERS``.
        path: destination file (conventionally ``*.safetensors``).
        metadata: extra ``str -> str`` entries stored in the header
            (default ``None``); names used by nnumpy are refused.

    Returns:
        ``pathlib.Path(path)``.

    Raises:
        nnumpy.ModelFileError: a layer is not built into nnumpy (use
            :func:`save_state`), or a weight is NaN/infinite.
        TypeError: ``model`` is not a Module (a loss is not a model).

    Example:
        >>> import tempfile, os, numpy as np, nnumpy
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU())
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> _ = nnumpy.save(model, path)
        >>> same = nnumpy.load(path)
        >>> bool(np.array_equal(same[0].weight.data, model[0].weight.data))
        True
    """
    check_model(model, "nnumpy.save")
    arch = describe(model)
    state = model_tensors(model, path)
    meta = _user_metadata(metadata, MODEL_KEYS, "nnumpy.save")
    meta.update(model_metadata(model, state, arch, path))
    return write_file(path, state, meta, MODEL_FORMAT)


def load(path, *, dtype=None, rng=None) -> Module:
    """Rebuild a model saved by :func:`save`, checking the file before trusting any of it.

    The header is validated before anything is allocated (declared sizes,
    dtypes, shapes and offsets against the real file size), both checksums
    are verified, and the architecture is data checked against an
    allow-list: only classes in ``nnumpy.nn.LAYERS`` are called, only with
    their own argument names and JSON scalar values. Nothing is imported or
    evaluated. The model is returned in eval mode (Dropout off, BatchNorm on
    its running statistics), ready for inference; call ``.train()`` on it to
    train it further.

    Args:
        path: a file written by :func:`save`.
        dtype: convert the model to float32 or float64 after loading
            (default ``None``: keep the file's dtype).
        rng: seed or Generator given to layers that draw random numbers
            (Dropout masks; default ``None``: fresh OS entropy).

    Returns:
        The model in eval mode, weights and buffers bit-identical to the saved ones.

    Raises:
        nnumpy.ModelFileError: missing, truncated, corrupt or crafted file,
            unknown layer type or argument, checksum mismatch; the message
            names the file and the problem.

    Example:
        >>> import nnumpy
        >>> model = nnumpy.load("model.safetensors")  # doctest: +SKIP
        >>> model(x)  # doctest: +SKIP
    """
    dt = None if dtype is None else resolve_dtype(dtype, "nnumpy.load")
    raw = read_file(path)
    raw.verify(MODEL_FORMAT)
    meta = required(raw, MODEL_KEYS)
    arch = parse_architecture(raw, meta[KEY_ARCH], raw.num_values())
    model = build_model(arch, raw.arrays(), raw.path, rng, "nnumpy.load").eval()
    return model if dt is None else model.to(dt)


def save_state(model: Module, path, *, metadata: Mapping[str, str] | None = None) -> Path:
    """Save only the weights and buffers of any model (user-defined layers included), atomically.

    Same container and checksums as :func:`save`, without the architecture:
    load it with :func:`load_state` into a model you build in code.

    Args:
        model: any ``nnumpy.nn.Module``.
        path: destination file.
        metadata: extra ``str -> str`` header entries (default ``None``).

    Returns:
        ``pathlib.Path(path)``.

    Example:
        >>> import tempfile, os, nnumpy
        >>> from nnumpy import nn
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> _ = nnumpy.io.save_state(nn.Linear(2, 2, rng=0), path)
        >>> nnumpy.load_state(nn.Linear(2, 2, rng=1), path).weight.shape
        (2, 2)
    """
    check_model(model, "nnumpy.io.save_state")
    state = model_tensors(model, path)
    meta = _user_metadata(metadata, MODEL_KEYS, "nnumpy.io.save_state")
    meta.update(model_metadata(model, state, None, path))
    return write_file(path, state, meta, STATE_FORMAT)


def load_state(model: Module, path, *, strict: bool = True) -> Module:
    """Load weights and buffers from a safetensors file into ``model`` (in place) and return it.

    Reads files from :func:`save`, :func:`save_state` and
    :func:`~nnumpy.io.save_checkpoint` (its ``model.*`` tensors), and plain
    safetensors state_dicts such as ``safetensors.torch.save_file(torch_model.state_dict(), path)``.
    nnumpy files must pass their checksums; foreign files carry none, so only
    their structure is checked. Values are cast to each parameter's dtype,
    as ``load_state_dict`` does.

    Args:
        model: the module to fill.
        path: the file.
        strict: require the file's names to match the model's exactly
            (default ``True``).

    Returns:
        ``model``.

    Raises:
        nnumpy.ModelFileError: a bad file, or tensors that do not fit ``model``.

    Example:
        >>> import nnumpy
        >>> nnumpy.load_state(my_model, "weights.safetensors")  # doctest: +SKIP
    """
    check_model(model, "nnumpy.load_state")
    raw = read_file(path)
    raw.verify()
    fmt = raw.format
    arrays = raw.arrays()
    if fmt == CHECKPOINT_FORMAT:
        arrays = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
    elif fmt not in (None, MODEL_FORMAT, STATE_FORMAT):
        raise file_error(raw.path, f"unknown nnumpy format tag {fmt[:40]!r}")
    return load_arrays(model, arrays, raw.path, strict=strict, exact=False)

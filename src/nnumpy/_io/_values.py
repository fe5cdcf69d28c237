"""Exact JSON encoding of checkpoint fields (optimizer and scheduler state, history, RNG state).

Plain JSON loses three things a training state holds: tuples (Adam's
``betas``), integer dict keys (the optimizer's parameter indices) and arrays.
They are written as one-key tagged objects and restored exactly:

- ``(a, b)`` → ``{"__tuple__": [a, b]}``
- a dict with int keys (or a key that looks like a tag) → ``{"__dict__": [[k, v], ...]}``
- an array → ``{"__tensor__": "<name>"}``, the array itself stored as a tensor in the file

Python ints of any size (NumPy's ``bit_generator.state``) and floats
(shortest round-trip ``repr``, NaN and ±inf included) are exact in JSON.
NumPy scalars are written as the equal Python scalar.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ._format import check_tensor, file_error

__all__ = ["encode", "decode"]

_TUPLE, _DICT, _TENSOR = "__tuple__", "__dict__", "__tensor__"
_TAGS = (_TUPLE, _DICT, _TENSOR)
MAX_DEPTH = 100


def encode(value: Any, where: str, tensors: dict[str, np.ndarray], array_name: Callable[[tuple], str]) -> Any:
    """Return a JSON-able form of ``value``; arrays are moved into ``tensors``.

    Args:
        value: None, bool, int, float, str, list, tuple, dict (str or int
            keys), NumPy scalar or array, nested up to 100 levels.
        where: the field name, for error messages (``"history"``).
        tensors: receives each array under the name ``array_name(path)``
            (made unique with a ``~n`` suffix).
        array_name: maps the key path of an array to its tensor name.
    """
    return _encode(value, where, (), tensors, array_name)


def _encode(value, where, path, tensors, array_name):
    if len(path) > MAX_DEPTH:
        raise ValueError(f"{where} is nested more than {MAX_DEPTH} levels deep (a cycle?).")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return int(value) if isinstance(value, int) else float(value)
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, np.ndarray):
        name = base = array_name(path)
        n = 1
        while name in tensors:
            name, n = f"{base}~{n}", n + 1
        tensors[name] = check_tensor(f"{where}{_path_text(path)}", value).copy()
        return {_TENSOR: name}
    if isinstance(value, list):
        return [_encode(v, where, path + (i,), tensors, array_name) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v, where, path + (i,), tensors, array_name) for i, v in enumerate(value)]}
    if isinstance(value, Mapping):
        keys = list(value)
        for k in keys:
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(
                    f"cannot store {where}{_path_text(path)}: dict keys must be str or int, got {type(k).__name__} {k!r}."
                )
        items = [(k, _encode(value[k], where, path + (k,), tensors, array_name)) for k in keys]
        if all(isinstance(k, str) and k not in _TAGS for k in keys):
            return dict(items)
        return {_DICT: [[k, v] for k, v in items]}
    raise TypeError(
        f"cannot store {where}{_path_text(path)}: {type(value).__name__} is not one of None, bool, int, float, "
        "str, list, tuple, dict or a NumPy array (pass a state dict, e.g. rng.bit_generator.state)."
    )


def _path_text(path: tuple) -> str:
    return "".join(f"[{k!r}]" for k in path)


def decode(value: Any, path, where: str, tensors: Mapping[str, np.ndarray], used: set[str]) -> Any:
    """Invert :func:`encode` on parsed JSON; ``used`` collects the tensor names referenced.

    Raises:
        nnumpy.ModelFileError: a malformed tag or a reference to a missing tensor.
    """
    return _decode(value, path, where, tensors, used, 0)


def _decode(value, path, where, tensors, used, depth):
    if depth > MAX_DEPTH:
        raise file_error(path, f"'{where}' is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, list):
        return [_decode(v, path, where, tensors, used, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    tags = [k for k in value if k in _TAGS]
    if not tags:
        return {k: _decode(v, path, where, tensors, used, depth + 1) for k, v in value.items()}
    if len(value) != 1:
        raise file_error(path, f"'{where}' holds an object mixing the tag {tags[0]!r} with other keys")
    tag, body = next(iter(value.items()))
    if tag == _TUPLE and isinstance(body, list):
        return tuple(_decode(v, path, where, tensors, used, depth + 1) for v in body)
    if tag == _DICT and isinstance(body, list):
        out: dict = {}
        for pair in body:
            ok = isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
            if not ok or isinstance(pair[0], bool) or pair[0] in out:
                raise file_error(path, f"'{where}' holds a malformed {_DICT} entry")
            out[pair[0]] = _decode(pair[1], path, where, tensors, used, depth + 1)
        return out
    if tag == _TENSOR and isinstance(body, str):
        if body not in tensors or body in used:
            raise file_error(path, f"'{where}' refers to tensor {body[:80]!r}, which is missing or already used")
        used.add(body)
        return tensors[body]
    raise file_error(path, f"'{where}' holds a malformed {tag} tag")

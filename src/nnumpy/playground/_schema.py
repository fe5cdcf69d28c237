"""Validation of the playground's request bodies: every field checked, errors that name it.

A request body is JSON from a browser, so it is read as if typed by hand:
unknown fields, wrong types and values out of bounds are refused with a
:class:`RequestError` that the app turns into a 4xx JSON answer
``{"error": "...", "field": "..."}``, never a traceback.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["RequestError", "parse_json", "check_fields", "get_int", "get_float", "get_choice", "get_bool",
           "get_int_list", "LIMITS", "DATASETS", "ACTIVATIONS", "LOSSES", "OPTIMIZERS", "session_config",
           "DEFAULT_CONFIG"]

#: The bounds that keep one session small: the playground runs on a laptop beside the browser.
LIMITS = {
    "max_hidden_layers": 6,
    "max_width": 32,
    "max_points": 1000,
    "min_points": 10,
    "max_batch_size": 1000,
    "max_classes": 4,
    "max_sessions": 8,
    "max_steps": 200_000,
    "max_body_bytes": 1_000_000,
}

DATASETS = ("xor", "moons", "circles", "spiral", "blobs")
ACTIVATIONS = ("ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU")
LOSSES = ("CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss")
OPTIMIZERS = ("SGD", "Adam", "RMSprop", "Adagrad")

#: What the 2-D page starts with: XOR learned by a 2-16-16-2 tanh network.
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": "xor",
    "points": 200,
    "noise": 0.2,
    "classes": 2,
    "hidden": [16, 16],
    "activation": "Tanh",
    "loss": "CrossEntropyLoss",
    "optimizer": "SGD",
    "lr": 0.1,
    "batch_size": 16,
    "seed": 0,
}


class RequestError(ValueError):
    """A request the playground refuses: ``status`` (400, 404, 413 or 422) and the ``field`` at fault."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status

    def to_json(self) -> dict[str, Any]:
        """The answer's body: ``{"error": message, "field": field}``."""
        return {"error": str(self), "field": self.field}


def parse_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; :class:`RequestError` (400/413/422) when it is not one."""
    if len(body) > LIMITS["max_body_bytes"]:
        raise RequestError(f"request body too large: {len(body):,} bytes, at most {LIMITS['max_body_bytes']:,}",
                           None, 413)
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RequestError(f"request body is not JSON: {e}; send a JSON object", None, 400) from e
    if not isinstance(value, dict):
        raise RequestError(f"request body must be a JSON object, got {type(value).__name__}", None, 422)
    return value


def check_fields(body: dict[str, Any], allowed) -> None:
    """Refuse a field that is not one of ``allowed`` (a typo would otherwise be ignored silently)."""
    for key in body:
        if key not in allowed:
            raise RequestError(f"unknown field {key!r}; expected some of {', '.join(sorted(allowed))}", str(key))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def get_int(body: dict, name: str, default: int, lo: int, hi: int) -> int:
    """``body[name]`` as an int in ``[lo, hi]`` (``default`` when absent)."""
    v = body.get(name, default)
    if not _is_int(v):
        raise RequestError(f"{name} must be an integer, got {json.dumps(v)}", name)
    if not lo <= v <= hi:
        raise RequestError(f"{name} must be between {lo} and {hi}, got {v}", name)
    return v


def get_float(body: dict, name: str, default: float, lo: float, hi: float, *, open_lo: bool = False) -> float:
    """``body[name]`` as a finite float in ``[lo, hi]`` (``(lo, hi]`` with ``open_lo``)."""
    v = body.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise RequestError(f"{name} must be a finite number, got {json.dumps(v)}", name)
    if (v <= lo if open_lo else v < lo) or v > hi:
        raise RequestError(f"{name} must be in {'(' if open_lo else '['}{lo}, {hi}], got {v}", name)
    return float(v)


def get_choice(body: dict, name: str, default: str, choices) -> str:
    """``body[name]`` as one of ``choices``."""
    v = body.get(name, default)
    if v not in choices:
        raise RequestError(f"{name} must be one of {', '.join(choices)}, got {json.dumps(v)}", name)
    return v


def get_bool(body: dict, name: str, default: bool) -> bool:
    """``body[name]`` as a JSON boolean."""
    v = body.get(name, default)
    if not isinstance(v, bool):
        raise RequestError(f"{name} must be true or false, got {json.dumps(v)}", name)
    return v


def get_int_list(body: dict, name: str, default: list[int], max_len: int, lo: int, hi: int) -> list[int]:
    """``body[name]`` as a list of at most ``max_len`` ints in ``[lo, hi]``."""
    v = body.get(name, default)
    if not isinstance(v, list) or not all(_is_int(i) for i in v):
        raise RequestError(f"{name} must be a list of integers, got {json.dumps(v)}", name)
    if len(v) > max_len:
        raise RequestError(f"{name} may hold at most {max_len} layers, got {len(v)}", name)
    for i in v:
        if not lo <= i <= hi:
            raise RequestError(f"each of {name} must be between {lo} and {hi}, got {i}", name)
    return list(v)


def session_config(body: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A full, checked 2-D session configuration: ``body``'s fields over ``base`` (default :data:`DEFAULT_CONFIG`)."""
    base = dict(DEFAULT_CONFIG if base is None else base)
    check_fields(body, DEFAULT_CONFIG)
    merged = {**base, **body}
    c = {
        "dataset": get_choice(merged, "dataset", "xor", DATASETS),
        "points": get_int(merged, "points", 200, LIMITS["min_points"], LIMITS["max_points"]),
        "noise": get_float(merged, "noise", 0.2, 0.0, 2.0),
        "classes": get_int(merged, "classes", 2, 2, LIMITS["max_classes"]),
        "hidden": get_int_list(merged, "hidden", [16, 16], LIMITS["max_hidden_layers"], 1, LIMITS["max_width"]),
        "activation": get_choice(merged, "activation", "Tanh", ACTIVATIONS),
        "loss": get_choice(merged, "loss", "CrossEntropyLoss", LOSSES),
        "optimizer": get_choice(merged, "optimizer", "SGD", OPTIMIZERS),
        "lr": get_float(merged, "lr", 0.1, 0.0, 10.0, open_lo=True),
        "batch_size": get_int(merged, "batch_size", 16, 1, LIMITS["max_batch_size"]),
        "seed": get_int(merged, "seed", 0, 0, 2**31 - 1),
    }
    if c["dataset"] in ("xor", "moons", "circles") and c["classes"] != 2:
        raise RequestError(f"classes must be 2 for the {c['dataset']} data set, got {c['classes']}; "
                           "spiral and blobs take 2 to 4", "classes")
    if c["loss"] == "BCEWithLogitsLoss" and c["classes"] != 2:
        raise RequestError(f"loss BCEWithLogitsLoss needs 2 classes, got {c['classes']}; "
                           "use CrossEntropyLoss or MSELoss", "loss")
    return c

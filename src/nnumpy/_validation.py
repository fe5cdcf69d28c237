"""Hyper-parameter checks shared by every layer, loss and optimizer.

One message form everywhere (after scikit-learn's parameter validation):
``The 'lr' parameter of SGD must be a float > 0. Got -0.1 instead.``
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable

import numpy as np

__all__ = ["check_float", "check_int", "check_choice", "check_bool", "check_shape", "param_error"]


def param_error(owner: str, name: str, expected: str, value: Any, exc: type = ValueError) -> Exception:
    """Build the standard error for parameter ``name`` of ``owner``."""
    return exc(f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead.")


def _bounds_text(gt, ge, lt, le) -> str:
    lo = f"> {gt}" if gt is not None else (f">= {ge}" if ge is not None else None)
    hi = f"< {lt}" if lt is not None else (f"<= {le}" if le is not None else None)
    if lo and hi:
        left = "(" if gt is not None else "["
        right = ")" if lt is not None else "]"
        a = gt if gt is not None else ge
        b = lt if lt is not None else le
        return f" in {left}{a}, {b}{right}"
    if lo:
        return f" {lo}"
    if hi:
        return f" {hi}"
    return ""


def check_float(owner: str, name: str, value: Any, *, gt=None, ge=None, lt=None, le=None, allow_inf=False) -> float:
    """Return ``value`` as a Python float after checking type and bounds.

    Bools are refused (``True`` is not a learning rate). NaN fails every bound,
    and ±infinity is refused unless ``allow_inf`` (an infinite learning rate,
    slope or epsilon turns every weight into NaN at the first step).
    """
    expected = "a float" + _bounds_text(gt, ge, lt, le)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise param_error(owner, name, expected, value, TypeError)
    v = float(value)
    if not allow_inf and v in (float("inf"), float("-inf")):
        raise param_error(owner, name, "a finite float" + _bounds_text(gt, ge, lt, le), value)
    if (
        v != v
        or (gt is not None and not v > gt)
        or (ge is not None and not v >= ge)
        or (lt is not None and not v < lt)
        or (le is not None and not v <= le)
    ):
        raise param_error(owner, name, expected, value)
    return v


def check_int(owner: str, name: str, value: Any, *, ge=None, gt=None, le=None) -> int:
    """Return ``value`` as a Python int after checking type and bounds."""
    expected = "an int" + _bounds_text(gt, ge, None, le)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise param_error(owner, name, expected, value, TypeError)
    v = int(value)
    if (ge is not None and v < ge) or (gt is not None and v <= gt) or (le is not None and v > le):
        raise param_error(owner, name, expected, value)
    return v


def check_choice(owner: str, name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        text = "one of " + ", ".join(repr(c) for c in choices)
        raise param_error(owner, name, text, value)
    return value


def check_bool(owner: str, name: str, value: Any) -> bool:
    """Check that ``value`` is a bool (or NumPy bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise param_error(owner, name, "a bool", value, TypeError)
    return bool(value)


def check_shape(owner: str, name: str, value: Any, example: str) -> tuple[int, ...]:
    """Return ``value`` as a tuple of Python ints after checking it is a non-empty shape, every size >= 1.

    ``example`` is a shape shown in the message, e.g. ``"(4, 3)"``.
    """
    try:
        dims = tuple(value)
    except TypeError:
        raise param_error(owner, name, f"a tuple of ints, batch first, such as {example}", value, TypeError) from None
    if not dims or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1 for d in dims):
        raise param_error(owner, name, f"a non-empty tuple of ints >= 1, batch first, such as {example}", value)
    return tuple(int(d) for d in dims)

"""``run.toml``: every resolved setting of a ``nnumpy train`` run, written so the run can be replayed.

The file is a ``--config`` file (see ``_config``) with nothing left to a
default: the optimizer, loss and scheduler tables list every argument their
constructor has a TOML-writable default for (``lr = 0.5``, ``momentum = 0.0``,
...), and the model its widths. ``nnumpy train --config runs/<run>/run.toml``
therefore builds the same run even if a default changes later; with the same
nnumpy, NumPy and BLAS thread count the weights come out bit for bit equal.
``[run]`` records what the settings do not say (library versions, the sizes of
the train, validation and test splits); a replay reads only its versions, to
say when they differ. ``--resume`` reads the settings back from the same file.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
import platform
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._version import __version__
from . import _config as C
from ._errors import note
from ._rundir import RUN_FILE

__all__ = ["run_document", "dumps_toml", "saved_settings", "version_note"]


# ---------------------------------------------------------------------------- the document
def _writable(value: Any) -> bool:
    """True for what TOML can hold: numbers, strings, booleans and lists of them (no None)."""
    if isinstance(value, (bool, str, numbers.Real)):
        return True
    return isinstance(value, (list, tuple)) and all(_writable(v) for v in value)


def _with_defaults(cls: type, kwargs: Mapping[str, Any], skip: tuple[str, ...]) -> dict[str, Any]:
    """``kwargs`` plus every other constructor argument of ``cls`` whose default TOML can hold."""
    out = dict(kwargs)
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name in ("self", *skip) or name in out or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not p.empty and _writable(p.default):
            out[name] = list(p.default) if isinstance(p.default, tuple) else p.default
    return out


def _explicit(kind: str, spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A loss, optimizer or scheduler table with its class's defaults written out."""
    if spec is None:
        return None
    if kind == "optimizer":
        name, kwargs = C.optimizer_kwargs(spec)
        cls, skip = C.OPTIMIZERS[name], ("params",)
    else:
        kwargs = dict(spec)
        if kind == "loss":
            name = C.loss_name(kwargs.pop("type", "CrossEntropyLoss"))
            cls, skip = C.LOSSES[name], ()
        else:
            name = C.scheduler_name(kwargs.pop("type"))
            cls, skip = C.SCHEDULERS[name], ("optimizer",)
    return {"type": name, **_with_defaults(cls, kwargs, skip)}


def run_document(s: Mapping[str, Any], sizes: Mapping[str, int]) -> dict[str, Any]:
    """The content of run.toml for the resolved settings ``s`` (model widths filled in).

    ``sizes``: ``train_samples``, ``val_samples``, ``test_samples``, ``features``, ``classes``.
    """
    train = {k: s[k] for k in ("dataset", "data_dir", "epochs", "batch_size", "seed", "dtype", "limit", "val_split")
             if s[k] is not None}
    model = {"layers": s["model"]["layers"]}
    if C.is_widths(model["layers"]):
        model["activation"] = s["model"]["activation"]
    doc: dict[str, Any] = {"train": train, "model": model}
    for kind in ("loss", "optimizer", "scheduler"):
        table = _explicit(kind, s.get(kind))
        if table is not None:
            doc[kind] = table
    doc["run"] = {
        "nnumpy_version": __version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        **{k: int(v) for k, v in sizes.items()},
    }
    return doc


# ---------------------------------------------------------------------------- TOML out
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML wants DEL (0x7f) escaped too.
    return json.dumps(text).replace("\x7f", "\\u007f")


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return "nan"
        return repr(f) if math.isfinite(f) else ("inf" if f > 0 else "-inf")  # repr round-trips exactly
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        if any(isinstance(x, Mapping) for x in v):  # layer tables: one per line
            return "[\n" + "".join(f"  {_value(x)},\n" for x in v) + "]"
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} to TOML.")


def dumps_toml(doc: Mapping[str, Mapping[str, Any]]) -> str:
    """A document of tables (``{section: {key: value}}``) as TOML text that ``tomllib`` reads back equal."""
    parts = []
    for section, table in doc.items():
        lines = [f"[{_key(section)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in table.items() if v is not None]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- reading back
def saved_settings(run_dir: Path) -> dict[str, Any]:
    """The settings of the run in ``run_dir`` (its run.toml; run.json of nnumpy 0.1.0), or {} without one."""
    toml_file, json_file = run_dir / RUN_FILE, run_dir / "run.json"
    if toml_file.is_file():
        doc = C.load_toml(toml_file)
        version_note(doc, toml_file)
        settings = C.parse_config(doc, toml_file)
        settings.pop("out", None)  # a resumed run stays in the checkpoint's folder
        return settings
    if not json_file.is_file():
        return {}
    from ._inputs import check_regular

    check_regular(json_file, "a run.json file", 1 << 20)
    try:
        saved = json.loads(json_file.read_text(encoding="utf-8"))["settings"]
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{json_file} is not a run file written by nnumpy train ({e}).") from None
    # nnumpy 0.1.0 trained on the whole training split (and validated on the test split).
    return {"val_split": 0, **{k: v for k, v in saved.items() if k in C.DEFAULTS}}


def version_note(doc: Mapping[str, Any], source) -> None:
    """A remark on stderr when ``doc``'s ``[run]`` was written by other versions than these (a replay may differ)."""
    run = doc.get("run")
    if not isinstance(run, Mapping):
        return
    # Python's own version does not change the numbers; nnumpy's and NumPy's may.
    now = {"nnumpy_version": __version__, "numpy_version": np.__version__}
    differ = [f"{k.split('_')[0]} {run[k]} (now {v})" for k, v in now.items() if k in run and str(run[k]) != v]
    if differ:
        note(f"{source} was written with {', '.join(differ)}: a replay may not match bit for bit.")

"""Training checkpoints: model, optimizer, scheduler, History, RNG state and position, in one file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._validation import check_int
from ..errors import ModelFileError
from ..nn import Module
from ._architecture import check_model, describe
from ._format import file_error, read_file, strict_json, write_file
from ._model import (
    CHECKPOINT_FORMAT,
    KEY_ARCH,
    STATE_KEYS,
    build_model,
    model_metadata,
    model_tensors,
    parse_architecture,
    required,
)
from ._values import decode, encode

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint"]

_FIELDS = ("optimizer", "scheduler", "history", "rng_state", "extra")
_PREFIX = {"optimizer": "optim"}
KEY_MODEL_KEYS = "model_keys"
CHECKPOINT_KEYS = STATE_KEYS + (KEY_ARCH, KEY_MODEL_KEYS, "epoch", "step") + _FIELDS


@dataclass
class Checkpoint:
    """Everything :func:`save_checkpoint` wrote, restored to the values that were saved.

    Attributes:
        model_state: the model's ``state_dict()`` (name -> array).
        architecture: the model's architecture, or ``None`` when it has
            user-defined layers.
        optimizer_state: the optimizer's ``state_dict()`` in PyTorch's shape
            (``{'state': {int: {...}}, 'param_groups': [...]}``), or ``None``.
        scheduler_state: the scheduler's ``state_dict()``, or ``None``.
        history: the History dict, or ``None``.
        epoch: completed epochs.
        step: position inside the epoch (or global step), as saved.
        rng_state: the RNG state dict, or ``None``.
        extra: the caller's extra dict, or ``None``.
    """

    model_state: dict[str, np.ndarray]
    architecture: dict[str, Any] | None = None
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    history: dict[str, Any] | None = None
    epoch: int = 0
    step: int = 0
    rng_state: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None

    def _summary_rows(self) -> list[tuple[str, str]]:
        """What the checkpoint holds, in words (no tensor values)."""
        n_params = sum(int(np.asarray(v).size) for v in self.model_state.values())
        model = self.architecture.get("type", "?") if isinstance(self.architecture, dict) else "user-defined layers"
        rows = [("position", f"epoch {self.epoch}, step {self.step}"),
                ("model", f"{model}: {len(self.model_state)} tensors, {n_params:,} values")]
        if self.optimizer_state is not None:
            groups = self.optimizer_state.get("param_groups", [])
            lrs = [g.get("lr") for g in groups if isinstance(g, Mapping)]
            rows.append(("optimizer", f"{len(groups)} parameter group(s), lr {lrs}"))
        if self.scheduler_state is not None:
            rows.append(("scheduler", f"last_epoch {self.scheduler_state.get('last_epoch', '?')}"))
        if self.history:
            columns = {k: v for k, v in self.history.items() if isinstance(v, list)}
            n = max((len(v) for v in columns.values()), default=0)
            last = {k: v[-1] for k, v in columns.items() if v and k not in ("epoch", "time") and v[-1] is not None}
            rows.append(("history", f"{n} epochs, last " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else
                                                                      f"{k} {v}" for k, v in last.items())))
        for name in ("rng_state", "extra"):
            value = getattr(self, name)
            if value:
                rows.append((name, ", ".join(map(str, value)) if isinstance(value, Mapping) else type(value).__name__))
        return rows

    def __repr__(self) -> str:
        """A summary, e.g. ``Checkpoint(epoch 2, step 126; model Sequential: 4 tensors, ...)``; never the tensors."""
        return "Checkpoint(" + "; ".join(f"{k} {v}" if k != "position" else v for k, v in self._summary_rows()) + ")"

    def _repr_html_(self) -> str:
        from .._html import block, table

        return block("Checkpoint", table(None, self._summary_rows()))

    def build_model(self, *, rng=None) -> Module:
        """Rebuild the model from ``architecture`` and load ``model_state`` into it.

        Args:
            rng: seed or Generator for layers that draw random numbers
                (default ``None``).

        Raises:
            nnumpy.ModelFileError: the checkpoint has no architecture (the
                model has user-defined layers: build it in code and call
                :meth:`restore`).

        Example:
            >>> model = nnumpy.io.load_checkpoint("ckpt.safetensors").build_model()  # doctest: +SKIP
        """
        if self.architecture is None:
            raise ModelFileError(
                "this checkpoint holds no architecture (the model has user-defined layers): build the model "
                "in code and call checkpoint.restore(model)."
            )
        return build_model(self.architecture, self.model_state, "the checkpoint", rng, "Checkpoint.build_model")

    def restore(self, model: Module, optimizer=None, scheduler=None) -> Module:
        """Load the saved states into ``model`` (and ``optimizer``, ``scheduler`` when given); return ``model``.

        RNG state, History, epoch and step are left to the caller, who knows
        which generators and loops they belong to.

        Args:
            model: a model with the same parameter names and shapes.
            optimizer: an optimizer over ``model``'s parameters (default ``None``).
            scheduler: a learning-rate scheduler (default ``None``).

        Raises:
            ValueError: a state does not fit, or an optimizer/scheduler is
                passed but the checkpoint holds no state for it.

        Example:
            >>> ckpt = nnumpy.io.load_checkpoint("ckpt.safetensors")  # doctest: +SKIP
            >>> ckpt.restore(model, optimizer, scheduler)  # doctest: +SKIP
        """
        check_model(model, "Checkpoint.restore")
        for obj, state, name in ((optimizer, self.optimizer_state, "optimizer"), (scheduler, self.scheduler_state, "scheduler")):
            if obj is not None and state is None:
                raise ValueError(f"Checkpoint.restore was given a {name}, but the checkpoint holds no {name} state.")
        # All or nothing: when the optimizer's or scheduler's state is refused, the model is put back too.
        parts = [(obj, state) for obj, state in ((model, self.model_state), (optimizer, self.optimizer_state),
                                                 (scheduler, self.scheduler_state)) if obj is not None]
        before = [obj.state_dict() for obj, _ in parts]
        try:
            for obj, state in parts:
                obj.load_state_dict(state)
        except BaseException:
            for (obj, _), state in zip(parts, before):
                obj.load_state_dict(state)
            raise
        return model


def _state_of(obj: Any, field: str) -> Any:
    """A state dict from an object with ``state_dict()``, or a mapping given as is."""
    if obj is None or isinstance(obj, Mapping):
        return obj
    state_dict = getattr(obj, "state_dict", None)
    if callable(state_dict):
        state = state_dict()
        if isinstance(state, Mapping):
            return state
    raise TypeError(
        f"The {field!r} parameter of save_checkpoint must be None, a dict, or an object whose state_dict() "
        f"returns a dict. Got {type(obj).__name__} instead."
    )


def _array_name(prefix: str, path: tuple) -> str:
    # Optimizer buffers follow the contract name optim.<param index>.<key>.
    if prefix == "optim" and len(path) == 3 and path[0] == "state":
        return f"optim.{path[1]}.{path[2]}"
    return ".".join([prefix, *map(str, path)])


def save_checkpoint(
    path,
    *,
    model: Module,
    optimizer=None,
    scheduler=None,
    history=None,
    epoch: int = 0,
    step: int = 0,
    rng_state: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a training checkpoint to one safetensors file, atomically.

    Tensors: the model's ``state_dict`` as ``model.<name>``, optimizer
    buffers as ``optim.<index>.<key>`` and any other array as
    ``<field>.<key path>``. Metadata (JSON): the model's architecture (when
    it is built from nnumpy's layers), the optimizer's param_groups and step
    counts, the scheduler state, History, epoch, step, RNG state and
    ``extra``, plus checksums. Ints of any size, floats (NaN included),
    tuples, int dict keys and arrays come back exactly; NumPy scalars come
    back as the equal Python scalars.

    Args:
        path: destination file.
        model: the model (any ``Module``).
        optimizer: an optimizer, or its ``state_dict()`` (default ``None``).
        scheduler: a scheduler, or its ``state_dict()`` (default ``None``).
        history: the History as a dict (e.g. ``history.to_dict()``), or an
            object with ``state_dict()`` (default ``None``).
        epoch: completed epochs, int >= 0 (default 0).
        step: position inside the epoch, int >= 0 (default 0).
        rng_state: a dict such as ``{"data": rng.bit_generator.state}``
            (default ``None``).
        extra: any further dict of the types above (default ``None``).

    Returns:
        ``pathlib.Path(path)``.

    Example:
        >>> import tempfile, os, nnumpy, numpy as np
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Linear(2, 1, rng=0))
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> rng = np.random.default_rng(0)
        >>> _ = nnumpy.io.save_checkpoint(path, model=model, epoch=3, rng_state={"data": rng.bit_generator.state})
        >>> ckpt = nnumpy.io.load_checkpoint(path)
        >>> ckpt.epoch, ckpt.rng_state["data"] == rng.bit_generator.state
        (3, True)
    """
    check_model(model, "save_checkpoint")
    epoch = check_int("save_checkpoint", "epoch", epoch, ge=0)
    step = check_int("save_checkpoint", "step", step, ge=0)
    state = model_tensors(model, path)
    try:
        arch = describe(model)
    except ModelFileError:  # user-defined layers: the caller rebuilds the model and calls restore
        arch = None
    meta = model_metadata(model, state, arch, path)
    meta.setdefault(KEY_ARCH, "null")
    meta[KEY_MODEL_KEYS] = json.dumps(list(state))
    meta["epoch"], meta["step"] = str(epoch), str(step)
    tensors: dict[str, np.ndarray] = {f"model.{k}": v for k, v in state.items()}
    values = {
        "optimizer": _state_of(optimizer, "optimizer"),
        "scheduler": _state_of(scheduler, "scheduler"),
        "history": _state_of(history, "history"),
        "rng_state": _state_of(rng_state, "rng_state"),
        "extra": _state_of(extra, "extra"),
    }
    for field, value in values.items():
        prefix = _PREFIX.get(field, field)
        encoded = encode(value, field, tensors, lambda p, prefix=prefix: _array_name(prefix, p))
        meta[field] = json.dumps(encoded)
    return write_file(path, tensors, meta, CHECKPOINT_FORMAT)


def model_tensor_names(raw) -> list[str]:
    """The ``model.*`` tensor names listed in a checkpoint's ``model_keys``, checked against the file."""
    keys = strict_json(raw.metadata[KEY_MODEL_KEYS], raw.path, "model_keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise file_error(raw.path, "corrupt: 'model_keys' is not a list of names")
    names = [f"model.{k}" for k in keys]
    if len(set(names)) != len(names) or not all(n in raw.entries for n in names):
        raise file_error(raw.path, "corrupt: 'model_keys' does not match the file's model tensors")
    return names


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, validating it first.

    Args:
        path: the checkpoint file.

    Returns:
        A :class:`Checkpoint`; call ``restore(model, optimizer, scheduler)``
        or ``build_model()``.

    Raises:
        nnumpy.ModelFileError: missing, corrupt or crafted file.

    Example:
        >>> ckpt = nnumpy.io.load_checkpoint("ckpt.safetensors")  # doctest: +SKIP
        >>> ckpt.restore(model, optimizer); start = ckpt.epoch  # doctest: +SKIP
    """
    raw = read_file(path)
    raw.verify(CHECKPOINT_FORMAT)
    meta = required(raw, CHECKPOINT_KEYS)
    names = model_tensor_names(raw)
    arch = None if meta[KEY_ARCH] == "null" else parse_architecture(raw, meta[KEY_ARCH], raw.num_values(names))
    arrays = raw.arrays()
    used = set(names)
    fields = {}
    for field in _FIELDS:
        value = decode(strict_json(meta[field], raw.path, field, allow_nan=True), raw.path, field, arrays, used)
        if value is not None and not isinstance(value, dict):
            raise file_error(raw.path, f"corrupt: '{field}' is a {type(value).__name__}, expected an object or null")
        fields[field] = value
    unused = [n for n in arrays if n not in used]
    if unused:
        raise file_error(raw.path, f"corrupt: tensors {unused[:5]} are not referenced by the checkpoint")
    position = {}
    for key in ("epoch", "step"):
        value = strict_json(meta[key], raw.path, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise file_error(raw.path, f"corrupt: '{key}' must be an int >= 0")
        position[key] = value
    model_state = {n[len("model."):]: arrays[n] for n in names}
    return Checkpoint(
        model_state=model_state,
        architecture=arch,
        optimizer_state=fields["optimizer"],
        scheduler_state=fields["scheduler"],
        history=fields["history"],
        epoch=position["epoch"],
        step=position["step"],
        rng_state=fields["rng_state"],
        extra=fields["extra"],
    )

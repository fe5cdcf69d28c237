"""Model architecture as data: describe a model as JSON, check it, rebuild it.

A node is ``{"type": "Linear", "config": {...}}``; a ``Sequential`` node has
``"children": [{"name": "0", "type": ...}, ...]``; a layer that takes a
``dtype`` argument also records ``"dtype": "float32"``. Loading never imports
or evaluates anything: ``type`` must be a key of :data:`nnumpy.nn.LAYERS` or
a name registered in this process with :func:`nnumpy.io.register` (``_registry.py``),
``config`` may name only that class's constructor arguments (``rng`` and
``dtype`` excluded) and hold only JSON scalars of the annotated kind, or short
lists of them for tuple arguments such as ``kernel_size=(3, 3)`` (a tuple is
written as a list and rebuilt as a tuple), and the model is built by calling
the allow-listed classes with those arguments.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import numpy as np

from .._constructor import constructor_args
from ..errors import ModelFileError
from ..nn import LAYERS, Loss, Module, Sequential
from ._format import file_error
from ._registry import known_names, lookup, name_of

__all__ = ["describe", "check", "build", "check_model"]

MAX_DEPTH = 32
MAX_NODES = 100_000
#: Layer arguments may ask for at most this many values beyond the tensors in the file.
SLACK_VALUES = 1 << 16
_NODE_KEYS = {"type", "config", "children", "name", "dtype"}
_DTYPE_NAMES = ("float32", "float64")
_NAME = re.compile(r"[0-9]+|[A-Za-z][A-Za-z0-9_]{0,99}")
#: Longest list a tuple argument may be stored as (``kernel_size=(3, 3)`` is 2).
MAX_TUPLE = 4


def _where(prefix: str) -> str:
    return f"'{prefix}'" if prefix else "the root module"


def _layer_list() -> str:
    return ", ".join(known_names())


def check_model(model: Any, what: str = "save") -> Module:
    """Refuse anything but a ``Module`` (a loss is not a model)."""
    if isinstance(model, Loss):
        raise TypeError(f"{what} expects a model (an nnumpy.nn.Module), got the loss {type(model).__name__}: save the network it trains.")
    if not isinstance(model, Module):
        raise TypeError(f"{what} expects an nnumpy.nn.Module, got {type(model).__name__}.")
    return model


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, tuple):  # JSON has no tuples: a list, turned back into a tuple by build
        return [_scalar(v) for v in value]
    return value


def describe(model: Module, prefix: str = "") -> dict[str, Any]:
    """The architecture of ``model`` as a JSON-able dict.

    Raises:
        ModelFileError: a module is not one of nnumpy's built-in layers.
    """
    cls = type(model)
    name = name_of(cls)
    if name is None:
        raise ModelFileError(
            f"cannot save the architecture of {cls.__qualname__} at {_where(prefix)}: only nnumpy's built-in "
            f"layers and registered ones ({_layer_list()}) can be rebuilt from a file. Register your layer with "
            "@nnumpy.io.register (it needs get_config() returning its constructor arguments), or save the weights with "
            "nnumpy.io.save_state(model, path) and load them with nnumpy.load_state(model, path) into a model "
            "you build in code (the same applies to load_checkpoint: pass the model object to restore)."
        )
    node: dict[str, Any] = {"type": name}
    config = {k: _scalar(v) for k, v in model.get_config().items()}
    if config:
        node["config"] = config
    if constructor_args(cls).takes_dtype:
        node["dtype"] = _layer_dtype(model, prefix)
    children = list(model.named_children())
    # a registered layer's constructor builds its own sub-layers: the file keeps only their tensors
    if (children and name in LAYERS) or cls is Sequential:
        node["children"] = [
            {"name": child_name, **describe(child, f"{prefix}.{child_name}" if prefix else child_name)}
            for child_name, child in children
        ]
    return node


def _layer_dtype(module: Module, prefix: str) -> str:
    """The one float dtype of a layer's own tensors (its ``dtype`` attribute when it has none)."""
    arrays = [p.data for p in module.parameters() if p is not None]  # sub-layers included (registered layers)
    arrays += [np.asarray(b) for b in module.buffers()]
    found = {a.dtype.name for a in arrays if a.dtype.kind == "f"}
    if len(found) > 1:
        raise ModelFileError(
            f"cannot save {type(module).__name__} at {_where(prefix)}: its tensors mix dtypes {sorted(found)}; "
            "call model.to(np.float32) or model.to(np.float64) first."
        )
    return found.pop() if found else np.dtype(getattr(module, "dtype", np.float32)).name


def check(arch: Any, path, *, tensor_values: int) -> None:
    """Validate an architecture read from ``path`` without building anything.

    Args:
        arch: the parsed JSON.
        path: the file, for messages.
        tensor_values: number of tensor elements in the file; layer sizes that
            would allocate far more than this are refused (a crafted file must
            not make the loader allocate gigabytes).

    Raises:
        ModelFileError: naming the file, the module and the problem.
    """
    counter = {"nodes": 0, "values": 0}
    _check_node(arch, path, "", 0, counter)
    if counter["values"] > tensor_values + SLACK_VALUES:
        raise file_error(
            path,
            f"the architecture's layer sizes ask for about {counter['values']} values but the file holds "
            f"{tensor_values} tensor values (corrupt or crafted file); refusing to build it",
        )


def _check_node(node: Any, path, prefix: str, depth: int, counter: dict[str, int]) -> None:
    where = _where(prefix)
    counter["nodes"] += 1
    if depth > MAX_DEPTH or counter["nodes"] > MAX_NODES:
        raise file_error(path, f"architecture is nested deeper than {MAX_DEPTH} levels or has over {MAX_NODES} modules")
    if not isinstance(node, dict):
        raise file_error(path, f"architecture node at {where} is a JSON {type(node).__name__}, expected an object")
    extra = set(node) - _NODE_KEYS
    if extra:
        raise file_error(path, f"architecture node at {where} has unknown keys {sorted(extra)}")
    type_name = node.get("type")
    cls = lookup(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise ModelFileError(
            f"unknown layer type {str(type_name)[:80]!r} in model file {path} (at {where}); nnumpy builds only: "
            f"{_layer_list()}. If it is your own layer, import the code that defines it and decorate the class "
            "with @nnumpy.io.register before loading; or build the model in code and use "
            "nnumpy.load_state(model, path)."
        )
    args = constructor_args(cls)
    allowed = args.settable()
    config = node.get("config", {})
    if not isinstance(config, dict):
        raise file_error(path, f"'config' of {type_name} at {where} must be an object")
    product = 1
    for key, value in config.items():
        if key not in allowed:
            raise file_error(
                path, f"{type_name} at {where} has unknown argument {key[:80]!r} (allowed: {sorted(allowed) or 'none'})"
            )
        kinds = allowed[key]
        # a list (a tuple argument such as kernel_size) only where the annotation is not plain scalars
        items = value if isinstance(value, list) and kinds is None else [value]
        if len(items) > MAX_TUPLE or any(v is not None and not isinstance(v, (bool, int, float, str)) for v in items):
            tuples = f" or a list of at most {MAX_TUPLE} scalars" if kinds is None else ""
            raise file_error(path, f"argument {key!r} of {type_name} at {where} must be a JSON scalar{tuples}, got {type(value).__name__}")
        if kinds is not None and not (isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))):
            expected = " or ".join(t.__name__ for t in dict.fromkeys(kinds))
            raise file_error(path, f"argument {key!r} of {type_name} at {where} must be {expected}, got {value!r:.80}")
        for v in items:
            if isinstance(v, int) and not isinstance(v, bool) and v > 0:
                product = product * v if product <= (1 << 62) else product
    # The product of the int arguments bounds what most layers allocate (Linear: in·out); a layer
    # for which it does not (Conv2d divides by groups; stride and padding size nothing) says
    # itself how many values a config allocates.
    values_of = getattr(cls, "config_values", None)
    counter["values"] += min(product if values_of is None else values_of(config), 1 << 62)
    if "dtype" in node:
        if not args.takes_dtype or node["dtype"] not in _DTYPE_NAMES:
            raise file_error(path, f"{type_name} at {where} has an invalid dtype entry {str(node['dtype'])[:40]!r}")
    children = node.get("children")
    if children is None:
        if cls is Sequential:
            raise file_error(path, f"Sequential at {where} has no 'children' list")
        return
    if cls is not Sequential or not isinstance(children, list):
        raise file_error(path, f"{type_name} at {where} cannot have children")
    seen = set()
    for i, child in enumerate(children):
        name = child.get("name", str(i)) if isinstance(child, dict) else str(i)
        if not isinstance(name, str) or not _NAME.fullmatch(name) or hasattr(Sequential, name) or name == "training" or name in seen:
            raise file_error(path, f"child {i} of Sequential at {where} has an invalid or repeated name {str(name)[:80]!r}")
        seen.add(name)
        _check_node(child, path, f"{prefix}.{name}" if prefix else name, depth + 1, counter)


def build(arch: dict[str, Any], path, *, rng=None) -> Module:
    """Build the model described by an architecture that passed :func:`check`.

    Args:
        arch: the checked architecture.
        path: the file, for messages.
        rng: a Generator handed to every layer that takes ``rng`` (Linear's
            init is overwritten by the file's weights; Dropout draws its masks).
    """
    return _build(arch, path, "", rng)


def _build(node: dict[str, Any], path, prefix: str, rng) -> Module:
    cls = lookup(node["type"])
    args = constructor_args(cls)
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in node.get("config", {}).items()}
    if args.takes_dtype:
        kwargs["dtype"] = np.dtype(node.get("dtype", "float32"))
    if args.takes_rng and rng is not None:
        kwargs["rng"] = rng
    if cls is Sequential:
        children = OrderedDict()
        for i, child in enumerate(node["children"]):
            name = child.get("name", str(i))
            children[name] = _build(child, path, f"{prefix}.{name}" if prefix else name, rng)
        return Sequential(children)
    try:
        return cls(**kwargs)
    except Exception as err:  # a registered user layer may raise anything on arguments it refuses
        raise file_error(path, f"invalid arguments for {node['type']} at {_where(prefix)}: {err}") from None


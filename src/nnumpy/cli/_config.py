"""Run settings for ``nnumpy train``: TOML config files, layer specs and the builders.

A run is described by one plain dict (written out in full to ``run.toml`` next
to the model by ``_runfile``, so ``--config`` replays the run and ``--resume``
rebuilds it)::

    {"dataset": "mnist-sample", "data_dir": None,
     "model": {"layers": None, "activation": "sigmoid"},
     "loss": {"type": "CrossEntropyLoss"},
     "optimizer": {"type": "SGD", "lr": 0.5},
     "scheduler": None,
     "epochs": 40, "batch_size": 32, "seed": 0, "dtype": "float32", "limit": None,
     "val_split": 0.1}

``model.layers`` is either a list of widths (an MLP: ``Flatten``, then
``Linear`` + activation between every pair of widths, logits at the end), a
list of layer tables ``{"type": "Linear", "in_features": 784, ...}``, or
``None``: the data set's features, :data:`DEFAULT_HIDDEN`, its classes
(:func:`fill_widths`; 784-512-256-10 on MNIST). Every
class named in a config is looked up in an allow-list (``nnumpy.nn.LAYERS``,
``nnumpy.nn.LOSSES``, the optimizers of ``nnumpy.optim`` and the schedulers of
``nnumpy.optim.lr_scheduler``) and called only with argument names from its
own signature; nothing is imported or evaluated.

TOML layout (every section and key optional)::

    [train]
    dataset = "mnist-sample"   # epochs, batch_size, seed, dtype, limit, val_split, out, data_dir
    [model]
    layers = [{type = "Flatten"}, {type = "Linear", in_features = 784, out_features = 128},
              {type = "ReLU"}, {type = "Linear", in_features = 128, out_features = 10}]
    # or: layers = "784-128-10" and activation = "relu"
    [loss]
    type = "CrossEntropyLoss"  # plus its arguments, e.g. label_smoothing = 0.1
    [optimizer]
    type = "SGD"               # plus its arguments: lr, momentum, ...
    [scheduler]
    type = "StepLR"            # plus its arguments: step_size, gamma, ...
    [run]                      # written by nnumpy train into run.toml: versions and sizes, for
    nnumpy_version = "0.1.0"   # the reader; a replay compares the versions and ignores the rest
"""

from __future__ import annotations

import numbers
import sys
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._constructor import constructor_args
from ..nn import (ELU, GELU, LAYERS, LOSSES, BatchNorm1d, Conv2d, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,
                  Loss, Module, ReLU, Sequential, Sigmoid, Softplus, Tanh)
from ..optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop, lr_scheduler

__all__ = [
    "DEFAULTS",
    "ACTIVATIONS",
    "TRAIN_LOSSES",
    "ONE_HOT_LOSSES",
    "OPTIMIZERS",
    "SCHEDULERS",
    "load_toml",
    "parse_config",
    "parse_widths",
    "is_widths",
    "activation_name",
    "loss_name",
    "optimizer_name",
    "scheduler_name",
    "optimizer_kwargs",
    "build_model",
    "build_loss",
    "build_optimizer",
    "build_scheduler",
    "first_width",
    "last_width",
    "fill_widths",
    "convnet_layers",
    "MODELS",
    "DEFAULT_HIDDEN",
    "check_int",
    "check_settings",
]

#: What ``nnumpy train`` does with no options: the seed MLP on the bundled MNIST sample.
#: ``val_split`` 0.1 holds out 800 of the 8,000 training images for validation, which leaves
#: 7,200 to train on. 40 epochs: measured test accuracy 95.70% (seed 0; seeds 1-3: 95.50,
#: 95.45, 95.90%), where 30 epochs on 7,200 images left seed 0 at 94.50% (it had 95.90%
#: with all 8,000 and the test split as validation).
DEFAULTS: dict[str, Any] = {
    "dataset": "mnist-sample",
    "data_dir": None,
    "model": {"layers": None, "activation": "sigmoid"},
    "loss": {"type": "CrossEntropyLoss"},
    "optimizer": {"type": "SGD"},
    "scheduler": None,
    "epochs": 40,
    "batch_size": 32,
    "seed": 0,
    "dtype": "float32",
    "limit": None,
    "val_split": 0.1,
}

#: Hidden widths of the default model, between the data set's features and its classes.
DEFAULT_HIDDEN = [512, 256]

#: Learning rate used when none is given: the seed scenario's 0.5 for SGD; the
#: other optimizers keep their own (PyTorch's) defaults.
DEFAULT_LR = {"SGD": 0.5}

_ACTIVATION_CLASSES = (ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, Identity)
#: Activation names accepted by ``--activation`` (any case, '-'/'_' ignored).
ACTIVATIONS = {cls.__name__: cls for cls in _ACTIVATION_CLASSES}

#: Losses ``nnumpy train`` can use with class-index labels. CrossEntropyLoss and
#: NLLLoss take the indices; the regression losses get one-hot targets.
TRAIN_LOSSES = ("CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "HuberLoss")
ONE_HOT_LOSSES = ("MSELoss", "L1Loss", "HuberLoss")
_LOSS_ALIASES = {"ce": "CrossEntropyLoss", "xent": "CrossEntropyLoss", "nll": "NLLLoss"}

OPTIMIZERS = {cls.__name__: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad)}
#: Schedulers a config can name: those whose arguments are plain values. LambdaLR and
#: MultiplicativeLR take Python functions, SequentialLR and ChainedScheduler other
#: schedulers; a TOML file can give neither (build them in Python and pass them to fit).
SCHEDULERS = {
    name: getattr(lr_scheduler, name)
    for name in lr_scheduler.__all__
    if name not in ("LRScheduler", "LambdaLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler")
}

_TRAIN_KEYS = ("dataset", "data_dir", "epochs", "batch_size", "seed", "dtype", "limit", "val_split", "out")
#: ``[run]`` is what run.toml records about the run (versions, split sizes); a config may carry it.
_SECTIONS = ("train", "model", "loss", "optimizer", "scheduler", "run")


# ---------------------------------------------------------------------------- names
def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


def _lookup(kind: str, name: Any, table: Mapping[str, Any], aliases: Mapping[str, str] | None = None) -> str:
    """The canonical class name for ``name`` (case, '-' and '_' ignored), else ValueError listing the choices."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} must be a name (a string), got {type(name).__name__} {name!r}.")
    wanted = _key(name)
    for canonical in table:
        if wanted in (_key(canonical), _key(canonical).removesuffix("loss")):
            return canonical
    if aliases and wanted in aliases:
        return aliases[wanted]
    raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}.")


def activation_name(name: Any) -> str:
    """``'leaky-relu'`` -> ``'LeakyReLU'``; ValueError for names not in :data:`ACTIVATIONS`."""
    return _lookup("activation", name, ACTIVATIONS)


def loss_name(name: Any) -> str:
    """``'cross-entropy'`` / ``'ce'`` -> ``'CrossEntropyLoss'``; only :data:`TRAIN_LOSSES` are accepted."""
    canonical = _lookup("loss", name, LOSSES, _LOSS_ALIASES)
    if canonical not in TRAIN_LOSSES:
        raise ValueError(
            f"loss {canonical} does not fit nnumpy train, which trains classifiers on class labels; "
            f"choose one of: {', '.join(TRAIN_LOSSES)}."
        )
    return canonical


def optimizer_name(name: Any) -> str:
    """``'adamw'`` -> ``'AdamW'``; ValueError for names not in :data:`OPTIMIZERS`."""
    return _lookup("optimizer", name, OPTIMIZERS)


def scheduler_name(name: Any) -> str:
    """``'step-lr'`` -> ``'StepLR'``; ValueError for names not in :data:`SCHEDULERS`."""
    return _lookup("scheduler", name, SCHEDULERS)


# ---------------------------------------------------------------------------- layer specs
def parse_widths(spec: Any, where: str = "--layers") -> list[int]:
    """``'784-512-10'`` (or a list of ints) -> ``[784, 512, 10]``: at least two widths, each >= 1."""
    example = "e.g. 784-512-256-10"
    if isinstance(spec, str):
        parts = spec.strip().split("-")
        widths = []
        for part in parts:
            text = part.strip()
            if not text.isdigit() or int(text) < 1:
                raise ValueError(
                    f"bad {where} {spec!r}: {text!r} is not a positive integer; "
                    f"expected layer widths joined by '-', {example}."
                )
            widths.append(int(text))
    elif isinstance(spec, (list, tuple)):
        widths = []
        for item in spec:
            if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < 1:
                raise ValueError(f"bad {where} {spec!r}: {item!r} is not a positive integer width ({example}).")
            widths.append(int(item))
    else:
        raise TypeError(f"{where} must be a string such as '784-512-10' or a list of widths, got {type(spec).__name__}.")
    if len(widths) < 2:
        raise ValueError(f"bad {where} {spec!r}: give at least an input and an output width, {example}.")
    return widths


def is_widths(layers: Any) -> bool:
    """True for an MLP width spec (a string, a list of ints, or None: from the data), False for layer tables."""
    return layers is None or isinstance(layers, str) or (
        isinstance(layers, (list, tuple)) and all(not isinstance(x, Mapping) for x in layers)
    )


def fill_widths(model_spec: Mapping[str, Any], features: int, classes: int) -> dict[str, Any]:
    """``layers = None`` becomes ``[features, *DEFAULT_HIDDEN, classes]``; other specs are returned as they are."""
    if model_spec.get("layers") is not None:
        return dict(model_spec)
    return {**model_spec, "layers": [features, *DEFAULT_HIDDEN, classes]}


#: ``nnumpy train --model``: ``mlp`` (the width spec, default) or ``convnet`` (:func:`convnet_layers`).
MODELS = ("mlp", "convnet")


def convnet_layers(input_shape: tuple[int, ...], classes: int) -> dict[str, Any]:
    """The book's SimpleConvNet ("Deep Learning from Scratch", ch. 7) as layer tables, for images of ``input_shape``.

    Conv2d(C, 30, 5) → ReLU → MaxPool2d(2) → Flatten → Linear(30·⌊(H−4)/2⌋·⌊(W−4)/2⌋, 100) → ReLU
    → Linear(100, classes): Linear(4320, 100) for 1×28×28 MNIST images. Tables, not a
    model, so run.toml records the layers and replays them without ``--model``.

    Example:
        >>> [t["type"] for t in convnet_layers((1, 28, 28), 10)["layers"]][:3]
        ['Conv2d', 'ReLU', 'MaxPool2d']
        >>> convnet_layers((1, 28, 28), 10)["layers"][4]
        {'type': 'Linear', 'in_features': 4320, 'out_features': 100}
    """
    if len(input_shape) != 3 or min(input_shape[1:]) < 6:
        shape = "x".join(map(str, input_shape))
        raise ValueError(f"--model convnet needs images of shape (channels, height, width), at least 6x6 "
                         f"(a 5x5 convolution, then 2x2 pooling), got samples of shape {shape}; "
                         "use --model mlp (the default) for this data set.")
    c, h, w = (int(v) for v in input_shape)
    flat = 30 * ((h - 4) // 2) * ((w - 4) // 2)  # (N, 30, H−4, W−4) pooled to ⌊·/2⌋
    return {"layers": [
        {"type": "Conv2d", "in_channels": c, "out_channels": 30, "kernel_size": 5},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Flatten"},
        {"type": "Linear", "in_features": flat, "out_features": 100},
        {"type": "ReLU"},
        {"type": "Linear", "in_features": 100, "out_features": classes},
    ], "activation": None}


# ---------------------------------------------------------------------------- calling allow-listed classes
def _check_args(where: str, cls: type, kwargs: Mapping[str, Any], skip: tuple[str, ...] = ()) -> None:
    accepted = list(constructor_args(cls).settable(skip))
    for name in kwargs:
        if name not in accepted:
            raise ValueError(
                f"{where} {cls.__name__} has no argument {name!r}; accepted: {', '.join(accepted) or 'none'}."
            )


def _arrays(kwargs: Mapping[str, Any], names: tuple[str, ...], dtype) -> dict[str, Any]:
    """TOML lists for tensor arguments (class weights) become arrays of the run's dtype."""
    return {k: (np.asarray(v, dtype=dtype) if k in names and isinstance(v, list) else v) for k, v in kwargs.items()}


def _layer(where: str, table: Any, dtype: np.dtype, rng: np.random.Generator) -> Module:
    if not isinstance(table, Mapping):
        raise TypeError(f"{where} must be a table such as {{type = \"Linear\", ...}}, got {type(table).__name__}.")
    kwargs = dict(table)
    type_name = kwargs.pop("type", None)
    if type_name is None:
        raise ValueError(f"{where} has no 'type' (e.g. type = \"Linear\").")
    choices = {k: v for k, v in LAYERS.items() if k != "Sequential"}
    cls = choices[_lookup(f"layer type at {where}", type_name, choices)]
    for reserved, instead in (("dtype", "[train] dtype"), ("rng", "[train] seed")):
        if reserved in kwargs:
            raise ValueError(f"{where}: set {instead} instead of {reserved!r} on a layer.")
    _check_args(f"{where}:", cls, kwargs, skip=("dtype", "rng"))
    # TOML has arrays, not tuples: kernel_size = [3, 3] means the pair (3, 3), as PyTorch writes it
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    args = constructor_args(cls)
    if args.takes_dtype:
        kwargs["dtype"] = dtype
    if args.takes_rng:
        kwargs["rng"] = rng
    return cls(**kwargs)


def build_model(model_spec: Mapping[str, Any], loss_type: str, *, dtype, rng) -> Sequential:
    """The model described by ``model_spec`` (see the module docstring).

    A width spec becomes ``Flatten, Linear, act, ..., Linear`` (logits), plus a
    final ``LogSoftmax(dim=1)`` when the loss is ``NLLLoss``. A layer list is
    built as written.
    """
    dt = np.dtype(dtype)
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    layers = model_spec.get("layers")
    if is_widths(layers):
        widths = parse_widths(layers, "model layers" if not isinstance(layers, str) else "--layers")
        act = ACTIVATIONS[activation_name(model_spec.get("activation") or "sigmoid")]
        mods: list[Module] = [Flatten()]
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            mods.append(Linear(a, b, dtype=dt, rng=gen))
            if i < len(widths) - 2:
                mods.append(act())
        if loss_type == "NLLLoss":
            mods.append(LogSoftmax(dim=1))
        return Sequential(*mods)
    if model_spec.get("activation") is not None:
        raise ValueError("an activation applies to a width spec such as '784-128-10', not to a list of layer tables.")
    if not layers:
        raise ValueError("[model] layers is empty: list at least one layer.")
    return Sequential(*(_layer(f"[model] layers[{i}]", t, dt, gen) for i, t in enumerate(layers)))


def build_loss(spec: Mapping[str, Any], dtype) -> Loss:
    """The loss named by ``spec['type']`` with the other entries as arguments."""
    kwargs = dict(spec)
    name = loss_name(kwargs.pop("type", "CrossEntropyLoss"))
    cls = LOSSES[name]
    _check_args("loss", cls, kwargs)
    return cls(**_arrays(kwargs, ("weight", "pos_weight"), dtype))


def optimizer_kwargs(spec: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(class name, arguments)`` of an optimizer spec, the default lr filled in."""
    kwargs = dict(spec)
    name = optimizer_name(kwargs.pop("type", "SGD"))
    if kwargs.get("lr") is None:
        kwargs.pop("lr", None)
        if name in DEFAULT_LR:
            kwargs["lr"] = DEFAULT_LR[name]
    if isinstance(kwargs.get("betas"), list):
        kwargs["betas"] = tuple(kwargs["betas"])
    _check_args("optimizer", OPTIMIZERS[name], kwargs, skip=("params",))
    return name, kwargs


def build_optimizer(spec: Mapping[str, Any], params) -> Optimizer:
    """The optimizer named by ``spec['type']`` over ``params``."""
    name, kwargs = optimizer_kwargs(spec)
    return OPTIMIZERS[name](params, **kwargs)


def build_scheduler(spec: Mapping[str, Any] | None, optimizer):
    """The scheduler named by ``spec['type']`` on ``optimizer``, or None."""
    if spec is None:
        return None
    kwargs = dict(spec)
    if "type" not in kwargs:
        raise ValueError("[scheduler] has no 'type' (e.g. type = \"StepLR\").")
    cls = SCHEDULERS[scheduler_name(kwargs.pop("type"))]
    _check_args("scheduler", cls, kwargs, skip=("optimizer",))
    return cls(optimizer, **kwargs)


def first_width(model: Module) -> int | None:
    """Features the model reads per sample: the first Linear's ``in_features`` (BatchNorm1d's ``num_features``).

    None when a ``Conv2d`` comes first: the model reads images, whose size only a forward pass checks.
    """
    for m in model.modules():
        if isinstance(m, Conv2d):
            return None
        if isinstance(m, Linear):
            return m.in_features
        if isinstance(m, BatchNorm1d):
            return m.num_features
    return None


def last_width(model: Module) -> int | None:
    """Outputs per sample: the last Linear's ``out_features``."""
    width = None
    for m in model.modules():
        if isinstance(m, Linear):
            width = m.out_features
    return width


# ---------------------------------------------------------------------------- TOML
#: Largest config read: real ones are a few hundred bytes.
MAX_TOML_BYTES = 1 << 20

def load_toml(path) -> dict[str, Any]:
    """Read a TOML file (``tomllib`` on Python >= 3.11, else the ``tomli`` package)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        try:
            import tomli as tomllib
        except ImportError:
            raise ImportError(
                "reading a TOML config needs Python >= 3.11 or the 'tomli' package: pip install tomli"
            ) from None
    p = Path(path)
    from ._inputs import check_regular

    size = check_regular(p, "a TOML config", MAX_TOML_BYTES)  # /dev/zero or a huge file: refused unread
    try:
        with p.open("rb") as f:
            text = f.read(size + 1).decode("utf-8")
        return tomllib.loads(text)
    except UnicodeDecodeError as e:
        raise ValueError(f"config {p} is not UTF-8 text ({e.reason} at byte {e.start}); is it a TOML file?") from None
    except RecursionError:
        raise ValueError(f"config {p} is not valid TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"config {p} is not valid TOML: {e}") from None


def check_int(where: str, value: Any, low: int, allow_none: bool = False) -> int | None:
    """``value`` as an int >= ``low`` (None passes with ``allow_none``); TypeError/ValueError naming ``where``.

    The one integer check of the CLI: run settings and the flags of evaluate and predict use it.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where} must be an integer, got {value!r}.")
    if value < low:
        raise ValueError(f"{where} must be >= {low}, got {value}.")
    return int(value)


def check_settings(s: Mapping[str, Any]) -> None:
    """Type and range checks of the scalar run settings (the builders check the rest)."""
    check_int("epochs", s["epochs"], 1)
    check_int("batch size", s["batch_size"], 1)
    check_int("seed", s["seed"], 0)
    check_int("limit", s["limit"], 1, allow_none=True)
    v = s["val_split"]
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"val_split must be a number, got {v!r}.")
    if not 0 <= v < 1:
        raise ValueError(f"val_split must be >= 0 and < 1 (the share of the training split held out "
                         f"for validation; 0 for none), got {v}.")
    if s["dtype"] not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {s['dtype']!r}.")
    if not isinstance(s["dataset"], str):
        raise TypeError(f"dataset must be a name, got {s['dataset']!r}.")


def _table(doc: Mapping[str, Any], section: str, source) -> dict[str, Any] | None:
    value = doc.get(section)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"config {source}: [{section}] must be a table, got {type(value).__name__}.")
    return dict(value)


def parse_config(doc: Mapping[str, Any], source="config") -> dict[str, Any]:
    """Turn a TOML document into partial run settings (only the keys it sets).

    Unknown sections and ``[train]`` keys are errors, so a typo is never
    silently ignored. Class names and arguments are checked when built.
    """
    unknown = [k for k in doc if k not in _SECTIONS]
    if unknown:
        raise ValueError(f"config {source}: unknown section(s) {', '.join(unknown)}; expected: {', '.join(_SECTIONS)}.")
    out: dict[str, Any] = {}
    train = _table(doc, "train", source) or {}
    bad = [k for k in train if k not in _TRAIN_KEYS]
    if bad:
        raise ValueError(f"config {source}: unknown [train] key(s) {', '.join(bad)}; expected: {', '.join(_TRAIN_KEYS)}.")
    out.update(train)
    model = _table(doc, "model", source)
    if model is not None:
        extra = [k for k in model if k not in ("layers", "activation")]
        if extra or "layers" not in model:
            raise ValueError(f"config {source}: [model] takes 'layers' (required) and 'activation'; got {sorted(model)}.")
        if not isinstance(model["layers"], (str, list)):
            raise TypeError(f"config {source}: [model] layers must be a string or a list, got {type(model['layers']).__name__}.")
        out["model"] = {"layers": model["layers"], "activation": model.get("activation")}
    for section in ("loss", "optimizer", "scheduler"):
        table = _table(doc, section, source)
        if table is not None:
            out[section] = table
    _table(doc, "run", source)  # a record of the run that wrote the file, not a setting
    return out

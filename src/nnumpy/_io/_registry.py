"""The layer registry: user layers that model files may name, next to ``nnumpy.nn.LAYERS``.

A model file names each layer's class as a string. Loading never imports
anything: the name must be a built-in layer (``nnumpy.nn.LAYERS``) or a class
registered in the running process with :func:`register`. Like the built-in
allow-list, a name maps to exactly one class: registering a built-in name, or
a name already taken by another class, is an error.
"""

from __future__ import annotations

import inspect
import re

from ..nn import LAYERS, Loss, Module

__all__ = ["register", "unregister", "registered", "lookup", "name_of", "known_names"]

#: Registered user layers by name (the process-wide registry).
_REGISTRY: dict[str, type] = {}
#: A registered name: an identifier, optionally dotted (``"mylib.Residual"``), as JSON stores it.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}(\.[A-Za-z_][A-Za-z0-9_]{0,99}){0,7}")


def _check_class(cls, name: str) -> None:
    if not inspect.isclass(cls) or not issubclass(cls, Module):
        raise TypeError(f"nnumpy.io.register expects a subclass of nnumpy.nn.Module, got {cls!r:.80}.")
    if issubclass(cls, Loss):
        raise TypeError(f"nnumpy.io.register registers layers; {cls.__qualname__} is a loss, which model files do not hold.")
    if cls.get_config is Module.get_config:
        required = [
            p.name for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required:
            raise TypeError(
                f"cannot register {cls.__qualname__} as {name!r}: its constructor needs {required} but it does not "
                "define get_config(); add get_config(self) returning a dict of those arguments "
                "(JSON scalars or short tuples), so a file can rebuild the layer."
            )


def register(cls: type | None = None, *, name: str | None = None):
    """Let :func:`nnumpy.save` write, and :func:`nnumpy.load` rebuild, a user layer: ``@register``.

    A file stores the layer as ``{"type": name, "config": layer.get_config()}``
    plus its tensors; ``load`` calls ``cls(**config)`` and loads the tensors,
    so ``get_config`` must return the constructor's arguments (JSON scalars,
    or short tuples of them). Sub-layers the constructor builds are not stored
    as architecture: the constructor builds them again and the state dict
    fills them. Nothing from the file is executed: ``load`` builds only
    classes registered in the running process, so the code that defines the
    layer must be imported before ``load``.

    Args:
        cls: the ``nnumpy.nn.Module`` subclass (when used as ``@register``).
        name: the name written to files (default ``cls.__name__``); letters,
            digits and ``_``, optionally dotted (``"mylib.Residual"``).

    Returns:
        ``cls`` unchanged (or, with only ``name=``, a decorator that registers
        and returns its class).

    Raises:
        TypeError: ``cls`` is not a Module subclass, is a loss, or needs
            constructor arguments but defines no ``get_config``.
        ValueError: the name is invalid, is a built-in layer's, or is already
            registered to another class.

    Example:
        >>> import numpy as np
        >>> from nnumpy import nn
        >>> @register
        ... class Scale(nn.Module):
        ...     def __init__(self, factor: float = 2.0):
        ...         super().__init__()
        ...         self.factor = factor
        ...     def get_config(self):
        ...         return {"factor": self.factor}
        ...     def forward(self, x):
        ...         return x * self.factor
        ...     def backward(self, grad_output):
        ...         return grad_output * self.factor
        >>> lookup("Scale") is Scale
        True
        >>> unregister("Scale")
    """
    if cls is None:
        return lambda c: register(c, name=name)
    key = cls.__name__ if name is None and inspect.isclass(cls) else name
    if not isinstance(key, str) or not _NAME.fullmatch(key):
        raise ValueError(
            f"The 'name' parameter of nnumpy.io.register must be an identifier, optionally dotted "
            f"(e.g. 'Residual' or 'mylib.Residual'). Got {key!r:.80} instead."
        )
    _check_class(cls, key)
    if key in LAYERS:
        raise ValueError(
            f"cannot register {cls.__qualname__} as {key!r}: that is the name of nnumpy's built-in layer; "
            f"pass another name, e.g. @register(name='my.{key}')."
        )
    taken = _REGISTRY.get(key)
    if taken is not None and taken is not cls:
        raise ValueError(
            f"cannot register {cls.__qualname__} as {key!r}: that name is already registered to "
            f"{taken.__module__}.{taken.__qualname__}; a file name must map to one class. Pass another name, "
            f"or call nnumpy.io.unregister({key!r}) first (e.g. after redefining the class in a notebook)."
        )
    _REGISTRY[key] = cls
    return cls


def unregister(name_or_cls) -> None:
    """Remove a registered layer, by its name or its class; an unknown one is an error.

    Raises:
        KeyError: nothing is registered under that name or for that class.
    """
    keys = [k for k, c in _REGISTRY.items() if k == name_or_cls or c is name_or_cls]
    if not keys:
        raise KeyError(f"nnumpy.io.unregister: {name_or_cls!r:.80} is not a registered layer (registered: {sorted(_REGISTRY) or 'none'}).")
    for k in keys:
        del _REGISTRY[k]


def registered() -> dict[str, type]:
    """A copy of the registry: name → class of every layer registered in this process."""
    return dict(_REGISTRY)


def lookup(name: str) -> type | None:
    """The class a model file's ``type`` names: a built-in layer, a registered one, or ``None``."""
    return LAYERS.get(name) or _REGISTRY.get(name)


def name_of(cls: type) -> str | None:
    """The name a file stores for ``cls`` (built-in or registered), or ``None`` if it has none."""
    if LAYERS.get(cls.__name__) is cls:
        return cls.__name__
    for key, c in _REGISTRY.items():
        if c is cls:
            return key
    return None


def known_names() -> list[str]:
    """Built-in then registered layer names, for messages."""
    return sorted(LAYERS) + sorted(_REGISTRY)

"""What a class's constructor accepts, read from its signature: the one allow-list builder.

Model files (``_io/_architecture.py``) and the CLI's TOML configs (``cli/_config.py``)
both build allow-listed classes from data. Both ask :func:`constructor_args`
which argument names a class takes and, where the annotation says so, which
JSON scalar kinds each accepts; nothing is imported or evaluated.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["ConstructorArgs", "constructor_args"]

#: Annotation names -> the Python types a value read from a file may have.
_KINDS = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "None": (type(None),)}


@dataclass(frozen=True)
class ConstructorArgs:
    """The named arguments of a constructor (``self``, ``*args`` and ``**kwargs`` left out).

    ``kinds[name]`` is the tuple of accepted Python types when the annotation
    is a union of ``int``, ``float``, ``bool``, ``str`` and ``None``, else
    ``None`` (the constructor's own checks decide).
    """

    kinds: dict[str, tuple[type, ...] | None]

    @property
    def names(self) -> list[str]:
        return list(self.kinds)

    @property
    def takes_dtype(self) -> bool:
        return "dtype" in self.kinds

    @property
    def takes_rng(self) -> bool:
        return "rng" in self.kinds

    def settable(self, skip: tuple[str, ...] = ("dtype", "rng")) -> dict[str, tuple[type, ...] | None]:
        """``kinds`` without the arguments in ``skip`` (by default those the builder sets itself)."""
        return {name: kinds for name, kinds in self.kinds.items() if name not in skip}


def _kinds(annotation) -> tuple[type, ...] | None:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    kinds: tuple[type, ...] = ()
    for token in str(text).split("|"):
        token = token.strip()
        if token not in _KINDS:  # unannotated or complex
            return None
        kinds += _KINDS[token]
    return kinds


@lru_cache(maxsize=None)
def constructor_args(cls: type) -> ConstructorArgs:
    """The :class:`ConstructorArgs` of ``cls.__init__``."""
    kinds = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        kinds[name] = _kinds(p.annotation)
    return ConstructorArgs(kinds)

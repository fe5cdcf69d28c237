"""Griffe extension for the docs site: what griffe cannot see of nnumpy's public names.

* A constant is documented by a ``#:`` comment above it (``#: Oldest opset export writes.``),
  which griffe does not read; this makes the comment the constant's docstring.
* ``nnumpy.sklearn`` imports its estimators on first use (PEP 562 ``__getattr__``, so that
  ``import nnumpy.sklearn`` needs no scikit-learn); griffe reads the source without running
  it, so this adds each name of ``_LAZY`` that ``__all__`` lists as an alias to where it lives.
"""

from __future__ import annotations

import griffe

_LAZY = {"nnumpy.sklearn": "nnumpy._sklearn_estimators"}


def comment_doc(lines: list[str], lineno: int) -> str:
    """The ``#:`` comment lines just above line ``lineno`` (1-based) of ``lines``, joined."""
    out: list[str] = []
    i = lineno - 2
    while i >= 0 and lines[i].lstrip().startswith("#:"):
        out.insert(0, lines[i].lstrip()[2:].strip())
        i -= 1
    return " ".join(out)


class PublicNames(griffe.Extension):
    def on_attribute_instance(self, *, attr, **kwargs) -> None:
        if attr.docstring is None and attr.lineno:
            try:
                lines = attr.lines_collection[attr.filepath]
            except (KeyError, TypeError):
                return
            doc = comment_doc(lines, attr.lineno)
            if doc:
                attr.docstring = griffe.Docstring(doc, lineno=attr.lineno, parent=attr)

    def on_package(self, *, pkg, **kwargs) -> None:
        for module_path, target_path in _LAZY.items():
            package, _, rest = module_path.partition(".")
            if package != pkg.name:
                continue
            module = pkg[rest]
            for name in module.exports or ():
                if isinstance(name, str) and name not in module.members:
                    module.set_member(name, griffe.Alias(name, f"{target_path}.{name}", parent=module))

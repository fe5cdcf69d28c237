"""Griffe extension for the docs site: nnumpy's docstrings title their doctests "Example:".

Google style (and griffe) reads only "Examples:" as the examples section; "Example:" would
become an admonition whose ``>>>`` lines Markdown reads as nested quotes. This renames the
title, in the docs build only, so each example is rendered as a Python console block.
"""

from __future__ import annotations

import re

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:[ \t]*$", re.M)


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)

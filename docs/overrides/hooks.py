"""MkDocs hooks for the docs site.

* Notebooks stay pages after mkdocs-static-i18n. mkdocs-jupyter turns each ``.ipynb`` file
  into a page in its ``on_files``; mkdocs-static-i18n runs after it (priority -100) and
  rebuilds every file as a plain ``File``, which would copy the notebooks as raw JSON. This
  hook runs last and wraps them again.
* Every public name is in the API reference: a name in ``__all__`` of the module that a
  page docs/reference/<module>.md renders must have an anchor on that page (a submodule, a
  page of its own). mkdocstrings leaves out a name without a docstring, so a missing one is
  a warning, which ``--strict`` turns into a failed build. (tests/test_docs.py checks the
  same on the built site, and that every public module has a page.)
"""

from __future__ import annotations

import importlib
import logging
import re

from mkdocs.plugins import event_priority
from mkdocs_jupyter.plugin import NotebookFile

log = logging.getLogger("mkdocs.hooks.public_names")
_REFERENCE = re.compile(r"^reference/([\w.]+)\.md$")


@event_priority(-200)
def on_files(files, config):
    jupyter = config.plugins["mkdocs-jupyter"]
    for file in list(files):
        if not isinstance(file, NotebookFile) and jupyter.should_include(file):
            files.remove(file)
            files.append(NotebookFile(file, **config))
    return files


def missing_names(module_name: str, html: str, pages: set[str]) -> list[str]:
    """The names of the module's ``__all__`` with no anchor in ``html`` (a submodule: no page)."""
    module = importlib.import_module(module_name)
    missing = []
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name, None)
        if getattr(obj, "__name__", None) and type(obj).__name__ == "module":
            if obj.__name__ not in pages:
                missing.append(f"{module_name}.{name}")
        elif f'id="{module_name}.{name}"' not in html:
            missing.append(f"{module_name}.{name}")
    return missing


def on_page_content(html, page, config, files):
    match = _REFERENCE.match(page.file.src_uri)
    if match:
        pages = {m.group(1) for f in files if (m := _REFERENCE.match(f.src_uri))}
        missing = missing_names(match.group(1), html, pages)
        if missing:
            log.warning("%s: public names not in the API reference (no docstring?): %s",
                        page.file.src_uri, ", ".join(missing))
    return html

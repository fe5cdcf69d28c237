"""MkDocs hook for the docs site: notebooks stay pages after mkdocs-static-i18n.

mkdocs-jupyter turns each ``.ipynb`` file into a page in its ``on_files``; mkdocs-static-i18n
runs after it (priority -100) and rebuilds every file as a plain ``File``, which would copy
the notebooks as raw JSON. This hook runs last and wraps them again.
"""

from __future__ import annotations

from mkdocs.plugins import event_priority
from mkdocs_jupyter.plugin import NotebookFile


@event_priority(-200)
def on_files(files, config):
    jupyter = config.plugins["mkdocs-jupyter"]
    for file in list(files):
        if not isinstance(file, NotebookFile) and jupyter.should_include(file):
            files.remove(file)
            files.append(NotebookFile(file, **config))
    return files

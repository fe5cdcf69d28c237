"""Write the notebooks of examples/notebooks/ (English) and examples/notebooks/ko/ (Korean).

Both languages come from one source, ``_content.py``: a notebook there is a list of
cells, each either markdown in both languages (``md(en, ko)``) or code written once
(``code(src)``), so the code cells of a notebook and its twin are the same text. The
one place they may differ is the token ``LANG``, which becomes ``"en"`` or ``"ko"``
(``check_layer(..., lang=LANG)`` explains bugs in the reader's language).

The files are written without outputs or execution counts and with fixed cell ids, so
building twice gives the same bytes; ``tests/test_notebooks.py`` checks that the
committed files are exactly what this script writes, and runs each of them.

Run from anywhere: ``python examples/notebooks/_build.py`` (writes the files) or
``python examples/notebooks/_build.py --check`` (exit 1 and name the files that differ).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # _content sits beside this script

from _content import NOTEBOOKS  # noqa: E402

LANGUAGES = {"en": HERE, "ko": HERE / "ko"}
LANG_TOKEN = "LANG"  # in code: replaced by the notebook's language, as a string literal
_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _cell(kind: str, text: str, index: int):
    make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
    cell = make(text.strip("\n"))
    cell.id = f"cell-{index:02d}"  # fixed ids: the file does not change from one build to the next
    return cell


def notebook(cells, lang: str) -> nbformat.NotebookNode:
    """One language's notebook from the shared cells (``("md", {lang: text})`` or ``("code", src)``)."""
    nb = nbformat.v4.new_notebook(metadata=_METADATA)
    for i, (kind, body) in enumerate(cells):
        text = body[lang] if kind == "md" else re.sub(rf"\b{LANG_TOKEN}\b", f'"{lang}"', body)
        nb.cells.append(_cell(kind, text, i))
    nbformat.validate(nb)
    return nb


def build() -> dict[Path, str]:
    """Every notebook's path and file text, both languages."""
    files = {}
    for stem, cells in NOTEBOOKS.items():
        for lang, folder in LANGUAGES.items():
            files[folder / f"{stem}.ipynb"] = nbformat.writes(notebook(cells, lang)) + "\n"
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is missing or differs")
    args = parser.parse_args(argv)
    files = build()
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for p in stale:
            print(f"out of date: {p.relative_to(HERE)} (run python examples/notebooks/_build.py)")
        return 1 if stale else 0
    for p in stale:
        p.parent.mkdir(exist_ok=True)
        p.write_text(files[p], encoding="utf-8", newline="\n")
        print(f"wrote {p.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

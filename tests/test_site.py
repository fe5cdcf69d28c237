"""The docs site (mkdocs.yml) builds with ``mkdocs build --strict``.

Strict mode turns every warning into an error: a broken link between pages of docs/, a
missing page of the nav, a docstring griffe cannot read. The build goes to a temporary
folder; the checks then look for both languages, every API page and a rendered notebook.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The packages of the `docs` extra, by the module each installs.
DOCS_MODULES = ["mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter", "mkdocs_static_i18n"]

API_MODULES = [
    "nnumpy", "nnumpy.nn", "nnumpy.optim", "nnumpy.optim.lr_scheduler", "nnumpy.data",
    "nnumpy.datasets", "nnumpy.train", "nnumpy.check", "nnumpy.io", "nnumpy.plot",
    "nnumpy.onnx", "nnumpy.sklearn", "nnumpy.distributed",
]
GUIDES = ["tour", "cli", "backprop", "custom-layer", "debugging-backward", "convolution",
          "training-recipes", "interop", "reliability", "distributed", "performance"]


def _missing_docs_modules() -> list[str]:
    missing = []
    for name in DOCS_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # the parent package of a dotted name is absent
            found = False
        if not found:
            missing.append(name)
    return missing


def test_site_builds_strict_with_both_languages_the_api_and_the_notebooks(tmp_path):
    missing = _missing_docs_modules()
    if missing:
        pytest.skip(f"the docs site needs the 'docs' extra (pip install -e \".[docs]\"); missing {missing}")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"

    pages = [f"{g}/index.html" for g in GUIDES] + [f"reference/{m}/index.html" for m in API_MODULES]
    for lang in ("", "ko/"):
        missing_pages = [lang + p for p in ["index.html", *pages] if not (site / lang / p).is_file()]
        assert not missing_pages, f"the site lacks {missing_pages}"

    # Korean pages are the twins from docs/ko/, not English fallbacks, and say which is which.
    tour_ko = (site / "ko" / "tour" / "index.html").read_text(encoding="utf-8")
    assert "nnumpy 둘러보기" in tour_ko and 'hreflang="en"' in tour_ko

    # An API page shows the docstrings (a class and its doctest, rendered as code).
    nn_page = (site / "reference" / "nnumpy.nn" / "index.html").read_text(encoding="utf-8")
    assert 'id="nnumpy.nn.Linear"' in nn_page and "&gt;&gt;&gt;" in nn_page

    # Notebooks are rendered to HTML cells (not copied as raw JSON), in both languages.
    for lang, title in (("", "XOR with a 2-2-1 sigmoid network"), ("ko/", "2-2-1 시그모이드 신경망으로 푸는 XOR")):
        html = (site / lang / "notebooks" / "01_xor" / "index.html").read_text(encoding="utf-8")
        assert "jp-Cell" in html and title in html, f"{lang}notebooks/01_xor is not a rendered notebook"

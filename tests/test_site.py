"""The docs site (mkdocs.yml) builds with ``mkdocs build --strict``.

Strict mode turns every warning into an error: a broken link between pages of docs/, a
missing page of the nav, a docstring griffe cannot read. The build goes to a temporary
folder, once per test run (the ``docs_site`` fixture of tests/conftest.py, which
tests/test_docs.py shares); the checks then look for both languages, every API page and
a rendered notebook.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One page per public module: docs/reference/<module>.md holds "::: <module>".
API_MODULES = sorted(p.stem for p in (ROOT / "docs" / "reference").glob("*.md"))
GUIDES = ["tour", "cli", "backprop", "custom-layer", "debugging-backward", "convolution",
          "training-recipes", "interop", "reliability", "distributed", "performance"]


def test_reference_pages_each_render_their_module():
    assert "nnumpy" in API_MODULES and "nnumpy.nn" in API_MODULES
    for name in API_MODULES:
        text = (ROOT / "docs" / "reference" / f"{name}.md").read_text(encoding="utf-8")
        assert re.findall(r"^::: ([\w.]+)$", text, re.M) == [name], (
            f"docs/reference/{name}.md should render its module with '::: {name}' (and nothing else)"
        )


def test_site_builds_strict_with_both_languages_the_api_and_the_notebooks(docs_site):
    run = docs_site
    assert run["returncode"] == 0, (
        f"mkdocs build --strict failed:\n{run['stdout'][-3000:]}\n{run['stderr'][-6000:]}"
    )
    site = Path(run["site"])

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

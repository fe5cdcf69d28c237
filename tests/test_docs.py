"""Every public name has a docstring and is in the site's API reference.

The reference is docs/reference/<module>.md, one page per public module, rendered from the
docstrings by mkdocstrings when the site is built (tests/test_site.py). A public name is one
listed in ``__all__`` of a public module (``nnumpy`` and every submodule whose dotted name has
no part starting with ``_``). A failure names what to fix: write the missing docstring (a
``#:`` comment above a constant), or add the module's page to docs/reference/ and the nav of
mkdocs.yml.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import types
import zlib
from pathlib import Path

import pytest

import nnumpy

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"


def is_public(module_name: str) -> bool:
    """True for ``nnumpy.nn.init``, False for ``nnumpy.nn._linear`` and ``nnumpy.__main__``."""
    return not any(part.startswith("_") for part in module_name.split("."))


def public_module_names() -> list[str]:
    names = {nnumpy.__name__}
    for info in pkgutil.walk_packages(nnumpy.__path__, nnumpy.__name__ + "."):
        if is_public(info.name):
            names.add(info.name)
    return sorted(names)


def public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        pytest.fail(f"public module {module.__name__} has no __all__: list its public names there")
    return list(names)


def kind_of(obj) -> str:
    """'module', 'class', 'function' or 'constant'."""
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj) and (inspect.isroutine(obj) or hasattr(obj, "__wrapped__")):
        return "function"
    return "constant"


def own_docstring(obj) -> str:
    """The docstring written on ``obj`` itself, cleaned; '' when there is none.

    ``inspect.getdoc`` falls back to a base class's docstring, and dataclasses get an
    automatic one (their signature); neither counts here.
    """
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
        if doc and dataclasses.is_dataclass(obj) and doc.startswith(obj.__name__ + "("):
            return ""
    else:
        doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def constant_comment(module, name: str) -> str:
    """The ``#:`` comment just above ``name = ...`` in the module's source (or, for an
    imported constant, in the source of the module it comes from), joined.

    docs/overrides/griffe_public.py makes the same comment the constant's docstring on the site.
    """
    sources = [module]
    for other in list(sys.modules.values()):
        mod_name = getattr(other, "__name__", "")
        if mod_name.startswith(module.__name__.split(".")[0] + ".") and other is not module:
            if name in vars(other) and vars(other)[name] is getattr(module, name, None):
                sources.append(other)
    assign = re.compile(rf"^{re.escape(name)}\s*(:[^=]*)?=")
    for source in sources:
        try:
            lines = inspect.getsource(source).splitlines()
        except (OSError, TypeError):
            continue
        for i, line in enumerate(lines):
            if assign.match(line):
                doc, j = [], i
                while j > 0 and lines[j - 1].lstrip().startswith("#:"):
                    doc.insert(0, lines[j - 1].lstrip()[2:].strip())
                    j -= 1
                if doc:
                    return " ".join(doc)
    return ""


def documentation(module, name: str) -> str:
    obj = getattr(module, name)
    if kind_of(obj) == "constant":
        return constant_comment(module, name)
    return own_docstring(obj)


def undocumented(modules) -> list[str]:
    """The public names of ``modules`` without a docstring (``#:`` comment for a constant)."""
    return [f"{m.__name__}.{name}" for m in modules for name in public_names(m)
            if not documentation(m, name).strip()]


def read_inventory(data: bytes) -> dict[str, str]:
    """A Sphinx inventory (objects.inv, version 2), as {name: uri}.

    Four header lines, then zlib-compressed lines "name domain:role priority uri dispname",
    where a uri ending in "$" stands for the name itself.
    """
    lines = data.split(b"\n", 4)
    if len(lines) < 5 or lines[0].strip() != b"# Sphinx inventory version 2":
        raise ValueError("not a version 2 Sphinx inventory")
    out = {}
    for line in zlib.decompress(lines[4]).decode("utf-8").splitlines():
        m = re.match(r"(.+?)\s+(\S+:\S+)\s+(-?\d+)\s+(\S*)\s+(.*)$", line.rstrip())
        if m:
            name, uri = m.group(1), m.group(4)
            out[name] = uri[:-1] + name if uri.endswith("$") else uri
    return out


def missing_from_reference(modules, inventory: dict[str, str], site: Path) -> list[str]:
    """The public names of ``modules`` that the built site's API reference does not document:
    absent from the inventory mkdocstrings writes, or (a class, function or constant) with no
    anchor on its module's page, site/reference/<module>/index.html."""
    missing = []
    for module in modules:
        page = site / "reference" / module.__name__ / "index.html"
        html = page.read_text(encoding="utf-8") if page.is_file() else ""
        for name in public_names(module):
            dotted = f"{module.__name__}.{name}"
            if dotted not in inventory:
                missing.append(dotted)
            elif kind_of(getattr(module, name)) == "module":
                if not (site / "reference" / getattr(module, name).__name__ / "index.html").is_file():
                    missing.append(dotted)
            elif f'id="{dotted}"' not in html:
                missing.append(dotted)
    return missing


MODULE_NAMES = public_module_names()
MODULES = [importlib.import_module(name) for name in MODULE_NAMES]


def _built(docs_site) -> tuple[Path, dict[str, str]]:
    if docs_site["returncode"] != 0:
        pytest.fail(f"mkdocs build --strict failed (see tests/test_site.py):\n{docs_site['stderr'][-3000:]}")
    site = Path(docs_site["site"])
    return site, read_inventory((site / "objects.inv").read_bytes())


# ---------------------------------------------------------------------------- the pages
def test_docs_public_modules_are_all_discovered():
    expected = {"nnumpy", "nnumpy.nn", "nnumpy.nn.init", "nnumpy.nn.functional", "nnumpy.optim",
                "nnumpy.optim.lr_scheduler", "nnumpy.data", "nnumpy.datasets", "nnumpy.train",
                "nnumpy.io", "nnumpy.check", "nnumpy.plot", "nnumpy.onnx", "nnumpy.sklearn"}
    assert expected <= set(MODULE_NAMES), f"public modules not found: {sorted(expected - set(MODULE_NAMES))}"


def test_docs_every_public_module_has_a_reference_page_in_the_nav():
    pages = {p.stem for p in REFERENCE.glob("*.md")}
    missing = [m for m in MODULE_NAMES if m not in pages]
    assert not missing, f"public modules without a page docs/reference/<module>.md ('::: <module>'): {missing}"
    extra = sorted(pages - set(MODULE_NAMES))
    assert not extra, f"docs/reference/ pages for no public module: {extra}"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    not_in_nav = [m for m in MODULE_NAMES if f"- reference/{m}.md" not in nav]
    assert not not_in_nav, f"reference pages missing from the nav of mkdocs.yml: {not_in_nav}"


# ---------------------------------------------------------------------------- the names
def test_docs_every_public_name_has_a_docstring():
    # Classes, functions and modules need their own docstring (a base class's or the one
    # dataclasses generates does not count); constants a ``#:`` comment above them.
    missing = undocumented(MODULES)
    assert not missing, (
        f"public names without documentation: {missing}. Write a docstring (a `#:` comment above a constant)"
    )


def test_docs_every_public_name_is_in_the_site_reference(docs_site):
    site, inventory = _built(docs_site)
    missing = missing_from_reference(MODULES, inventory, site)
    assert not missing, (
        f"public names not in the site's API reference: {missing}. Give each a docstring (a `#:` comment "
        "above a constant) and its module a page in docs/reference/"
    )


def test_docs_checks_report_an_undocumented_name(docs_site, tmp_path):
    # The checks can fail: a fake public module with a name that has no docstring and one
    # that the site does not show.
    fake = types.ModuleType("nnumpy.fake")

    def documented():
        """Has a docstring."""

    def bare():
        pass

    fake.documented, fake.bare = documented, bare
    fake.__all__ = ["documented", "bare"]
    assert undocumented([fake]) == ["nnumpy.fake.bare"]

    site, inventory = _built(docs_site)
    assert missing_from_reference([fake], inventory, site) == ["nnumpy.fake.documented", "nnumpy.fake.bare"]
    # A name dropped from the inventory (as mkdocstrings drops one without a docstring) is reported.
    linear = inventory.pop("nnumpy.nn.Linear")
    assert linear.endswith("reference/nnumpy.nn/#nnumpy.nn.Linear")
    assert missing_from_reference([importlib.import_module("nnumpy.nn")], inventory, site) == ["nnumpy.nn.Linear"]


def test_read_inventory_parses_a_sphinx_inventory():
    body = "nnumpy.nn.Linear py:class 1 reference/nnumpy.nn/#$ -\nnnumpy py:module 1 reference/nnumpy/ nnumpy\n"
    data = b"# Sphinx inventory version 2\n# Project: x\n# Version: 0\n# zlib\n" + zlib.compress(body.encode())
    assert read_inventory(data) == {
        "nnumpy.nn.Linear": "reference/nnumpy.nn/#nnumpy.nn.Linear",
        "nnumpy": "reference/nnumpy/",
    }
    with pytest.raises(ValueError):
        read_inventory(b"not an inventory")


def test_public_modules_import_without_optional_dependencies(tmp_path):
    # No public module may need matplotlib, tqdm, torch or pillow at import time
    # (STYLE: optional dependencies are imported inside the function).
    code = (
        "import sys\n"
        "for dep in ('matplotlib', 'tqdm', 'torch', 'PIL'):\n"
        "    sys.modules[dep] = None  # any import of it raises ImportError\n"
        f"import importlib\nfor name in {MODULE_NAMES!r}:\n"
        "    importlib.import_module(name)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"a public module imports an optional dependency at import time:\n{proc.stderr}"

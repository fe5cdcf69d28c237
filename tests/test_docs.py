"""docs/api.md documents every public name and is kept in sync with the docstrings.

A failure here means the reference and the code disagree: add the missing
docstring (or ``#:`` comment for a constant), then run ``python docs/gen_api.py``.
"""

from __future__ import annotations

import difflib
import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_MD = ROOT / "docs" / "api.md"
FIX = "run python docs/gen_api.py"


def _load_gen_api():
    spec = importlib.util.spec_from_file_location("_nnumpy_docs_gen_api", ROOT / "docs" / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen_api = _load_gen_api()
MODULES = gen_api.public_modules()
PUBLIC = [(m, name) for m in MODULES for name in gen_api.public_names(m)]
HEADING_RE = re.compile(r"^#{2,4} `([\w.]+)`$", re.M)


def _api_md() -> str:
    if not API_MD.exists():
        pytest.fail(f"docs/api.md is missing: {FIX}")
    return API_MD.read_text(encoding="utf-8")


def test_docs_public_modules_are_all_discovered():
    # The modules of the issue must be found by the package walk, which documents any new one too.
    found = {m.__name__ for m in MODULES}
    expected = set(gen_api.MODULE_ORDER)
    assert expected <= found, f"public modules not found by docs/gen_api.py: {sorted(expected - found)}"


def test_docs_every_public_name_has_a_heading():
    headings = set(HEADING_RE.findall(_api_md()))
    missing = [f"{m.__name__}.{name}" for m, name in PUBLIC if f"{m.__name__}.{name}" not in headings]
    assert not missing, f"public names without a heading in docs/api.md: {missing}; {FIX}"


def test_docs_every_public_name_has_a_docstring():
    # Classes, functions and modules need their own docstring (a base class's or the one
    # dataclasses generates does not count); constants a ``#:`` comment or a CONSTANT_DOCS entry.
    undocumented = []
    for module, name in PUBLIC:
        obj = getattr(module, name)
        if gen_api.kind_of(obj) == "constant":
            doc = gen_api.constant_doc(module, name)
        else:
            doc = gen_api.own_docstring(obj)
        if not doc.strip():
            undocumented.append(f"{module.__name__}.{name}")
    assert not undocumented, (
        f"public names without documentation: {undocumented}. Write a docstring (a `#:` comment above "
        f"a constant), then {FIX}"
    )


def test_docs_api_md_is_up_to_date():
    current, fresh = _api_md(), gen_api.render()
    if current != fresh:
        diff = "".join(list(difflib.unified_diff(
            current.splitlines(True), fresh.splitlines(True), "docs/api.md", "generated"))[:60])
        pytest.fail(f"docs/api.md is out of date with the docstrings: {FIX}\n{diff}")


def test_gen_api_check_exits_1_when_stale_and_0_after_regenerating(tmp_path, capsys):
    out = tmp_path / "api.md"
    out.write_text("# stale\n", encoding="utf-8")
    assert gen_api.main(["--check", "--output", str(out)]) == 1
    assert FIX in capsys.readouterr().err
    assert gen_api.main(["--output", str(out)]) == 0
    assert gen_api.main(["--check", "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == gen_api.render()  # deterministic: same text twice


def test_gen_api_docstring_markdown_keeps_examples_and_escapes_math():
    doc = textwrap.dedent("""\
        Loss ℓ_i = w*x + b over [0, 1) with ``state_dict`` and *emphasis*.

        Args:
            x: the input, shape ``(N, *)``;
                continued here.
            a, b (float): two numbers.

        Example:
            >>> 1 + 1
            2
        """)
    md = "\n".join(gen_api.docstring_markdown(doc))
    assert "ℓ_i = w\\*x + b over [0, 1) with `state_dict` and *emphasis*." in md
    assert "- `x`: the input, shape `(N, *)`; continued here." in md
    assert "- `a, b` (float): two numbers." in md
    assert "**Example:**\n\n```pycon\n>>> 1 + 1\n2\n```" in md


def test_gen_api_signature_has_no_memory_addresses():
    sentinel = object()

    def f(x: list[int], *, default=sentinel, dtype=float) -> int:
        pass

    assert gen_api.format_signature(f, {}) == "(x: list[int], *, default=<object object>, dtype=float) -> int"


def test_public_modules_import_without_optional_dependencies(tmp_path):
    # docs/gen_api.py imports every public module: none may need matplotlib, tqdm, torch or
    # pillow at import time (STYLE: optional dependencies are imported inside the function).
    names = [m.__name__ for m in MODULES]
    code = (
        "import sys\n"
        "for dep in ('matplotlib', 'tqdm', 'torch', 'PIL'):\n"
        "    sys.modules[dep] = None  # any import of it raises ImportError\n"
        f"import importlib\nfor name in {names!r}:\n"
        "    importlib.import_module(name)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"a public module imports an optional dependency at import time:\n{proc.stderr}"


def test_docs_api_md_links_point_to_headings():
    text = _api_md()
    seen: dict[str, int] = {}
    anchors = {gen_api.slug(h, seen) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    broken = sorted({a for a in re.findall(r"\]\(#([^)]+)\)", text) if a not in anchors})
    assert not broken, f"links in docs/api.md to no heading: {broken}; {FIX}"

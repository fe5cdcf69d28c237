"""Generate docs/api.md, the API reference, from nnumpy's docstrings.

    python docs/gen_api.py           # rewrite docs/api.md
    python docs/gen_api.py --check   # exit 1 if docs/api.md is out of date

The reference lists every name in the ``__all__`` of every public module
(a module whose dotted path has no component starting with ``_``): its
signature (``inspect.signature``), its docstring (``inspect.getdoc``) and, for
classes, the public methods and properties the class itself defines. Methods a
class inherits from another documented class are documented on that class
only (``Module.parameters`` appears under ``Module``, not under every layer).
A name exported by several modules (``nnumpy.save`` and ``nnumpy.io.save``)
is documented once, in the deepest module, and the others link to it.

Constants have no docstring of their own: they are documented by a ``#:``
comment on the lines just above their assignment, or listed in
``CONSTANT_DOCS`` below. tests/test_docs.py checks that every public name is
documented and that docs/api.md equals a fresh generation.

The output depends only on the code (no timestamps, ``__all__`` order), so
regenerating an unchanged tree gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import pkgutil
import re
import string
import sys
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
API_MD = ROOT / "docs" / "api.md"
TUTORIAL = ROOT / "docs" / "custom-layer.md"
PACKAGE = "nnumpy"
REGENERATE = "python docs/gen_api.py"

#: Sections come in this order; public modules not listed here follow, sorted by name.
MODULE_ORDER = (
    "nnumpy",
    "nnumpy.nn",
    "nnumpy.nn.init",
    "nnumpy.nn.functional",
    "nnumpy.optim",
    "nnumpy.optim.lr_scheduler",
    "nnumpy.data",
    "nnumpy.datasets",
    "nnumpy.train",
    "nnumpy.io",
    "nnumpy.check",
    "nnumpy.plot",
    "nnumpy.errors",
    "nnumpy.cli",
)

#: Public constants documented here because their module has no ``#:`` comment for them.
CONSTANT_DOCS = {
    "nnumpy.__version__": "The version of the installed package, a PEP 440 string.",
}

# Google-style docstring sections ("Example (a custom layer):" counts as "Example"), and those
# whose body is one item per line ("name: description").
_SECTIONS = ("Args", "Arguments", "Parameters", "Keyword Args", "Keyword Arguments", "Other Parameters",
             "Attributes", "Raises", "Returns", "Return", "Yields", "Shape", "Example", "Examples",
             "Note", "Notes", "Warning", "Warnings", "See Also", "References", "Methods")
_ITEM_SECTIONS = {"Args", "Arguments", "Parameters", "Keyword Args", "Keyword Arguments", "Other Parameters",
                  "Attributes", "Raises"}
_SECTION_RE = re.compile(rf"^({'|'.join(_SECTIONS)})(?: \(.*\))?:$")
_ITEM_RE = re.compile(r"^(\*{0,2}[\w.]+(?:, *\*{0,2}[\w.]+)*)(\s*\([^)]*\))?:(?:\s+(.*))?$")
_ROLE_RE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`~?([^`]+)`")
_CODE_RE = re.compile(r"(``.+?``|`[^`]+`)", re.S)
_MARKER_RE = re.compile(r"^(?:[*+-]|\d+[.)]) +")
_BLOCK_START_RE = re.compile(r"^(#|>|=+\s*$|-+\s*$)")
_ADDRESS_RE = re.compile(r" at 0x[0-9a-fA-F]+")
_EMPHASIS_RE = re.compile(r"(?<![\w*\\])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")


# ---------------------------------------------------------------------------- discovery


def is_public(module_name: str) -> bool:
    """True for ``nnumpy.nn.init``, False for ``nnumpy.nn._linear`` and ``nnumpy.__main__``."""
    return not any(part.startswith("_") for part in module_name.split("."))


def public_modules() -> list[Any]:
    """Import and return every public module of the package, in ``MODULE_ORDER``."""
    package = importlib.import_module(PACKAGE)
    names = {PACKAGE}
    for info in pkgutil.walk_packages(package.__path__, PACKAGE + ".", onerror=_raise):
        if is_public(info.name):
            names.add(info.name)
    rank = {name: i for i, name in enumerate(MODULE_ORDER)}
    ordered = sorted(names, key=lambda n: (rank.get(n, len(rank)), n))
    return [importlib.import_module(name) for name in ordered]


def _raise(name: str) -> None:
    raise ImportError(f"could not import {name} while walking the {PACKAGE} package")


def public_names(module) -> list[str]:
    """The module's ``__all__``; a public module without one is an error."""
    names = getattr(module, "__all__", None)
    if names is None:
        raise AttributeError(f"public module {module.__name__} has no __all__: list its public names there.")
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

    ``inspect.getdoc`` falls back to a base class's docstring, and dataclasses
    get an automatic one (their signature); neither counts here.
    """
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
        if doc and dataclasses.is_dataclass(obj) and doc.startswith(obj.__name__ + "("):
            return ""  # the docstring dataclasses generates from the fields
    else:
        doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def constant_comment(module, name: str) -> str:
    """The ``#:`` comment lines just above ``name = ...`` in the module's source, joined."""
    try:
        lines = inspect.getsource(module).splitlines()
    except (OSError, TypeError):
        return ""
    assign = re.compile(rf"^{re.escape(name)}\s*(:[^=]*)?=")
    for i, line in enumerate(lines):
        if assign.match(line):
            j = i
            while j > 0 and lines[j - 1].lstrip().startswith("#:"):
                j -= 1
            comment = [ln.lstrip()[2:].strip() for ln in lines[j:i]]
            if comment:
                return " ".join(comment)
    return ""


def constant_doc(module, name: str) -> str:
    """Documentation of a public constant: its ``#:`` comment or its ``CONSTANT_DOCS`` entry."""
    return constant_comment(module, name) or CONSTANT_DOCS.get(f"{module.__name__}.{name}", "")


def homes(modules) -> dict[int, str]:
    """id(object) -> the dotted name under which it is documented in full.

    An object exported by several modules lives in the deepest of them
    (``nnumpy.io.save`` rather than ``nnumpy.save``); the first listed wins a tie.
    """
    out: dict[int, str] = {}
    depth: dict[int, int] = {}
    for module in modules:
        for name in public_names(module):
            obj = getattr(module, name)
            if kind_of(obj) not in ("class", "function"):
                continue
            d = module.__name__.count(".")
            if id(obj) not in out or d > depth[id(obj)]:
                out[id(obj)] = f"{module.__name__}.{name}"
                depth[id(obj)] = d
    return out


# ---------------------------------------------------------------------------- signatures


class _Raw:
    """Prints as the given text in a signature (no quotes around string annotations)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _annotation(ann) -> str:
    return ann if isinstance(ann, str) else inspect.formatannotation(ann)


def _default(value, home: dict[int, str]) -> str:
    if id(value) in home:
        return home[id(value)]  # the public name, not the private module it is defined in
    if inspect.isclass(value):
        return value.__qualname__ if value.__module__ == "builtins" else f"{value.__module__}.{value.__qualname__}"
    if inspect.isroutine(value):
        return getattr(value, "__qualname__", repr(value))
    return _ADDRESS_RE.sub("", repr(value))  # no memory addresses: the output must be reproducible


def format_signature(obj, home: dict[int, str], *, prefix: str = "", drop_first: bool = False,
                     drop_return: bool = False, width: int = 88) -> str | None:
    """``prefix(a: int, b=2) -> str`` with plain annotations and stable defaults; None if there is none.

    A signature longer than ``width`` gets one parameter per line, as black formats a call.
    """
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if drop_first and params:
        params = params[1:]
    params = [
        p.replace(
            annotation=p.empty if p.annotation is p.empty else _Raw(_annotation(p.annotation)),
            default=p.empty if p.default is p.empty else _Raw(_default(p.default, home)),
        )
        for p in params
    ]
    ret = sig.return_annotation
    ret = "" if drop_return or ret is sig.empty else f" -> {_annotation(ret)}"
    flat = f"{prefix}{sig.replace(parameters=params, return_annotation=sig.empty)}{ret}"
    if len(flat) <= width or not params:
        return flat
    return f"{prefix}(\n" + "".join(f"    {part},\n" for part in _parameter_parts(params)) + f"){ret}"


def _parameter_parts(params: list[inspect.Parameter]) -> list[str]:
    """The parameters as ``str(Signature)`` lists them, with the ``/`` and ``*`` markers."""
    parts: list[str] = []
    positional_only = False
    keyword_marker = True
    for p in params:
        if p.kind is p.POSITIONAL_ONLY:
            positional_only = True
        elif positional_only:
            parts.append("/")
            positional_only = False
        if p.kind is p.VAR_POSITIONAL:
            keyword_marker = False
        elif p.kind is p.KEYWORD_ONLY and keyword_marker:
            parts.append("*")
            keyword_marker = False
        parts.append(str(p))
    if positional_only:
        parts.append("/")
    return parts


# ---------------------------------------------------------------------------- docstring -> Markdown


def _inline(text: str) -> str:
    """Escape Markdown in prose; ``code`` and `code` spans become Markdown code spans.

    ``text`` may hold several lines (a code span can run across a line break).
    """
    text = _ROLE_RE.sub(r"``\1``", text)
    out = []
    for i, part in enumerate(_CODE_RE.split(text)):
        if i % 2:
            code = part[2:-2] if part.startswith("``") else part[1:-1]
            fence = "``" if "`" in code else "`"
            pad = " " if code.startswith("`") or code.endswith("`") else ""
            out.append(f"{fence}{pad}{code}{pad}{fence}")
        else:
            # rST *emphasis* is Markdown emphasis too; every other * is escaped.
            pieces = _EMPHASIS_RE.split(part)
            out.append("".join(_escape(p) if k % 2 == 0 else f"*{_escape(p)}*" for k, p in enumerate(pieces)))
    return "".join(out)


def _paragraph(lines: list[str]) -> list[str]:
    """A prose paragraph; list markers (``*``, ``-``, ``1.``) at the start of a line are kept."""
    markers, texts = [], []
    for ln in lines:
        m = _MARKER_RE.match(ln.strip())
        marker = m.group(0) if m else ""
        markers.append(("  " if _indent(ln) and not marker else "") + marker)
        texts.append(ln.strip()[len(marker):])
    out = []
    for marker, text in zip(markers, _inline("\n".join(texts)).split("\n")):
        if not marker and _BLOCK_START_RE.match(text):
            text = "\\" + text  # would start a heading, a quote or a setext underline
        out.append(marker + text)
    return out


def _escape(text: str) -> str:
    """Backslash-escape the characters that would change meaning in Markdown prose, and only those.

    Math such as ``w_{y_i}`` or ``[0, 1)`` stays readable in the .md source:
    ``_`` between two letters never starts emphasis, ``[`` only matters in a
    link, ``<`` only before a tag name.
    """
    out = []
    for k, ch in enumerate(text):
        prev = text[k - 1] if k else " "
        nxt = text[k + 1] if k + 1 < len(text) else " "
        if ch == "_":
            special = not (prev.isalnum() and nxt.isalnum())
        elif ch in "*`~$":
            special = True
        elif ch == "\\":
            special = nxt in string.punctuation
        elif ch == "]":
            special = nxt in "(["
        elif ch == "<":
            special = nxt.isalpha() or nxt in "/!?"
        else:
            special = False
        out.append("\\" + ch if special else ch)
    return "".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _fence(lines: list[str], lang: str) -> list[str]:
    width = min(_indent(ln) for ln in lines if ln.strip())
    body = [ln[width:].rstrip() for ln in lines]
    while body and not body[-1]:
        body.pop()
    ticks = "```" if not any(ln.lstrip().startswith("```") for ln in body) else "````"
    return [ticks + lang, *body, ticks, ""]


def _items(body: list[str]) -> list[str]:
    """A section like ``Args:`` as a bullet list, one bullet per ``name: description`` entry."""
    text = [ln for ln in body if ln.strip()]
    if not text:
        return []
    base = min(_indent(ln) for ln in text)
    entries: list[list[str]] = []
    for ln in body:
        if not ln.strip():
            continue
        if _indent(ln) == base or not entries:
            entries.append([ln.strip()])
        else:
            entries[-1].append(ln.strip())
    out = []
    for first, *rest in entries:
        m = _ITEM_RE.match(first)
        if m:
            name, typ, desc = m.group(1), m.group(2) or "", m.group(3) or ""
            head = f"`{name}`" + (" " + _inline(typ.strip()) if typ else "")
            words = [desc, *rest] if desc else rest
            out.append(f"- {head}: " + " ".join(_inline(w) for w in words) if words else f"- {head}")
        else:
            out.append("- " + " ".join(_inline(w) for w in [first, *rest]))
    return out + [""]


def docstring_markdown(doc: str) -> list[str]:
    """Markdown lines for a cleaned Google-style docstring.

    Doctest examples become ``pycon`` code blocks, an indented block after a
    blank line a ``text`` code block, ``Args:``-like sections bullet lists,
    other sections a bold title over their body; prose is escaped.
    """
    lines = doc.expandtabs().splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith(">>>"):
            j = i  # an example runs to the next blank line, as doctest reads it
            while j < len(lines) and lines[j].strip():
                j += 1
            out += _fence(lines[i:j], "pycon")
            i = j
            continue
        ind = _indent(line)
        nxt = next((ln for ln in lines[i + 1 :] if ln.strip()), None)
        section = _SECTION_RE.match(stripped)
        if section and nxt is not None and _indent(nxt) > ind:
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > ind):
                j += 1
            body = lines[i + 1 : j]
            out += [f"**{_inline(stripped[:-1])}:**", ""]
            if section.group(1) in _ITEM_SECTIONS:
                out += _items(body)
            else:
                out += docstring_markdown(_dedent(body))
            i = j
            continue
        if ind > 0:
            # An indented block after a blank line: a formula or a layout to keep as is.
            j = i
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) >= ind):
                j += 1
            out += _fence(lines[i:j], "text")
            i = j
            continue
        # A paragraph: this line and the following non-blank ones (continuations included).
        j = i
        while j < len(lines) and lines[j].strip() and not (j > i and lines[j].strip().startswith(">>>")):
            j += 1
        out += _paragraph(lines[i:j]) + [""]
        i = j
    return out


def _dedent(lines: list[str]) -> str:
    text = [ln for ln in lines if ln.strip()]
    width = min((_indent(ln) for ln in text), default=0)
    return "\n".join(ln[width:] for ln in lines)


# ---------------------------------------------------------------------------- page


def slug(heading: str, seen: dict[str, int]) -> str:
    """GitHub's anchor for a heading text (lower case, punctuation dropped, '-' for spaces)."""
    base = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n}"


def summary(doc: str) -> str:
    """The first paragraph of a docstring, on one line."""
    para = []
    for line in doc.splitlines():
        if not line.strip():
            break
        para.append(line.strip())
    return " ".join(para)


@dataclasses.dataclass
class _Entry:
    level: int  # heading level
    title: str  # dotted name shown in the heading
    lines: list[str]  # body
    toc: bool = True
    anchor: str = ""


def _class_header(cls, home: dict[int, str]) -> list[str]:
    """The class line (with its public bases) and the constructor call."""
    bases = _public_bases(cls, home)
    head = f"class {cls.__name__}" + (f"({', '.join(_default(b, home) for b in bases)})" if bases else "")
    sig = None if issubclass(cls, BaseException) and "__init__" not in cls.__dict__ else \
        format_signature(cls, home, prefix=cls.__name__, drop_return=True)
    return ["```python", head, *([sig] if sig is not None else []), "```", ""]


def _inherits(cls, home: dict[int, str]) -> list[str]:
    """A line linking to the documented bases, where the inherited methods are described."""
    documented = [home[id(b)] for b in _public_bases(cls, home) if id(b) in home]
    if not documented:
        return []
    links = ", ".join(f"[`{name}`](#{{{name}}})" for name in documented)
    return [f"Inherits the methods of {links}.", ""]


def _public_bases(cls, home: dict[int, str]) -> list[type]:
    """The direct bases, with private or undocumented nnumpy bases replaced by their own bases."""
    out: list[type] = []
    for base in cls.__bases__:
        if base is object:
            continue
        if id(base) in home or not base.__module__.startswith(PACKAGE):
            candidates = [base]
        else:
            candidates = _public_bases(base, home)
        out += [c for c in candidates if c not in out]
    return out


def _members(cls, home: dict[int, str]) -> Iterator[tuple[str, Any]]:
    """(name, raw class attribute) for the public methods/properties to document on ``cls``.

    Walks ``cls`` and the private or undocumented nnumpy classes it inherits
    from; stops at documented classes (they document their own members) and
    at classes from outside nnumpy. An override without its own docstring is
    left out: the documented base describes it.
    """
    chain = [cls]
    for klass in cls.__mro__[1:]:
        if klass.__module__.startswith(PACKAGE) and id(klass) not in home:
            chain.append(klass)
    documented_bases = [k for k in cls.__mro__[1:] if id(k) in home]
    seen: set[str] = set()
    for klass in chain:
        for name, raw in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            if not isinstance(raw, (staticmethod, classmethod, property)) and not inspect.isfunction(raw):
                continue
            seen.add(name)
            overrides = any(name in vars(b) for b in documented_bases)
            if overrides and not own_docstring(_function_of(raw)):
                continue
            yield name, raw


def _function_of(raw):
    if isinstance(raw, (staticmethod, classmethod)):
        return raw.__func__
    if isinstance(raw, property):
        return raw.fget
    return raw


def _member_entry(cls, qual: str, name: str, raw, home: dict[int, str]) -> _Entry:
    func = _function_of(raw)
    if isinstance(raw, property):
        ret = inspect.signature(func).return_annotation if func is not None else inspect.Signature.empty
        code = f"{cls.__name__}.{name}" + ("" if ret is inspect.Signature.empty else f": {_annotation(ret)}")
        code += "  # property" + ("" if raw.fset is not None else ", read-only")
    else:
        drop = not isinstance(raw, staticmethod)
        kind = next((f"{t.__name__} " for t in (classmethod, staticmethod) if isinstance(raw, t)), "")
        prefix = f"{kind}{cls.__name__}.{name}"
        code = format_signature(func, home, prefix=prefix, drop_first=drop) or f"{prefix}(...)"
    doc = inspect.getdoc(func) if func is not None else None
    lines = ["```python", code, "```", ""] + (docstring_markdown(doc) if doc else [])
    return _Entry(4, f"{qual}.{name}", lines, toc=False)


def _constant_repr(value, home: dict[int, str], width: int = 88) -> str:
    """The value as Python source, one item per line when it does not fit in ``width``."""
    if isinstance(value, dict):
        items, (left, right) = [f"{k!r}: {_constant_repr(v, home)}" for k, v in value.items()], "{}"
    elif isinstance(value, (list, tuple)):
        items = [_constant_repr(v, home) for v in value]
        left, right = "[]" if isinstance(value, list) else ("(", ",)" if len(value) == 1 else ")")
    else:
        return _default(value, home)
    flat = left + ", ".join(items) + right
    if len(flat) <= width:
        return flat
    return left + "\n" + "".join(f"    {item},\n" for item in items) + right


def module_entries(module, home: dict[int, str]) -> list[_Entry]:
    """The section of one module: its docstring, then one entry per public name."""
    mod_name = module.__name__
    doc = inspect.getdoc(module) or ""
    intro = docstring_markdown(doc)
    subs = [n for n in public_names(module) if kind_of(getattr(module, n)) == "module"]
    if subs:
        links = ", ".join(f"[`{getattr(module, n).__name__}`](#{{{getattr(module, n).__name__}}})" for n in subs)
        intro += [f"Submodules: {links}.", ""]
    entries = [_Entry(2, mod_name, intro)]
    for name in public_names(module):
        obj = getattr(module, name)
        qual = f"{mod_name}.{name}"
        kind = kind_of(obj)
        if kind == "module":
            continue  # documented by its own section
        if kind in ("class", "function") and home.get(id(obj)) != qual:
            target = home[id(obj)]
            body = [f"Same as [`{target}`](#{{{target}}}). {_inline(summary(own_docstring(obj)))}", ""]
            entries.append(_Entry(3, qual, body))
            continue
        if kind == "class":
            lines = _class_header(obj, home) + docstring_markdown(inspect.getdoc(obj) or "") + _inherits(obj, home)
            entries.append(_Entry(3, qual, lines))
            entries += [_member_entry(obj, qual, n, raw, home) for n, raw in _members(obj, home)]
        elif kind == "function":
            sig = format_signature(obj, home, prefix=f"def {name}") or f"def {name}(...)"
            lines = ["```python", sig, "```", ""] + docstring_markdown(inspect.getdoc(obj) or "")
            entries.append(_Entry(3, qual, lines))
        else:
            code = f"{name}: {type(obj).__name__} = {_constant_repr(obj, home)}"
            lines = ["```python", code, "```", ""] + docstring_markdown(constant_doc(module, name))
            entries.append(_Entry(3, qual, lines))
    return entries


def render() -> str:
    """The full text of docs/api.md for the code as it is now."""
    modules = public_modules()
    home = homes(modules)
    sections = [(module, module_entries(module, home)) for module in modules]
    seen: dict[str, int] = {"api-reference": 1, "contents": 1}
    anchors: dict[str, str] = {}
    for _, entries in sections:
        for e in entries:
            e.anchor = slug(e.title, seen)
            anchors.setdefault(e.title, e.anchor)

    out = [
        "# API reference",
        "",
        f"<!-- Generated from the docstrings by docs/gen_api.py; do not edit. Regenerate: {REGENERATE} -->",
        "",
        "Every public name of nnumpy, module by module: the signature, the docstring and, for",
        "classes, the public methods the class adds (methods inherited from a documented base,",
        "such as `Module.parameters`, are listed under that base). Examples are doctests,",
        "run by tests/test_doctests.py.",
        "",
    ]
    if TUTORIAL.exists():
        out += [f"To write a layer of your own, start with the tutorial, [{TUTORIAL.name}]({TUTORIAL.name}).", ""]
    out += [
        "## Contents",
        "",
    ]
    for module, entries in sections:
        head, *rest = entries
        out.append(f"- [`{head.title}`](#{head.anchor}): {_inline(summary(inspect.getdoc(module) or ''))}")
        names = [f"[`{e.title.rsplit('.', 1)[1]}`](#{e.anchor})" for e in rest if e.toc]
        if names:
            out.append("  - " + ", ".join(names))
    out.append("")
    for _, entries in sections:
        for e in entries:
            out += ["#" * e.level + f" `{e.title}`", ""]
            out += [_link(ln, anchors) for ln in e.lines]
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _link(line: str, anchors: dict[str, str]) -> str:
    """Fill the ``(#{dotted.name})`` placeholders with the anchors of those headings."""
    def fill(m: re.Match) -> str:
        return f"(#{anchors[m.group(1)]})" if m.group(1) in anchors else m.group(0)

    return re.sub(r"\(#\{([\w.]+)\}\)", fill, line)


# ---------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/api.md from nnumpy's docstrings.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date; write nothing")
    parser.add_argument("--output", type=Path, default=API_MD,
                        help="the file to write or check (default docs/api.md)")
    args = parser.parse_args(argv)
    text = render()
    path: Path = args.output
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            print(f"{path} is out of date: run {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))  # document this checkout, installed or not
    sys.exit(main())

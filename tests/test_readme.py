"""README.md, README.ko.md and docs/ keep their promises.

The README gives the two commands (the second is what ``.ci/run`` runs), stays short and
points to docs/; every page has a Korean twin with the same code and headings; every
relative link resolves; every pasted output is one that a test here checks (a code block
followed by "Output:" runs and must print what the page shows). A failure names the page
and what to fix there.

The benchmark block (between the ``BENCHMARK`` markers of docs/performance.md and its
twin) is left out of the comparisons of the two languages:
``benchmarks/bench_mlp.py --update-readme`` rewrites it with tables and headings of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest
from _numbers import masked, numbers_that_differ

from nnumpy import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_KO = ROOT / "README.ko.md"
DOCS = ROOT / "docs"
DOCS_KO = DOCS / "ko"
CLI_MD = DOCS / "cli.md"
PERFORMANCE = [DOCS / "performance.md", DOCS_KO / "performance.md"]
CI_RUN = ROOT / ".ci" / "run"

MAIN_JOB = 'pip install -e ".[all]" && nnumpy train'
TEST_JOB = 'pip install -e ".[test]" && python -m pytest -W error -n 2 -q'
BENCH_START, BENCH_END = "<!-- BENCHMARK:START -->", "<!-- BENCHMARK:END -->"
README_MAX_LINES = 250
# Pages generated rather than written, whose Korean twin is not compared block by block
# (none now: the API reference is docs/reference/, rendered by mkdocstrings).
GENERATED: set[str] = set()
# Pages whose "Output:" blocks run here. docs/custom-layer.md's run in tests/test_check_layer.py.
PAGES_WITH_OUTPUT = [README, DOCS / "tour.md"]

FENCE_RE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
LINK_RE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_SRC_RE = re.compile(r"<(?:img|a|source)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)
OUTPUT_RE = re.compile(r"```python\n((?:(?!```).)*)```\n\nOutput:\n\n```text\n(.*?)\n```", re.S)


def _docs_pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.md"))


ALL_PAGES = [README, README_KO, *_docs_pages(DOCS), *_docs_pages(DOCS_KO)]
PAIRS = [(README, README_KO)] + [(p, DOCS_KO / p.name) for p in _docs_pages(DOCS) if p.name not in GENERATED]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _pair_id(pair) -> str:
    return _rel(pair[0])


# ---------------------------------------------------------------------------- helpers
def _read(path: Path) -> str:
    if not path.is_file():
        pytest.fail(f"{_rel(path)} is missing")
    return path.read_text(encoding="utf-8")


def code_blocks(text: str) -> list[str]:
    """Fenced code blocks (with their fences), in order."""
    return [m.group(0) for m in FENCE_RE.finditer(text)]


def shell_commands(text: str) -> list[str]:
    """Lines of the ```bash blocks that are commands (comments and blank lines left out)."""
    out = []
    for block in code_blocks(text):
        if block.startswith(("```bash", "```sh")):
            for line in block.split("\n")[1:-1]:
                if line.strip() and not line.lstrip().startswith("#"):
                    out.append(line.strip())
    return out


def without_code(text: str) -> str:
    return FENCE_RE.sub("", text)


def without_benchmark_block(text: str) -> str:
    i, j = text.find(BENCH_START), text.find(BENCH_END)
    return text[:i] + text[j:] if 0 <= i < j else text


def headings(text: str) -> list[int]:
    """The level of each heading (outside code blocks), in order."""
    return [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) \S", without_code(text), re.M)]


def relative_targets(text: str) -> list[str]:
    """Link and image targets that name a file of the repository (no URL, no #anchor)."""
    prose = without_code(text)
    targets = LINK_RE.findall(prose) + HTML_SRC_RE.findall(prose)
    out = []
    for t in targets:
        if re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) or t.startswith("#"):
            continue  # http:, https:, mailto: or a heading on the same page
        out.append(t.split("#", 1)[0])
    return out


def missing_targets(text: str, base: Path) -> list[str]:
    return [t for t in relative_targets(text) if not (base / t).exists()]


def pytest_line(ci_script: str) -> str:
    lines = [ln.strip() for ln in ci_script.splitlines()
             if re.match(r"^\s*python3? -m pytest\b", ln)]
    if len(lines) != 1:
        pytest.fail(f".ci/run should run pytest exactly once, found {len(lines)} pytest lines")
    return lines[0]


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def run_output_blocks(text: str, name: str) -> list[tuple[str, str]]:
    """Run the page's code blocks that have an "Output:" block, in one namespace; (expected, got) pairs."""
    ns: dict = {"__name__": "docs_page"}
    pairs = []
    for code, expected in OUTPUT_RE.findall(text):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, name, "exec"), ns)
        pairs.append((expected, buf.getvalue().rstrip("\n")))
    return pairs


def hangul_share(text: str) -> float:
    """Hangul syllables among the letters of the prose (code blocks and `code` spans left out)."""
    prose = re.sub(r"`[^`\n]*`", "", without_code(text))
    prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets
    hangul = len(re.findall(r"[\uac00-\ud7a3]", prose))
    latin = len(re.findall(r"[A-Za-z]", prose))
    return hangul / max(1, hangul + latin)


# ---------------------------------------------------------------------------- the two commands
def test_readme_first_two_commands_are_the_main_job_and_the_tests():
    cmds = shell_commands(_read(README))
    assert cmds[:2] == [MAIN_JOB, TEST_JOB], (
        f"README.md's first two shell commands must be exactly {MAIN_JOB!r} and {TEST_JOB!r}; got {cmds[:2]}"
    )


def test_readme_test_command_equals_the_pytest_line_of_ci_run():
    readme_test = shell_commands(_read(README))[1].split(" && ", 1)[-1]
    ci = pytest_line(_read(CI_RUN))
    assert shlex.split(readme_test) == shlex.split(ci), (
        f"README.md runs {readme_test!r} but .ci/run runs {ci!r}: keep the two the same"
    )


def test_readme_ko_has_the_same_two_commands():
    assert shell_commands(_read(README_KO))[:2] == [MAIN_JOB, TEST_JOB]


@pytest.mark.parametrize("path", [README, README_KO], ids=lambda p: p.name)
def test_readme_is_short(path):
    n = len(_read(path).splitlines())
    assert n <= README_MAX_LINES, (
        f"{path.name} has {n} lines; keep it under {README_MAX_LINES} and move the rest to a page in docs/"
    )


# ---------------------------------------------------------------------------- placeholders, markers
@pytest.mark.parametrize("path", [p for p in ALL_PAGES if p.name not in GENERATED or p.parent == DOCS_KO], ids=_rel)
def test_page_has_no_placeholder_comments(path):
    text = _read(path).replace(BENCH_START, "").replace(BENCH_END, "")
    left = re.findall(r"<!--.*?(?:-->|$)", text, re.M)
    assert not left, f"{_rel(path)} still has HTML comments (say it in prose, or drop it): {left}"


@pytest.mark.parametrize("path", PERFORMANCE, ids=_rel)
def test_performance_page_has_one_benchmark_block_for_bench_mlp(path):
    # bench_mlp.py --update-readme replaces what lies between the first START and the
    # first END after it; a second copy of a marker would make it write in the wrong place.
    text = _read(path)
    assert text.count(BENCH_START) == 1 and text.count(BENCH_END) == 1, (
        f"{_rel(path)} needs exactly one {BENCH_START} and one {BENCH_END}"
    )
    assert text.index(BENCH_START) < text.index(BENCH_END)


@pytest.mark.parametrize("path", [p for p in ALL_PAGES if p not in PERFORMANCE], ids=_rel)
def test_only_the_performance_pages_have_a_benchmark_block(path):
    text = _read(path)
    assert BENCH_START not in text and BENCH_END not in text, (
        f"{_rel(path)} has a benchmark marker: the block lives in docs/performance.md and its twin"
    )


def test_benchmark_markers_match_bench_mlp():
    src = _read(ROOT / "benchmarks" / "bench_mlp.py")
    assert f'"{BENCH_START}"' in src and f'"{BENCH_END}"' in src, (
        "benchmarks/bench_mlp.py writes between other markers than docs/performance.md has"
    )


# ---------------------------------------------------------------------------- links and pictures
@pytest.mark.parametrize("path", ALL_PAGES, ids=_rel)
def test_page_relative_links_and_images_exist(path):
    text = _read(path)
    missing = missing_targets(text, path.parent)
    assert not missing, f"{_rel(path)} links to files that do not exist: {missing}"


def test_readme_links_to_every_docs_page():
    targets = set(relative_targets(_read(README)))
    missing = [_rel(p) for p in _docs_pages(DOCS) if _rel(p) not in targets]
    assert not missing, f"README.md's 'Where to go next' does not link {missing}"


def test_readme_embeds_the_training_curves():
    images = [t for t in relative_targets(_read(README)) if t.endswith((".png", ".gif"))]
    assert "docs/curves.png" in images


@pytest.mark.parametrize("path", ALL_PAGES, ids=_rel)
def test_page_pictures_are_small(path):
    for t in relative_targets(_read(path)):
        if t.endswith((".png", ".gif")):
            size = (path.parent / t).stat().st_size
            assert size < 1_000_000, f"{_rel(path)} shows {t}, {size:,} bytes; keep pictures under 1 MB"


def test_link_checker_finds_a_missing_file(tmp_path):
    (tmp_path / "here.png").write_bytes(b"")
    text = ("[ok](here.png) ![gone](docs/gone.png) [web](https://example.org/x.png) [top](#top)\n"
            '<img src="also-gone.gif">\n```\n[in code](not-checked.md)\n```\n')
    assert missing_targets(text, tmp_path) == ["docs/gone.png", "also-gone.gif"]


# ---------------------------------------------------------------------------- the translations
def test_every_docs_page_has_a_korean_twin_and_back():
    en = {p.name for p in _docs_pages(DOCS)}
    ko = {p.name for p in _docs_pages(DOCS_KO)}
    assert en - ko == set(), f"docs/ pages without a Korean twin in docs/ko/: {sorted(en - ko)}"
    assert ko - en == set(), f"docs/ko/ pages with no English original in docs/: {sorted(ko - en)}"


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_twins_link_to_each_other(pair):
    en, ko = pair
    assert any((en.parent / t).resolve() == ko for t in relative_targets(_read(en))), (
        f"{_rel(en)} does not link to its Korean twin {_rel(ko)}"
    )
    assert any((ko.parent / t).resolve() == en for t in relative_targets(_read(ko))), (
        f"{_rel(ko)} does not link back to {_rel(en)}"
    )


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_twins_have_the_same_code_blocks_in_the_same_order(pair):
    en = code_blocks(without_benchmark_block(_read(pair[0])))
    ko = code_blocks(without_benchmark_block(_read(pair[1])))
    assert len(en) == len(ko), f"{_rel(pair[0])} has {len(en)} code blocks, {_rel(pair[1])} {len(ko)}"
    for i, (a, b) in enumerate(zip(en, ko), start=1):
        assert a == b, f"code block {i} differs between {_rel(pair[0])} and {_rel(pair[1])}:\n{a[:300]}\n---\n{b[:300]}"


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_twins_have_the_same_heading_structure(pair):
    en = headings(without_benchmark_block(_read(pair[0])))
    ko = headings(without_benchmark_block(_read(pair[1])))
    assert en == ko, f"heading levels differ: {_rel(pair[0])} {en}, {_rel(pair[1])} {ko}"


@pytest.mark.parametrize("path", [README_KO, *_docs_pages(DOCS_KO)], ids=_rel)
def test_korean_pages_are_written_in_korean(path):
    share = hangul_share(without_benchmark_block(_read(path)))
    assert share > 0.3, f"only {share:.0%} of {_rel(path)}'s prose letters are Hangul: is it translated?"


def test_twin_comparison_sees_a_changed_code_block_and_heading():
    text = "# t\n\n## a\n\n```bash\necho 1\n```\n"
    assert code_blocks(text) != code_blocks(text.replace("echo 1", "echo 2"))
    assert headings(text) == [1, 2]
    assert headings(text + "\n### b\n") != headings(text)
    assert headings("# t\n## a\n### b\n## c\n") != headings("# t\n## a\n## c\n### b\n")


# ---------------------------------------------------------------------------- pasted outputs
@pytest.mark.parametrize("path", PAGES_WITH_OUTPUT, ids=_rel)
def test_page_outputs_match_a_fresh_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the pages' code writes files (best.safetensors, ...) into its folder
    pairs = run_output_blocks(_read(path), _rel(path))
    assert pairs, f"{_rel(path)} has no code block followed by 'Output:' (is the pattern broken?)"
    for expected, got in pairs:
        assert masked(got) == masked(expected), f"{_rel(path)} is stale; a fresh run prints:\n{got}"
        bad = numbers_that_differ(expected, got)
        assert not bad, f"{_rel(path)}: numbers differ (page, fresh run): {bad}"


@pytest.mark.parametrize("path", ALL_PAGES, ids=_rel)
def test_page_pastes_no_output_that_no_test_checks(path):
    # A ```text block right after a ```python block is a pasted output; only the pages of
    # PAGES_WITH_OUTPUT (and the tutorial, checked by tests/test_check_layer.py) may have one,
    # and there only after "Output:" (or, in Korean, "출력:"), which the runner finds.
    text = _read(path)
    unchecked = re.findall(r"```python\n(?:(?!```).)*```\n\n```text", text, re.S)
    assert not unchecked, f"{_rel(path)} pastes an output without an 'Output:' label that a test could check"
    if "Output:" in text or "출력:" in text:
        en = README if path == README_KO else DOCS / path.name if path.parent == DOCS_KO else path
        assert en in PAGES_WITH_OUTPUT or en.name == "custom-layer.md", (
            f"{_rel(path)} pastes outputs, but no test runs its code: add it to PAGES_WITH_OUTPUT"
        )


def test_output_comparison_can_fail():
    assert numbers_that_differ("err 2.6e-10 at 0.682613", "err 3.1e-10 at 0.682613") == []
    assert numbers_that_differ("loss 2.3249", "loss 2.3349") == [("2.3249", "2.3349")]
    assert masked("step 0  loss 2.3249") == masked("step 1  loss 9.9")
    assert masked("True") != masked("False")
    pairs = run_output_blocks("```python\nprint(1 + 1)\n```\n\nOutput:\n\n```text\n3\n```\n", "t")
    assert pairs == [("3", "2")] and numbers_that_differ(*pairs[0])


# ---------------------------------------------------------------------------- the command line
def test_cli_page_documents_every_subcommand():
    commands = subparsers(cli._parser())
    assert {"train", "evaluate", "predict", "datasets", "info", "gradcheck"} <= set(commands)
    text = _read(CLI_MD)
    blocks = "\n".join(code_blocks(text))
    for cmd in commands:
        assert f"## `nnumpy {cmd}`" in text, f"docs/cli.md has no '## `nnumpy {cmd}`' section"
        assert re.search(rf"^\$ nnumpy {cmd}\b", blocks, re.M), (
            f"docs/cli.md shows no run of 'nnumpy {cmd}' ('$ nnumpy {cmd} ...' in a code block)"
        )


def test_cli_page_names_every_option():
    text = without_code(_read(CLI_MD))
    missing = []
    for cmd, sub in subparsers(cli._parser()).items():
        for action in sub._actions:
            longs = [o for o in action.option_strings if o.startswith("--") and o not in ("--help", "--debug")]
            if longs and not any(f"`{o}" in text for o in longs):
                missing.append(f"nnumpy {cmd} {longs[0]}")
    assert not missing, f"docs/cli.md does not describe these options: {missing}"


@pytest.mark.parametrize("flag", ["--resume", "--plots", "--trace", "--config"])
def test_cli_page_shows_a_run_of_train_with(flag):
    runs = re.findall(r"^\$ nnumpy train\b.*$", "\n".join(code_blocks(_read(CLI_MD))), re.M)
    assert any(flag in r.split() for r in runs), f"docs/cli.md shows no '$ nnumpy train ... {flag}' run"


def test_cli_page_predict_shows_npy_idx_and_png_inputs():
    runs = re.findall(r"^\$ nnumpy predict\b.*$", "\n".join(code_blocks(_read(CLI_MD))), re.M)
    files = " ".join(runs)
    assert ".npy" in files and "-ubyte" in files and ".png" in files, runs

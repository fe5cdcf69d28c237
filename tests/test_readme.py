"""README.md and README.ko.md keep their promises: the two commands, real links, one translation.

A failure names the README and what to fix there. The benchmark block (between the
``BENCHMARK`` markers) is left out of the comparisons of the two READMEs:
``benchmarks/bench_mlp.py --update-readme`` rewrites it in README.md with tables and
headings of its own.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from nnumpy import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_KO = ROOT / "README.ko.md"
CI_RUN = ROOT / ".ci" / "run"

MAIN_JOB = 'pip install -e ".[all]" && nnumpy train'
TEST_JOB = 'pip install -e ".[test]" && python -m pytest -W error -n 2 -q'
BENCH_START, BENCH_END = "<!-- BENCHMARK:START -->", "<!-- BENCHMARK:END -->"

FENCE_RE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
LINK_RE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_SRC_RE = re.compile(r"<(?:img|a|source)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)


# ---------------------------------------------------------------------------- helpers
def _read(path: Path) -> str:
    if not path.is_file():
        pytest.fail(f"{path.name} is missing")
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


def headings(text: str) -> dict[int, int]:
    """How many headings of each level (outside code blocks)."""
    counts: dict[int, int] = {}
    for m in re.finditer(r"^(#{1,6}) \S", without_code(text), re.M):
        counts[len(m.group(1))] = counts.get(len(m.group(1)), 0) + 1
    return counts


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


def subcommands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


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


# ---------------------------------------------------------------------------- placeholders, markers
@pytest.mark.parametrize("path", [README, README_KO], ids=lambda p: p.name)
def test_readme_has_no_placeholder_comments(path):
    text = _read(path).replace(BENCH_START, "").replace(BENCH_END, "")
    left = re.findall(r"<!--.*?(?:-->|$)", text, re.M)
    assert not left, f"{path.name} still has placeholder comments: {left}"


@pytest.mark.parametrize("path", [README, README_KO], ids=lambda p: p.name)
def test_readme_has_one_benchmark_block_for_bench_mlp(path):
    # bench_mlp.py --update-readme replaces what lies between the first START and the
    # first END after it; a second copy of a marker would make it write in the wrong place.
    text = _read(path)
    assert text.count(BENCH_START) == 1 and text.count(BENCH_END) == 1, (
        f"{path.name} needs exactly one {BENCH_START} and one {BENCH_END}"
    )
    assert text.index(BENCH_START) < text.index(BENCH_END)


def test_readme_benchmark_markers_match_bench_mlp():
    src = _read(ROOT / "benchmarks" / "bench_mlp.py")
    assert f'"{BENCH_START}"' in src and f'"{BENCH_END}"' in src, (
        "benchmarks/bench_mlp.py writes between other markers than the READMEs have"
    )


# ---------------------------------------------------------------------------- links
@pytest.mark.parametrize("path", [README, README_KO], ids=lambda p: p.name)
def test_readme_relative_links_and_images_exist(path):
    text = _read(path)
    assert relative_targets(text), f"{path.name} has no relative links at all (is the parser broken?)"
    missing = missing_targets(text, path.parent)
    assert not missing, f"{path.name} links to files that do not exist: {missing}"


def test_readme_embeds_the_training_curves_and_a_decision_boundary():
    images = [t for t in relative_targets(_read(README)) if t.endswith((".png", ".gif"))]
    assert "docs/curves.png" in images
    assert any("boundary" in t for t in images), f"no decision-boundary picture among {images}"


def test_readme_pictures_are_small():
    for t in relative_targets(_read(README)):
        if t.endswith((".png", ".gif")):
            size = (ROOT / t).stat().st_size
            assert size < 1_000_000, f"{t} is {size:,} bytes; keep pictures under 1 MB"


def test_readme_link_checker_finds_a_missing_file(tmp_path):
    (tmp_path / "here.png").write_bytes(b"")
    text = ("[ok](here.png) ![gone](docs/gone.png) [web](https://example.org/x.png) [top](#top)\n"
            '<img src="also-gone.gif">\n```\n[in code](not-checked.md)\n```\n')
    assert missing_targets(text, tmp_path) == ["docs/gone.png", "also-gone.gif"]


# ---------------------------------------------------------------------------- the translation
def test_readme_ko_links_back_to_readme():
    assert "README.md" in relative_targets(_read(README_KO))


def test_readme_ko_has_the_same_code_blocks_in_the_same_order():
    en = code_blocks(without_benchmark_block(_read(README)))
    ko = code_blocks(without_benchmark_block(_read(README_KO)))
    assert len(en) == len(ko), f"README.md has {len(en)} code blocks, README.ko.md {len(ko)}"
    for i, (a, b) in enumerate(zip(en, ko), start=1):
        assert a == b, f"code block {i} differs between README.md and README.ko.md:\n{a[:300]}\n---\n{b[:300]}"


def test_readme_ko_has_the_same_headings_structure():
    en = headings(without_benchmark_block(_read(README)))
    ko = headings(without_benchmark_block(_read(README_KO)))
    assert en == ko, f"heading counts per level differ: README.md {en}, README.ko.md {ko}"


def test_readme_ko_is_written_in_korean():
    prose = without_code(_read(README_KO))
    hangul = len(re.findall(r"[\uac00-\ud7a3]", prose))
    assert hangul > 2000, f"README.ko.md's prose has only {hangul} Hangul syllables: is it translated?"


def test_readme_comparison_sees_a_changed_code_block():
    text = "# t\n\n## a\n\n```bash\necho 1\n```\n"
    other = text.replace("echo 1", "echo 2")
    assert code_blocks(text) != code_blocks(other)
    assert headings(text) == {1: 1, 2: 1}
    assert headings(text + "\n### b\n") != headings(text)


# ---------------------------------------------------------------------------- the command line
def test_readme_documents_every_cli_subcommand():
    parser = cli._parser()
    commands = subcommands(parser)
    assert {"train", "evaluate", "predict", "datasets", "info", "gradcheck"} <= set(commands)
    text = _read(README)
    blocks = "\n".join(code_blocks(text))
    for cmd in commands:
        assert f"### `nnumpy {cmd}`" in text, f"README.md has no '### `nnumpy {cmd}`' section"
        assert re.search(rf"^\$ nnumpy {cmd}\b", blocks, re.M), (
            f"README.md shows no run of 'nnumpy {cmd}' ('$ nnumpy {cmd} ...' in a code block)"
        )


@pytest.mark.parametrize("flag", ["--resume", "--plots", "--trace", "--config"])
def test_readme_shows_a_run_of_train_with(flag):
    runs = re.findall(r"^\$ nnumpy train\b.*$", "\n".join(code_blocks(_read(README))), re.M)
    assert any(flag in r.split() for r in runs), f"README.md shows no '$ nnumpy train ... {flag}' run"


def test_readme_predict_shows_npy_idx_and_png_inputs():
    runs = re.findall(r"^\$ nnumpy predict\b.*$", "\n".join(code_blocks(_read(README))), re.M)
    files = " ".join(runs)
    assert ".npy" in files and "-ubyte" in files and ".png" in files, runs

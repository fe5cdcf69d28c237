"""The learner-bug catalogue: every bug of bugs.py is caught and named (its diagnosis code first,
with the words of the fix, in English and Korean), and every correct version passes (0 false
alarms), the book's global-RNG Dropout and log(p + 1e-7) BCE included."""

from __future__ import annotations

import re

import numpy as np
import pytest

from nnumpy.check._diagnoses import CODES

from .bugs import BUGS, CORRECT, run

_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_catalogue_is_large_enough():
    makers = {type(case.make()).__name__ for case in CORRECT}
    assert len(BUGS) >= 60 and len(makers) >= 20, (len(BUGS), len(makers))
    assert len({b.name for b in BUGS}) == len(BUGS)
    assert {b.code for b in BUGS} <= set(CODES)


@pytest.mark.parametrize("case", CORRECT, ids=lambda c: c.name)
def test_catalogue_correct_version_passes(case):
    state = np.random.get_state()
    report = run(case)
    assert report.ok, report
    assert report.diagnoses == []
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:], "the global RNG was left changed"


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.name)
def test_catalogue_bug_is_caught_and_named(bug):
    report = run(bug)
    assert not report.ok, f"{bug.name} not caught:\n{report}"
    first = report.diagnoses[0]
    assert first.code == bug.code, f"{bug.name}: expected {bug.code}, got {[d.code for d in report.diagnoses]}\n{report}"
    assert bug.words in first.text, f"{bug.name}: {bug.words!r} not in {first.text!r}"
    assert f"[{bug.code}]" in str(report)


@pytest.mark.parametrize("bug", BUGS[::7], ids=lambda b: b.name)
def test_catalogue_bug_is_named_in_korean(bug):
    report = run(bug, lang="ko")
    first = report.diagnoses[0]
    assert first.code == bug.code and first.lang == "ko"
    assert _HANGUL.search(first.text) and _HANGUL.search(first.title), first.text
    assert first.text_in("en") != first.text
    assert f"힌트 [{bug.code}]" in str(report)


def test_catalogue_counts(capsys):
    caught = named = 0
    for bug in BUGS:
        report = run(bug)
        caught += not report.ok
        named += bool(report.diagnoses) and report.diagnoses[0].code == bug.code
    false_alarms = sum(not run(case).ok for case in CORRECT)
    with capsys.disabled():
        print(f"\nlearner bugs: {len(BUGS)} variants of {len({type(c.make()).__name__ for c in CORRECT})} correct "
              f"layers and losses; caught {caught}/{len(BUGS)}, named {named}/{len(BUGS)}, "
              f"false alarms {false_alarms}/{len(CORRECT)}")
    assert caught == named == len(BUGS) and false_alarms == 0


def test_catalogue_guide_explains_every_code_seed_bugs_first():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    for page in (root / "docs" / "debugging-backward.md", root / "docs" / "ko" / "debugging-backward.md"):
        text = page.read_text(encoding="utf-8")
        missing = [code for code in CODES if f"`{code}`" not in text]
        assert not missing, f"{page.name} does not explain {missing}"
        seeds = [f"### `{b.code}`" for b in BUGS[:4]]
        assert [text.index(s) for s in seeds] == sorted(text.index(s) for s in seeds)
        assert text.index(seeds[-1]) < text.index("`params-changed`:")

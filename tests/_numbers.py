"""Comparing a pasted output with a fresh run: the words exactly, the numbers to 4 significant digits.

Used by the tests that check the outputs pasted in the docs (tests/test_readme.py) and in the
custom-layer tutorial (tests/check/test_check_layer.py).
"""

from __future__ import annotations

import re

NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def masked(text: str) -> str:
    """The text with every number replaced, to compare the words and the layout."""
    return NUMBER_RE.sub("#", text)


def numbers_that_differ(expected: str, got: str) -> list[tuple[str, str]]:
    """Pairs of numbers that differ: equal to 4 significant digits, or both below 1e-6, is the same.

    Numbers below 1e-6 are central-difference rounding (errors of ~1e-10) whose digits
    depend on the BLAS build; anything larger a page quotes must be what the code prints.
    """
    bad = []
    for e, g in zip(NUMBER_RE.findall(expected), NUMBER_RE.findall(got)):
        fe, fg = float(e), float(g)
        if abs(fe) < 1e-6 and abs(fg) < 1e-6:
            continue
        if abs(fe - fg) > 1e-4 * max(abs(fe), abs(fg)):
            bad.append((e, g))
    return bad

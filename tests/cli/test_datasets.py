"""``nnumpy datasets``: the table of data sets."""

from __future__ import annotations

from nnumpy.cli import main


def test_datasets_lists_available(capsys):
    assert main(["datasets"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:3] == ["name", "kind", "present"]
    for name in ("mnist-sample", "iris", "digits", "fashion-mnist"):
        assert name in text

"""``nnumpy.cli.ascii_chart``: the text charts printed after training."""

from __future__ import annotations

from nnumpy import cli


def test_ascii_chart_layout():
    text = cli.ascii_chart("loss", [("train", [3.0, 2.0, 1.0], "o"), ("test", [3.0, 2.5, 2.0], "x")], height=5)
    lines = text.splitlines()
    assert lines[0] == "loss  (o train, x test, # both)"
    assert lines[1] == "   3.000 |#"  # both series start at the top-left
    assert lines[5].endswith("o") and lines[5].startswith("   1.000 |")
    assert lines[6] == "         +-------"
    assert lines[7].split() == ["1", "3", "epoch"]
    assert cli.ascii_chart("x", [("a", [], "o")]).endswith("no data")
    assert "nan" not in cli.ascii_chart("x", [("a", [1.0, float("nan"), 2.0], "o")])

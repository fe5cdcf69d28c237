"""``nnumpy gradcheck``: the user's layer file, checked or refused with one line."""

from __future__ import annotations

import pytest

from nnumpy.cli import main

from ._helpers import assert_one_line_error


LAYER_SRC = '''
import numpy as np
from nnumpy.nn import Module, Parameter

class Scale(Module):
    def __init__(self, n=3):
        super().__init__()
        self.weight = Parameter(np.linspace(0.5, 1.5, n))
    def forward(self, x):
        self.x = x
        return x * self.weight.data
    def backward(self, g):
        self.weight.accumulate((g * self.x).sum(axis=0))
        return g * self.weight.data

class BadScale(Scale):
    def backward(self, g):
        self.weight.accumulate((g * self.x).mean(axis=0))  # missing the sum over the batch
        return g * self.weight.data
'''


def test_gradcheck_user_layer_ok_and_failing(tmp_path, capsys):
    f = tmp_path / "my_layer.py"
    f.write_text(LAYER_SRC)
    assert main(["gradcheck", f"{f}:Scale", "--input-shape", "4,3"]) == 0
    assert "check_layer(Scale) on input shape (4, 3): OK" in capsys.readouterr().out
    assert main(["gradcheck", f"{f}:Scale", "--input-shape", "2,5", "--args", '{"n": 5}']) == 0
    capsys.readouterr()
    assert main(["gradcheck", f"{f}:BadScale", "--input-shape", "4,3"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "hint [extra-division]:" in out and "not the mean" in out


def test_gradcheck_lang_ko_names_the_bug_in_korean(tmp_path, capsys):
    f = tmp_path / "my_layer.py"
    f.write_text(LAYER_SRC)
    assert main(["gradcheck", f"{f}:BadScale", "--input-shape", "4,3", "--lang", "ko"]) == 1
    out = capsys.readouterr().out
    assert "실패" in out and "힌트 [extra-division]:" in out and "평균이 아니라 합" in out
    assert main(["gradcheck", f"{f}:Scale", "--input-shape", "4,3", "--lang", "ko"]) == 0
    assert "통과" in capsys.readouterr().out


@pytest.mark.parametrize(
    "source, target, code, message",
    [
        (LAYER_SRC, "Missing", 1, "defines no 'Missing'; classes found: BadScale, Scale"),
        ("def broken(:\n", "X", 1, "importing"),
        ("raise RuntimeError('boom')\n", "X", 1, "RuntimeError: boom"),
        ("class X:\n    pass\n", "X", 1, "is not an nnumpy.nn.Module subclass"),
        (LAYER_SRC, "Scale --args [1,2,3]", 1, "Scale(...) raised TypeError"),
    ],
)
def test_gradcheck_bad_user_file(tmp_path, capsys, source, target, code, message):
    f = tmp_path / "layer.py"
    f.write_text(source)
    cls, *rest = target.split()
    got = main(["gradcheck", f"{f}:{cls}", "--input-shape", "4,3", *rest])
    err = capsys.readouterr().err
    assert_one_line_error(got, err, code)
    assert message in err

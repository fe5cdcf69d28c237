"""``nnumpy info``: what a model or checkpoint file holds."""

from __future__ import annotations

import nnumpy
from nnumpy.cli import main


def test_info_model_and_checkpoint(iris_run, capsys):
    assert main(["info", str(iris_run / "model.safetensors")]) == 0
    text = capsys.readouterr().out
    assert "format        nnumpy.model" in text
    assert "parameters    131" in text
    assert "dtype         float32" in text
    assert f"nnumpy        {nnumpy.__version__}" in text
    assert "(1) Linear(in_features=4, out_features=16, bias=True)" in text
    assert "dataset       iris" in text
    assert main(["info", str(iris_run / "checkpoint.safetensors")]) == 0
    assert "position      epoch 5" in capsys.readouterr().out

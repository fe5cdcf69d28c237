"""``nnumpy export``: a model file becomes an ONNX model that onnxruntime runs like nnumpy."""

from __future__ import annotations

import numpy as np
import pytest

import nnumpy
from nnumpy import io, nn
from nnumpy.cli import main

from ._helpers import assert_one_line_error

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def _run_onnx(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def test_export_trained_model_runs_in_onnxruntime(iris_run, tmp_path, capsys):
    model_path = iris_run / "model.safetensors"
    out = tmp_path / "iris.onnx"
    assert main(["export", str(model_path), str(out)]) == 0
    assert f"wrote {out}: ONNX opset 17" in capsys.readouterr().out
    x = np.random.default_rng(0).normal(size=(17, 4)).astype(np.float32)
    expected = nnumpy.load(model_path).eval()(x)
    assert np.max(np.abs(_run_onnx(out, x) - expected)) <= 1e-5


def test_export_conv_model_needs_and_takes_input_shape(tmp_path, capsys):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 3, rng=1))
    path = nnumpy.save(model, tmp_path / "cnn.safetensors")
    out = tmp_path / "cnn.onnx"
    code = main(["export", str(path), str(out)])  # no input shape stored, first layer not Linear
    err = capsys.readouterr().err
    assert_one_line_error(code, err, 2)
    assert "pass --input-shape" in err
    assert main(["export", str(path), str(out), "--input-shape", "1,1,8,8", "--opset", "20"]) == 0
    assert "ONNX opset 20" in capsys.readouterr().out
    x = np.random.default_rng(1).normal(size=(5, 1, 8, 8)).astype(np.float32)
    assert np.max(np.abs(_run_onnx(out, x) - model.eval()(x))) <= 1e-5


class _Twice(nn.Module):
    def forward(self, x):
        return 2 * x


@pytest.mark.parametrize(
    "argv, expected_code, text",
    [
        (["export", "{missing}", "{out}"], 1, "no such file"),
        (["export", "{model}", "{out}", "--input-shape", "a,b"], 2, "--input-shape"),
        (["export", "{model}", "{out}", "--opset", "9"], 2, "--opset must be 13 or later"),
        (["export", "{model}", "{out}", "--input-shape", "1,5"], 1, "Linear"),
        (["export", "{user}", "{out}"], 1, "cannot export"),
    ],
    ids=["missing-file", "bad-shape", "old-opset", "wrong-width", "user-layer"],
)
def test_export_errors_are_one_line(iris_run, tmp_path, capsys, argv, expected_code, text):
    io.register(_Twice)
    try:
        user = nnumpy.save(nn.Sequential(nn.Linear(4, 4, rng=0), _Twice()), tmp_path / "user.safetensors")
        names = {"missing": str(tmp_path / "nope.safetensors"), "out": str(tmp_path / "m.onnx"),
                 "model": str(iris_run / "model.safetensors"), "user": str(user)}
        code = main([a.format(**names) for a in argv])
    finally:
        io.unregister(_Twice)
    err = capsys.readouterr().err
    assert_one_line_error(code, err, expected_code)
    assert text.lower() in err.lower()
    assert not (tmp_path / "m.onnx").exists()

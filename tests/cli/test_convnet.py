"""``nnumpy train --model convnet`` and conv layers in a TOML config, then ``predict`` and
``evaluate`` with the conv model (issue 11, item 3)."""

from __future__ import annotations

import numpy as np
import pytest

import nnumpy
from nnumpy import datasets, nn
from nnumpy.cli import main
from nnumpy.cli._config import build_model, convnet_layers, first_width, load_toml, parse_config

from ._helpers import assert_one_line_error, run_quiet

TINY = ["--limit", "300", "--epochs", "2", "--batch-size", "50", "--lr", "0.1", "--no-progress", "--quiet"]

CONV_TOML = """
[train]
dataset = "mnist-sample"
[[model.layers]]
type = "Conv2d"
in_channels = 1
out_channels = 4
kernel_size = [3, 3]
stride = [1, 1]
padding = 1
[[model.layers]]
type = "ReLU"
[[model.layers]]
type = "MaxPool2d"
kernel_size = [2, 2]
[[model.layers]]
type = "Flatten"
[[model.layers]]
type = "Linear"
in_features = {flat}
out_features = 10
"""


@pytest.fixture(scope="module")
def convnet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("convnet") / "run"
    code, stdout, err = run_quiet(["train", "--model", "convnet", *TINY, "--out", str(out)])
    assert code == 0, err
    return out, stdout


def test_convnet_train_builds_the_books_simple_convnet(convnet_run):
    out, stdout = convnet_run
    model = nnumpy.load(out / "model.safetensors")
    assert [type(m).__name__ for m in model] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Linear"]
    conv, fc1, fc2 = model[0], model[4], model[6]
    assert (conv.in_channels, conv.out_channels, conv.kernel_size) == (1, 30, (5, 5))
    assert model[2].kernel_size == (2, 2)
    assert (fc1.in_features, fc1.out_features, fc2.out_features) == (4320, 100, 10)  # 30·12·12
    assert "test accuracy" in stdout


def test_convnet_run_toml_records_the_layers_and_replays_them(convnet_run, tmp_path):
    out, _ = convnet_run
    doc = load_toml(out / "run.toml")
    assert [t["type"] for t in doc["model"]["layers"]][:3] == ["Conv2d", "ReLU", "MaxPool2d"]
    replay = tmp_path / "replay"
    code, _, err = run_quiet(["train", "--config", str(out / "run.toml"), "--out", str(replay), "--quiet"])
    assert code == 0, err
    a, b = nnumpy.load(out / "model.safetensors"), nnumpy.load(replay / "model.safetensors")
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert np.array_equal(x, y), k  # same seed, same layers, same batches: the same weights


def test_convnet_predict_png_and_npy(convnet_run, tmp_path, capsys):
    from PIL import Image

    out, _ = convnet_run
    X, _ = datasets.load("mnist-sample", split="test")
    png, one, batch, flat = (tmp_path / n for n in ("digit.png", "one.npy", "batch.npy", "flat.npy"))
    Image.fromarray((X[0, 0] * 255).astype(np.uint8)).save(png)
    np.save(one, X[0, 0])  # (28, 28)
    np.save(batch, X[:3])  # (3, 1, 28, 28)
    np.save(flat, X[:2].reshape(2, -1))  # (2, 784)
    model_file = str(out / "model.safetensors")
    assert main(["predict", model_file, str(png), str(one), str(batch), str(flat)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ": class " in ln]
    assert len(lines) == 1 + 1 + 3 + 2
    # the .npy views of the same image give the model's own prediction
    model = nnumpy.load(model_file)
    expected = int(model(X[:1]).argmax())
    assert lines[1].startswith(f"{one}: class {expected} ")
    assert lines[2].startswith(f"{batch}[0]: class {expected} ")
    assert lines[5].startswith(f"{flat}[0]: class {expected} ")


def test_convnet_predict_wrong_shape_is_one_line(convnet_run, tmp_path, capsys):
    out, _ = convnet_run
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((5, 5), np.float32))
    code = main(["predict", str(out / "model.safetensors"), str(bad)])
    assert_one_line_error(code, capsys.readouterr().err, 1)


def test_convnet_evaluate(convnet_run, capsys):
    out, _ = convnet_run
    assert main(["evaluate", str(out / "model.safetensors"), "--limit", "100"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_convnet_toml_layers_with_tuple_arguments(tmp_path):
    config = tmp_path / "conv.toml"
    config.write_text(CONV_TOML.format(flat=4 * 14 * 14))
    model = build_model(parse_config(load_toml(config))["model"], "CrossEntropyLoss", dtype="float32", rng=0)
    assert model[0].kernel_size == (3, 3) and model[0].get_config()["stride"] == (1, 1)
    assert model[2].get_config()["kernel_size"] == (2, 2)  # TOML's array became PyTorch's tuple
    run = tmp_path / "run"
    code, _, err = run_quiet(["train", "--config", str(config), *TINY, "--out", str(run)])
    assert code == 0, err
    assert nnumpy.load(run / "model.safetensors")[0].kernel_size == (3, 3)


def test_convnet_toml_layers_that_do_not_fit_the_images_are_a_usage_error(tmp_path, capsys):
    config = tmp_path / "conv.toml"
    config.write_text(CONV_TOML.format(flat=600))
    code = main(["train", "--config", str(config), *TINY, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert_one_line_error(code, err, 2)
    assert "does not fit data set 'mnist-sample', whose samples are 1x28x28" in err and "Linear" in err


@pytest.mark.parametrize("argv, message", [
    (["--model", "convnet", "--layers", "784-10"], "--model convnet builds its own layers"),
    (["--model", "convnet", "--dataset", "iris"], "--model convnet needs images"),
    (["--model", "cnn"], "invalid choice"),
])
def test_convnet_bad_flags_are_usage_errors(argv, message, tmp_path, capsys):
    code = main(["train", *argv, *TINY, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_convnet_cannot_change_on_resume(convnet_run, capsys):
    out, _ = convnet_run
    code = main(["train", "--resume", str(out / "checkpoint.safetensors"), "--model", "convnet", "--epochs", "3"])
    err = capsys.readouterr().err
    assert_one_line_error(code, err, 2)
    assert "--model cannot change when resuming" in err


@pytest.mark.parametrize("shape, flat", [((1, 28, 28), 4320), ((3, 32, 32), 30 * 14 * 14), ((1, 8, 8), 120)])
def test_convnet_layers_adapt_to_the_image_size(shape, flat):
    spec = convnet_layers(shape, 7)
    layers = spec["layers"]
    assert layers[0]["in_channels"] == shape[0] and layers[4]["in_features"] == flat and layers[-1]["out_features"] == 7
    model = build_model(spec, "CrossEntropyLoss", dtype="float32", rng=0)
    assert model(np.zeros((2, *shape), np.float32)).shape == (2, 7)


def test_first_width_of_a_conv_model_is_unknown():
    assert first_width(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))) is None
    assert first_width(nn.Sequential(nn.Flatten(), nn.Linear(8, 2))) == 8

"""The ``nnumpy`` command: train / evaluate / predict / datasets / info / gradcheck, exit codes and errors.

Most tests call ``nnumpy.cli.main(argv)`` in-process; a few run ``python -m nnumpy``
in a subprocess to prove the real exit status and that no traceback leaks.
Training runs use iris or a few hundred MNIST images so the file stays fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nnumpy
import nnumpy.train
from nnumpy import cli
from nnumpy.cli import main
from nnumpy.datasets import load, write_idx

IRIS = ["--dataset", "iris", "--layers", "4-16-3", "--no-progress"]
MNIST_TINY = ["--dataset", "mnist-sample", "--layers", "784-32-10", "--limit", "300", "--no-progress"]


def run_quiet(argv) -> tuple[int, str, str]:
    """main(argv) with stdout/stderr captured (for module-scoped fixtures, where capsys is unavailable)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, err: str, expected_code: int) -> None:
    assert code == expected_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nnumpy: error: "), err
    assert "Traceback" not in err


def tensors(path) -> dict[str, np.ndarray]:
    return nnumpy.load(path).state_dict()


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory) -> Path:
    """One 5-epoch iris run shared by the read-only tests (evaluate, predict, info)."""
    out = tmp_path_factory.mktemp("iris") / "run"
    code, stdout, err = run_quiet(["train", *IRIS, "--epochs", "5", "--out", str(out)])
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mnist") / "run"
    code, _, err = run_quiet(["train", *MNIST_TINY, "--epochs", "2", "--out", str(out), "--quiet"])
    assert code == 0, err
    return out


# ---------------------------------------------------------------------------- train
def test_train_writes_model_checkpoint_history_and_curves(iris_run):
    for name in ("model.safetensors", "checkpoint.safetensors", "history.csv", "run.json", "curves.png"):
        assert (iris_run / name).is_file(), name
    rows = (iris_run / "history.csv").read_text().splitlines()
    assert len(rows) == 1 + 5
    assert rows[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy")
    settings = json.loads((iris_run / "run.json").read_text())["settings"]
    assert settings["model"] == {"layers": [4, 16, 3], "activation": "Sigmoid"}
    assert settings["optimizer"] == {"type": "SGD"}
    assert (iris_run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_prints_progress_chart_accuracy_and_paths(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *IRIS, "--epochs", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "model    Flatten -> Linear(4->16) -> Sigmoid -> Linear(16->3)  (131 parameters, float32)" in text
    assert "epoch 3/3" in text
    assert "loss  (o train, x test" in text and "accuracy  (o train, x test" in text
    assert "test accuracy " in text
    assert str(out / "model.safetensors") in text
    assert f"figure: {out / 'curves.png'}" in text


def test_train_default_out_dir_is_runs_dataset_timestamp(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *IRIS, "--epochs", "1", "--quiet"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("iris-")
    assert (run / "model.safetensors").is_file()


def test_train_resume_matches_uninterrupted_run(tmp_path, capsys):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(["train", *IRIS, "--epochs", "4", "--out", str(straight), "--quiet"]) == 0
    assert main(["train", *IRIS, "--epochs", "2", "--out", str(split), "--quiet"]) == 0
    # run.json next to the checkpoint supplies the data set, layers and optimizer.
    assert main(["train", "--resume", str(split / "checkpoint.safetensors"), "--epochs", "4", "--no-progress"]) == 0
    assert "resuming at epoch 2" in capsys.readouterr().out
    a, b = tensors(straight / "model.safetensors"), tensors(split / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert len((split / "history.csv").read_text().splitlines()) == 1 + 4


def test_train_same_seed_same_weights_other_seed_differs(tmp_path, capsys):
    runs = {}
    for name, seed in (("a", "0"), ("b", "0"), ("c", "1")):
        assert main(["train", *IRIS, "--epochs", "1", "--seed", seed, "--out", str(tmp_path / name), "--quiet"]) == 0
        runs[name] = tensors(tmp_path / name / "model.safetensors")["1.weight"]
    np.testing.assert_array_equal(runs["a"], runs["b"])
    assert not np.array_equal(runs["a"], runs["c"])


@pytest.mark.parametrize(
    "extra, optimizer",
    [
        (["--optimizer", "adam", "--lr", "0.01", "--betas", "0.9,0.99"], {"type": "Adam", "lr": 0.01, "betas": [0.9, 0.99]}),
        (["--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--nesterov"],
         {"type": "SGD", "lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ],
)
def test_train_optimizer_flags(tmp_path, capsys, extra, optimizer):
    assert main(["train", *IRIS, "--epochs", "1", "--out", str(tmp_path), "--quiet", *extra]) == 0
    assert json.loads((tmp_path / "run.json").read_text())["settings"]["optimizer"] == optimizer


@pytest.mark.parametrize("loss", ["nll", "mse", "huber"])
def test_train_other_losses(tmp_path, capsys, loss):
    assert main(["train", *IRIS, "--epochs", "2", "--loss", loss, "--activation", "relu", "--out", str(tmp_path)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert main(["evaluate", str(tmp_path / "model.safetensors"), "--loss", loss]) == 0


def test_train_float64(tmp_path, capsys):
    assert main(["train", *IRIS, "--epochs", "1", "--dtype", "float64", "--out", str(tmp_path), "--quiet"]) == 0
    assert nnumpy.io.inspect(tmp_path / "model.safetensors")["dtype"] == "float64"


def test_train_trace_prints_first_batch_and_saves_it(tmp_path, capsys):
    assert main(["train", *IRIS, "--epochs", "1", "--trace", "--out", str(tmp_path), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "trace of Sequential: 4 forward and 4 backward calls" in text
    assert "(32, 4) -> (32, 16)" in text
    assert (tmp_path / "trace.txt").read_text().startswith("trace of Sequential")


PLOT_RUNS = {
    # data: (flags, the PNGs --plots must write for it)
    "features (iris)": (IRIS, {"curves", "confusion_matrix", "activations"}),
    "images (mnist-sample)": (MNIST_TINY, {"curves", "confusion_matrix", "activations", "misclassified", "weights"}),
    "2-D points (xor)": (["--dataset", "xor", "--layers", "2-4-2", "--no-progress"],
                         {"curves", "confusion_matrix", "activations", "decision_boundary"}),
}


@pytest.mark.parametrize("data", list(PLOT_RUNS))
def test_train_plots_writes_every_plot_that_fits(tmp_path, capsys, data):
    pytest.importorskip("matplotlib")
    from PIL import Image

    flags, expected = PLOT_RUNS[data]
    assert main(["train", *flags, "--epochs", "3", "--plots", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert {p.stem for p in tmp_path.glob("*.png")} == expected
    for name in sorted(expected):
        path = tmp_path / f"{name}.png"
        assert str(path) in out  # listed under "wrote"
        with Image.open(path) as im:
            assert im.format == "PNG"
            assert np.asarray(im.convert("RGB"), dtype=np.float64).std() > 0, name
    gif = tmp_path / cli.ANIMATION_FILE
    assert gif.exists() == ("decision_boundary" in expected)
    if gif.exists():
        with Image.open(gif) as im:
            assert im.format == "GIF" and im.n_frames == 4  # untrained + 3 epochs


def test_train_plots_gif_keeps_at_most_max_frames(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from PIL import Image

    monkeypatch.setattr(cli, "MAX_FRAMES", 3)
    flags = ["--dataset", "xor", "--layers", "2-4-2", "--no-progress", "--epochs", "7", "--quiet"]
    assert main(["train", *flags, "--plots", "--out", str(tmp_path)]) == 0
    with Image.open(tmp_path / cli.ANIMATION_FILE) as im:
        assert im.n_frames == 4  # epoch 0 (untrained), every 3rd (k = ceil(7 / 3)): 3, 6, and the last, 7


def test_train_without_plots_writes_only_curves(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["train", "--dataset", "xor", "--layers", "2-4-2", "--no-progress", "--epochs", "1", "--quiet",
                 "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.glob("*.png")] == ["curves.png"]
    assert not (tmp_path / cli.ANIMATION_FILE).exists()


# ---------------------------------------------------------------------------- TOML config
CONFIG = """
[train]
dataset = "iris"
epochs = 2
batch_size = 16
seed = 3

[model]
layers = [
  {type = "Flatten"},
  {type = "Linear", in_features = 4, out_features = 8},
  {type = "ReLU"},
  {type = "Dropout", p = 0.1},
  {type = "Linear", in_features = 8, out_features = 3},
]

[loss]
type = "CrossEntropyLoss"
label_smoothing = 0.05

[optimizer]
type = "SGD"
lr = 0.1
momentum = 0.9

[scheduler]
type = "StepLR"
step_size = 1
gamma = 0.5
"""


def test_train_toml_config_and_flag_override(tmp_path, capsys):
    cfg = tmp_path / "model.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--epochs", "3", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "Linear(4->8) -> ReLU -> Dropout -> Linear(8->3)" in text
    history = (out / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 3  # --epochs overrides [train] epochs
    lrs = [float(line.split(",")[history[0].split(",").index("lr")]) for line in history[1:]]
    assert lrs == [0.1, 0.05, 0.025]  # StepLR(step_size=1, gamma=0.5)
    settings = json.loads((out / "run.json").read_text())["settings"]
    assert settings["seed"] == 3 and settings["batch_size"] == 16
    assert settings["loss"] == {"type": "CrossEntropyLoss", "label_smoothing": 0.05}
    info = nnumpy.io.inspect(out / "model.safetensors")
    assert [c["type"] for c in info["architecture"]["children"]] == ["Flatten", "Linear", "ReLU", "Dropout", "Linear"]


def test_train_toml_width_spec(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[train]\ndataset = "iris"\nepochs = 1\n[model]\nlayers = "4-6-3"\nactivation = "tanh"\n')
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    arch = nnumpy.io.inspect(tmp_path / "r" / "model.safetensors")["architecture"]
    assert [c["type"] for c in arch["children"]] == ["Flatten", "Linear", "Tanh", "Linear"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('[trian]\nepochs = 1\n', "unknown section(s) trian"),
        ('[train]\nepoch = 1\n', "unknown [train] key(s) epoch"),
        ('[model]\nlayers = [{type = "os.system"}]\n', "unknown layer type"),
        ('[model]\nlayers = [{type = "Linear", in_features = 4, out_features = 3, bogus = 1}]\n',
         "Linear has no argument 'bogus'"),
        ('[model]\nlayers = [{type = "Linear", in_features = 4, out_features = 3, dtype = "float64"}]\n',
         "set [train] dtype"),
        ('[model]\nlayers = [{in_features = 4}]\n', "has no 'type'"),
        ('[optimizer]\ntype = "SGD"\nlr = -0.5\n', "'lr' parameter of SGD must be a float > 0"),
        ('[optimizer]\ntype = "Adam"\nmomentum = 0.9\n', "Adam has no argument 'momentum'"),
        ('[scheduler]\ntype = "NoSuchLR"\n', "unknown scheduler"),
        ('[train]\nepochs = "ten"\n', "epochs must be an integer"),
        ("[train\n", "is not valid TOML"),
    ],
)
def test_train_bad_toml_is_usage_error(tmp_path, capsys, text, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    code = main(["train", "--config", str(cfg), "--dataset", "iris", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert_one_line_error(code, err, 2)
    assert message in err


# ---------------------------------------------------------------------------- evaluate / info / datasets
def test_evaluate_prints_loss_accuracy_confusion(iris_run, capsys):
    assert main(["evaluate", str(iris_run / "model.safetensors")]) == 0  # data set read from the model file
    text = capsys.readouterr().out
    assert "data      iris (test, 30 samples)" in text
    assert "loss      " in text and "accuracy  " in text
    assert "confusion matrix (rows: true class, columns: predicted class)" in text
    rows = text.split("predicted class)\n")[1].strip().splitlines()
    assert len(rows) == 1 + 3
    assert sum(int(v) for row in rows[1:] for v in row.split("|")[1].split()) == 30


def test_evaluate_train_split_with_limit(iris_run, capsys):
    assert main(["evaluate", str(iris_run / "model.safetensors"), "--dataset", "iris", "--split", "train",
                 "--limit", "50"]) == 0
    assert "(train, 50 samples)" in capsys.readouterr().out


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


def test_datasets_lists_available(capsys):
    assert main(["datasets"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:3] == ["name", "kind", "present"]
    for name in ("mnist-sample", "iris", "digits", "fashion-mnist"):
        assert name in text


# ---------------------------------------------------------------------------- predict
def test_predict_npy_single_and_batch(iris_run, tmp_path, capsys):
    X, _ = load("iris", split="test")
    np.save(tmp_path / "one.npy", X[0])
    np.save(tmp_path / "batch.npy", X[:4])
    assert main(["predict", str(iris_run / "model.safetensors"), str(tmp_path / "one.npy"),
                 str(tmp_path / "batch.npy"), "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + 4
    assert lines[0].startswith(f"{tmp_path / 'one.npy'}: class ")
    assert lines[1].startswith(f"{tmp_path / 'batch.npy'}[0]: class ")
    probs = [float(p) for p in lines[0].split("top-2")[1].replace(":", " ").split()[1::2]]
    assert len(probs) == 2 and probs[0] >= probs[1] and 0 <= probs[1] <= probs[0] <= 1


def test_predict_matches_model_output(iris_run, tmp_path, capsys):
    X, _ = load("iris", split="test")
    np.save(tmp_path / "b.npy", X[:5])
    assert main(["predict", str(iris_run / "model.safetensors"), str(tmp_path / "b.npy")]) == 0
    got = [int(line.split("class ")[1].split()[0]) for line in capsys.readouterr().out.strip().splitlines()]
    expected = nnumpy.load(iris_run / "model.safetensors").eval()(X[:5]).argmax(axis=1)
    assert got == expected.tolist()


def test_predict_idx_uint8_images(mnist_run, tmp_path, capsys):
    X, _ = load("mnist-sample", split="test")
    write_idx(tmp_path / "imgs-idx3-ubyte", (X[:3, 0] * 255).round().astype(np.uint8))
    write_idx(tmp_path / "imgs.idx.gz", (X[:2, 0] * 255).round().astype(np.uint8))
    assert main(["predict", str(mnist_run / "model.safetensors"), str(tmp_path / "imgs-idx3-ubyte"),
                 str(tmp_path / "imgs.idx.gz")]) == 0
    text = capsys.readouterr().out
    assert "uint8 pixels scaled to [0, 1]" in text
    assert text.count(": class ") == 5


def test_predict_png_resized_and_inverted(mnist_run, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    X, _ = load("mnist-sample", split="test")
    digit = (X[0, 0] * 255).round().astype(np.uint8)  # light digit on black, 28x28
    big = Image.fromarray(255 - digit).resize((56, 56))  # dark digit on white, 56x56
    big.save(tmp_path / "digit.png")
    Image.fromarray(digit).save(tmp_path / "plain.png")
    assert main(["predict", str(mnist_run / "model.safetensors"), str(tmp_path / "digit.png"),
                 str(tmp_path / "plain.png")]) == 0
    text = capsys.readouterr().out
    assert "digit.png: resized 56x56 -> 28x28" in text
    assert "digit.png: inverted (white background" in text
    assert "plain.png: inverted" not in text and "plain.png: resized" not in text
    assert text.count(": class ") == 2


# ---------------------------------------------------------------------------- gradcheck
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
    assert "FAILED" in capsys.readouterr().out


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


# ---------------------------------------------------------------------------- ASCII chart
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


# ---------------------------------------------------------------------------- bad input: one line, exit 2 / 1
@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["train", "--layers", "784-abc-10"], 2, "'abc' is not a positive integer"),
        (["train", "--layers", "784"], 2, "at least an input and an output width"),
        (["train", "--activation", "swish"], 2, "unknown activation 'swish'"),
        (["train", "--loss", "hinge"], 2, "unknown loss 'hinge'"),
        (["train", "--loss", "bce"], 2, "does not fit nnumpy train"),
        (["train", "--optimizer", "lbfgs"], 2, "unknown optimizer 'lbfgs'"),
        (["train", "--lr", "0"], 2, "'lr' parameter of SGD must be a float > 0"),
        (["train", "--lr", "-0.1"], 2, "'lr' parameter of SGD must be a float > 0"),
        (["train", "--lr", "fast"], 2, "invalid float value: 'fast'"),
        (["train", "--batch-size", "0"], 2, "batch size must be >= 1"),
        (["train", "--epochs", "0"], 2, "epochs must be >= 1"),
        (["train", "--seed", "-3"], 2, "seed must be >= 0"),
        (["train", "--limit", "0"], 2, "limit must be >= 1"),
        (["train", "--dataset", "cifar"], 2, "unknown data set 'cifar'"),
        (["train", "--dataset", "iris"], 2, "has 4: start the layer widths with 4"),
        (["train", "--dataset", "iris", "--layers", "4-8-2"], 2, "has 3 classes"),
        (["train", "--optimizer", "adam", "--momentum", "0.9"], 2, "Adam has no argument 'momentum'"),
        (["train", "--betas", "0.9"], 2, "expected two floats"),
        (["train", "--dtype", "float16"], 2, "invalid choice: 'float16'"),
        (["train", "--bogus"], 2, "unrecognized arguments: --bogus"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
        (["predict", "m.safetensors"], 2, "required: FILE"),
        (["predict", "m.safetensors", "notes.txt"], 2, "cannot tell the format of notes.txt"),
        (["gradcheck", "layer.py", "--input-shape", "4,3"], 2, "expected FILE.py:ClassName"),
        (["gradcheck", "layer.py:L", "--input-shape", "4,a"], 2, "argument --input-shape"),
        (["gradcheck", "layer.py:L"], 2, "required: --input-shape"),
        (["train", "--config", "missing.toml"], 1, "No such file or directory: 'missing.toml'"),
        (["train", "--resume", "missing.safetensors"], 1, "missing.safetensors"),
        (["evaluate", "missing.safetensors"], 1, "missing.safetensors"),
        (["info", "missing.safetensors"], 1, "missing.safetensors"),
        (["gradcheck", "missing.py:L", "--input-shape", "4,3"], 1, "no such file: missing.py"),
    ],
)
def test_bad_input_one_line_error(tmp_path, monkeypatch, capsys, argv, code, message):
    monkeypatch.chdir(tmp_path)
    got = main(argv)
    captured = capsys.readouterr()
    assert_one_line_error(got, captured.err, code)
    assert message in captured.err
    assert not (tmp_path / "runs").exists()  # nothing written before the options were checked


@pytest.mark.parametrize("command", ["evaluate", "info", "predict"])
def test_corrupt_model_file_is_runtime_error(iris_run, tmp_path, capsys, command):
    bad = tmp_path / "model.safetensors"
    data = (iris_run / "model.safetensors").read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    np.save(tmp_path / "x.npy", np.zeros(4, dtype=np.float32))
    argv = [command, str(bad)] + ([str(tmp_path / "x.npy")] if command == "predict" else [])
    got = main(argv)
    err = capsys.readouterr().err
    assert_one_line_error(got, err, 1)
    assert str(bad) in err


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((2, 5), dtype=np.float32), "has shape (2, 5), but the model reads 4 values per sample"),
        (np.array([1.0, np.nan, 0.0, 0.0]), "contains NaN or infinity"),
        (np.array(["a", "b", "c", "d"]), "expected numbers"),
    ],
)
def test_predict_bad_array_is_runtime_error(iris_run, tmp_path, capsys, array, message):
    np.save(tmp_path / "x.npy", array)
    got = main(["predict", str(iris_run / "model.safetensors"), str(tmp_path / "x.npy")])
    err = capsys.readouterr().err
    assert_one_line_error(got, err, 1)
    assert message in err


def test_evaluate_wrong_dataset_is_usage_error(iris_run, capsys):
    got = main(["evaluate", str(iris_run / "model.safetensors"), "--dataset", "mnist-sample"])
    err = capsys.readouterr().err
    assert_one_line_error(got, err, 2)
    assert "reads 4 features per sample, but data set 'mnist-sample' has 784 (1x28x28)" in err


def test_resume_needs_more_epochs(iris_run, capsys):
    got = main(["train", "--resume", str(iris_run / "checkpoint.safetensors"), "--epochs", "5"])
    err = capsys.readouterr().err
    assert_one_line_error(got, err, 2)
    assert "has already trained 5 epochs" in err


def test_resume_refuses_model_flags(iris_run, capsys):
    got = main(["train", "--resume", str(iris_run / "checkpoint.safetensors"), "--epochs", "9", "--layers", "4-8-3"])
    err = capsys.readouterr().err
    assert_one_line_error(got, err, 2)
    assert "--layers cannot change when resuming" in err


def test_keyboard_interrupt_exits_130_with_resume_hint(tmp_path, monkeypatch, capsys):
    def interrupted(*args, checkpoint, **kwargs):
        if checkpoint.parent.name == "later":  # an epoch finished: the checkpoint exists
            checkpoint.write_bytes(b"")
        raise KeyboardInterrupt

    monkeypatch.setattr(nnumpy.train, "fit", interrupted)
    assert main(["train", *IRIS, "--epochs", "1", "--out", str(tmp_path / "early")]) == 130
    assert capsys.readouterr().err.strip().splitlines() == ["nnumpy: interrupted"]
    assert main(["train", *IRIS, "--epochs", "7", "--out", str(tmp_path / "later")]) == 130
    ckpt = tmp_path / "later" / "checkpoint.safetensors"
    assert capsys.readouterr().err.strip().splitlines() == [
        f"nnumpy: interrupted; continue with: nnumpy train --resume {ckpt} --epochs 7"
    ]


def test_unexpected_exception_is_one_line_internal_error(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise AttributeError("oops")

    monkeypatch.setattr(nnumpy.datasets, "format_available", broken)
    got = main(["datasets"])
    err = capsys.readouterr().err
    assert_one_line_error(got, err, 1)
    assert "internal error: AttributeError: oops (run again with --debug" in err


def test_debug_reraises(tmp_path):
    with pytest.raises(cli.UsageError) as info:
        main(["train", "--layers", "784-abc-10", "--debug"])
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(nnumpy.ModelFileError):
        main(["--debug", "info", str(tmp_path / "missing.safetensors")])


def test_help_and_version_exit_0(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nnumpy {nnumpy.__version__}"
    assert main(["train", "--help"]) == 0
    assert "--layers" in capsys.readouterr().out
    assert main([]) == 2  # no command: the help goes to stderr


# ---------------------------------------------------------------------------- real processes
def _python_m(*args, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    return subprocess.run([sys.executable, "-m", "nnumpy", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_subprocess_usage_error_exit_2_without_traceback(tmp_path):
    proc = _python_m("train", "--layers", "784-abc-10", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "nnumpy: error: bad --layers '784-abc-10': 'abc' is not a positive integer; "
        "expected layer widths joined by '-', e.g. 784-512-256-10."
    ]
    assert proc.stdout == ""


def test_subprocess_runtime_error_exit_1_and_debug_traceback(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"not a model")
    proc = _python_m("info", "junk.safetensors", cwd=tmp_path)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    proc = _python_m("--debug", "info", "junk.safetensors", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "ModelFileError" in proc.stderr


def test_subprocess_train_and_predict(tmp_path):
    proc = _python_m("train", *IRIS, "--epochs", "2", "--out", "run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy" in proc.stdout and "Traceback" not in proc.stderr
    np.save(tmp_path / "x.npy", load("iris", split="test")[0][:2])
    proc = _python_m("predict", "run/model.safetensors", "x.npy", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": class ") == 2

"""``nnumpy train``: the run directory, printed output, resume, seeds, optimizers, losses, --trace, --plots."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import numpy as np
import pytest

import nnumpy
from nnumpy import cli
from nnumpy.cli import _plots, main

from ._helpers import IRIS, MNIST_TINY, tensors


def test_train_writes_model_checkpoint_history_and_curves(iris_run):
    for name in ("model.safetensors", "checkpoint.safetensors", "history.csv", "run.toml", "curves.png"):
        assert (iris_run / name).is_file(), name
    rows = (iris_run / "history.csv").read_text().splitlines()
    assert len(rows) == 1 + 5
    assert rows[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy")
    run = tomllib.loads((iris_run / "run.toml").read_text())
    assert run["model"] == {"layers": [4, 16, 3], "activation": "Sigmoid"}
    assert run["optimizer"]["type"] == "SGD" and run["optimizer"]["lr"] == 0.5  # the default, written out
    assert (iris_run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_prints_progress_chart_accuracy_and_paths(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *IRIS, "--epochs", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "model    Flatten -> Linear(4->16) -> Sigmoid -> Linear(16->3)  (131 parameters, float32)" in text
    assert "epoch 3/3" in text
    assert "data     iris: 108 train / 12 val / 30 test samples, 4 features, 3 classes" in text
    assert "loss  (o train, x val" in text and "accuracy  (o train, x val" in text
    assert "test accuracy " in text
    assert str(out / "model.safetensors") in text
    assert f"figure: {out / 'curves.png'}" in text


def test_train_validates_on_held_out_training_samples_and_tests_once(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *MNIST_TINY, "--epochs", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    # --limit 300 of each split, then 10% of the 300 training samples held out.
    assert "data     mnist-sample: 270 train / 30 val / 300 test samples, 784 features, 10 classes" in text
    run = tomllib.loads((out / "run.toml").read_text())["run"]
    assert (run["train_samples"], run["val_samples"], run["test_samples"]) == (270, 30, 300)
    history = nnumpy.train.History.from_csv(out / "history.csv")
    assert all(round(a * 30, 6).is_integer() for a in history["val_accuracy"])  # out of 30 samples
    assert text.count("test accuracy") == 1  # the test split: once, at the end
    test_loss = float(text.split("test loss ")[1].split()[0])
    assert round(history["val_loss"][-1], 4) != test_loss


def test_train_val_split_zero_has_no_validation(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *IRIS, "--epochs", "2", "--val-split", "0", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "iris: 120 train / no val / 30 test samples" in text
    assert "val_loss" not in text and "(o train)" in text
    assert (out / "history.csv").read_text().splitlines()[0] == "epoch,loss,accuracy,lr,time"


def test_train_without_layers_takes_the_widths_from_the_data_set(tmp_path, capsys):
    argv = ["train", "--dataset", "moons", "--epochs", "2", "--no-progress", "--quiet", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert tomllib.loads((tmp_path / "run.toml").read_text())["model"]["layers"] == [2, 512, 256, 2]


def test_train_run_toml_holds_every_setting_of_the_main_job(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--limit", "100", "--no-progress", "--quiet", "--out", str(tmp_path)]) == 0
    run = tomllib.loads((tmp_path / "run.toml").read_text())
    assert run["train"] == {"dataset": "mnist-sample", "epochs": 1, "batch_size": 32, "seed": 0, "dtype": "float32",
                            "limit": 100, "val_split": 0.1}
    assert run["model"] == {"layers": [784, 512, 256, 10], "activation": "Sigmoid"}
    assert run["optimizer"] == {"type": "SGD", "lr": 0.5, "momentum": 0, "dampening": 0, "weight_decay": 0,
                                "nesterov": False, "maximize": False}
    assert run["loss"]["type"] == "CrossEntropyLoss" and run["loss"]["reduction"] == "mean"
    assert run["run"]["nnumpy_version"] == nnumpy.__version__ and run["run"]["numpy_version"] == np.__version__
    assert {"python_version", "train_samples", "val_samples", "test_samples", "features", "classes"} <= set(run["run"])


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
    # run.toml next to the checkpoint supplies the data set, layers and optimizer.
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
    written = tomllib.loads((tmp_path / "run.toml").read_text())["optimizer"]
    assert {k: written[k] for k in optimizer} == optimizer


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

    monkeypatch.setattr(_plots, "MAX_FRAMES", 3)  # nnumpy/cli/_plots.py reads it when the run starts
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


# ---------------------------------------------------------------------------- replay from run.toml
REPLAY_RUNS = {
    "flags (mnist-sample, SGD)": [*MNIST_TINY, "--epochs", "2", "--momentum", "0.9"],
    "config (layer tables, dropout, scheduler)": ["--config", "CONFIG", "--epochs", "3", "--no-progress"],
}


@pytest.mark.parametrize("run", list(REPLAY_RUNS))
def test_train_config_run_toml_replays_the_run_bit_for_bit(tmp_path, run):
    from .test_config import CONFIG

    (tmp_path / "config.toml").write_text(CONFIG)
    flags = [str(tmp_path / "config.toml") if f == "CONFIG" else f for f in REPLAY_RUNS[run]]
    # Separate processes, with BLAS on one thread: more threads may change the low bits of a matmul.
    env = {**os.environ, "PYTHONWARNINGS": "error", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    for argv in (["train", *flags, "--out", "first", "--quiet"],
                 ["train", "--config", "first/run.toml", "--out", "replay", "--quiet", "--no-progress"]):
        proc = subprocess.run([sys.executable, "-m", "nnumpy", *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
    first = tensors(tmp_path / "first" / "model.safetensors")
    replay = tensors(tmp_path / "replay" / "model.safetensors")
    assert first.keys() == replay.keys()
    for k in first:
        assert first[k].tobytes() == replay[k].tobytes(), k
    assert (tmp_path / "first" / "run.toml").read_text() == (tmp_path / "replay" / "run.toml").read_text()
    assert (tmp_path / "first" / "history.csv").read_text().split("time")[0] == \
        (tmp_path / "replay" / "history.csv").read_text().split("time")[0]


def test_train_replay_says_when_versions_differ(tmp_path, capsys):
    assert main(["train", *IRIS, "--epochs", "1", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    text = (tmp_path / "a" / "run.toml").read_text().replace(f'numpy_version = "{np.__version__}"',
                                                            'numpy_version = "1.0.0"')
    (tmp_path / "old.toml").write_text(text)
    capsys.readouterr()
    assert main(["train", "--config", str(tmp_path / "old.toml"), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"nnumpy: {tmp_path / 'old.toml'} was written with numpy 1.0.0 (now {np.__version__}): "
        "a replay may not match bit for bit."
    ]


def test_train_diverging_run_is_reported_without_numpy_warnings(tmp_path):
    """A learning rate that overflows: one report of the non-finite loss, no RuntimeWarning lines."""
    proc = subprocess.run([sys.executable, "-W", "default", "-m", "nnumpy", "train", "--dataset", "iris",
                           "--layers", "4-64-64-3", "--activation", "relu", "--lr", "1e30", "--epochs", "2",
                           "--no-progress", "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "non-finite loss" in proc.stdout + proc.stderr
    assert "RuntimeWarning" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("nnumpy: error: no model was written")


@pytest.mark.parametrize("flag,value", [("--val-split", "0.2"), ("--seed", "1"), ("--limit", "50"),
                                        ("--dataset", "digits")])
def test_train_resume_refuses_other_data(tmp_path, capsys, flag, value):
    run = tmp_path / "run"
    assert main(["train", *IRIS, "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    code = main(["train", "--resume", str(run / "checkpoint.safetensors"), "--epochs", "2", "--no-progress",
                 flag, value])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"{flag} " in err and "drop" in err, err


def test_train_resume_accepts_the_same_data_settings(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *IRIS, "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert main(["train", "--resume", str(run / "checkpoint.safetensors"), "--epochs", "2", "--quiet",
                 "--val-split", "0.1", "--seed", "0", "--dataset", "iris"]) == 0

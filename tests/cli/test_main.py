"""``nnumpy.cli.main``: one-line errors and exit statuses (2 usage, 1 runtime, 130 Ctrl-C), --debug,
--help, --version, and real ``python -m nnumpy`` processes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import nnumpy
import nnumpy.train
from nnumpy import cli
from nnumpy.cli import main
from nnumpy.datasets import load

from ._helpers import IRIS, assert_one_line_error


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
        (["train", "--dataset", "iris", "--layers", "784-8-3"], 2, "has 4: start the layer widths with 4"),
        (["train", "--dataset", "iris", "--layers", "4-8-2"], 2, "has 3 classes"),
        (["train", "--layers", "784-100"], 2, "has 100 outputs, but data set 'mnist-sample' has 10 classes"),
        (["train", "--val-split", "1"], 2, "val_split must be >= 0 and < 1"),
        (["train", "--val-split", "-0.1"], 2, "val_split must be >= 0 and < 1"),
        (["train", "--dataset", "iris", "--limit", "1", "--val-split", "0.5"], 2, "leaves none to train on"),
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

    monkeypatch.setattr(nnumpy.datasets, "available", broken)
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


# ---------------------------------------------------------------------------- standard output closed early
def _python_m_closed_stdout(*args, cwd) -> tuple[int, str]:
    """Run ``python -m nnumpy`` with a stdout whose reader has already gone: every write meets EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "nnumpy", *args], cwd=cwd, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**os.environ, "PYTHONWARNINGS": "error"})
    finally:
        os.close(write_end)
    return proc.returncode, proc.stderr


def test_subprocess_closed_stdout_ends_datasets_quietly(tmp_path):
    code, err = _python_m_closed_stdout("datasets", cwd=tmp_path)
    assert (code, err) == (141, "")  # as a tool ended by SIGPIPE, without a word


def test_subprocess_closed_stdout_train_goes_on_and_writes_its_files(tmp_path):
    code, err = _python_m_closed_stdout("train", *IRIS, "--epochs", "3", "--out", "run", cwd=tmp_path)
    assert (code, err) == (0, "")
    for name in ("model.safetensors", "checkpoint.safetensors", "history.csv", "run.toml"):
        assert (tmp_path / "run" / name).is_file(), name
    assert len((tmp_path / "run" / "history.csv").read_text().splitlines()) == 1 + 3


@pytest.mark.parametrize("command", ["datasets", "train --dataset iris --epochs 3 --no-progress --out run"])
def test_subprocess_piped_into_head(tmp_path, command):
    bash = f"{sys.executable} -m nnumpy {command} | head -1; echo \"status ${{PIPESTATUS[0]}}\""
    proc = subprocess.run(["bash", "-c", bash], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "error"})
    first, status = proc.stdout.splitlines()
    assert proc.stderr == ""
    if command == "datasets":
        assert first.split()[:2] == ["name", "kind"] and status in ("status 0", "status 141")
    else:
        assert first.startswith("data     iris") and status == "status 0"
        assert (tmp_path / "run" / "model.safetensors").is_file()

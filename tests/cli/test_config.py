"""``nnumpy train --config``: TOML run settings, flag overrides and the errors of a bad file (``cli/_config``)."""

from __future__ import annotations

import json
import tomllib

import pytest

import nnumpy
from nnumpy.cli import main

from ._helpers import assert_one_line_error


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
    run = tomllib.loads((out / "run.toml").read_text())
    assert run["train"]["seed"] == 3 and run["train"]["batch_size"] == 16
    assert run["loss"] == {"type": "CrossEntropyLoss", "label_smoothing": 0.05, "ignore_index": -100,
                           "reduction": "mean"}
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


# ---------------------------------------------------------------------------- run.toml, written and read back
def test_run_toml_writer_round_trips_through_tomllib():
    import math
    import tomllib

    from nnumpy.cli._runfile import dumps_toml

    doc = {
        "train": {"dataset": 'quote " back \\ tab \t del \x7f é 한', "epochs": 3, "val_split": 0.1, "flag": False},
        "model": {"layers": [{"type": "Linear", "in_features": 4, "out_features": 3}, {"type": "ReLU"}]},
        "optimizer": {"lr": 1e-300, "betas": [0.9, 0.999], "eps": 1e-08, "neg": -0.0, "big": 1e16,
                      "inf": math.inf, "ninf": -math.inf},
        "odd key": {"a.b": 1},
    }
    back = tomllib.loads(dumps_toml(doc))
    assert back == doc
    assert math.copysign(1.0, back["optimizer"]["neg"]) == -1.0
    assert math.isnan(tomllib.loads(dumps_toml({"t": {"x": math.nan}}))["t"]["x"])


def test_resume_reads_the_run_json_of_nnumpy_0_1_0(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[train]\ndataset = "iris"\nepochs = 1\nval_split = 0\n[model]\nlayers = "4-6-3"\n'
                   '[optimizer]\ntype = "Adam"\nlr = 0.01\n')
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--out", str(out), "--quiet"]) == 0
    (out / "run.toml").unlink()  # a run folder of nnumpy 0.1.0 had run.json instead
    (out / "run.json").write_text(json.dumps({"nnumpy_version": "0.1.0", "settings": {
        "dataset": "iris", "model": {"layers": [4, 6, 3], "activation": "Sigmoid"},
        "optimizer": {"type": "Adam", "lr": 0.01}, "epochs": 1, "batch_size": 32, "seed": 0, "dtype": "float32", "limit": None, "data_dir": None}}))
    capsys.readouterr()
    assert main(["train", "--resume", str(out / "checkpoint.safetensors"), "--epochs", "2", "--quiet"]) == 0
    assert "Adam" in (out / "run.toml").read_text()

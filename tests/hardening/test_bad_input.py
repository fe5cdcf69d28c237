"""The bad-input battery (docs/reliability.md): every public entry point and the CLI, fed values
they must refuse. Each case asserts the exception type and that the message names the argument
and says what to pass instead; CLI cases assert one line on stderr, exit 2 for usage errors and
1 for runtime errors, and no traceback.

Tables, not copies: one row per case, ids say what is fed where.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import nnumpy
from nnumpy import DataError, ModelFileError, data, nn, optim, train
from nnumpy.cli import main
from nnumpy.datasets import read_idx
from nnumpy.optim import lr_scheduler as S

INF, NAN = math.inf, math.nan


def _params():
    return nn.Linear(2, 2, rng=0).parameters()


# ---------------------------------------------------------------------------- hyperparameters
# (optimizer, float hyperparameters, other keyword arguments they need)
OPTIMIZERS = [
    (optim.SGD, ["lr", "momentum", "weight_decay", "dampening"], {"lr": 0.1}),
    (optim.Adam, ["lr", "eps", "weight_decay"], {}),
    (optim.AdamW, ["lr", "eps", "weight_decay"], {}),
    (optim.RMSprop, ["lr", "alpha", "eps", "weight_decay", "momentum"], {}),
    (optim.Adagrad, ["lr", "lr_decay", "weight_decay", "eps", "initial_accumulator_value"], {}),
]
# bad value -> (exception, words of the fix)
BAD_FLOATS = {INF: (ValueError, "finite float"), -INF: (ValueError, "finite float"), NAN: (ValueError, "must be"),
              "0.1": (TypeError, "a float"), True: (TypeError, "a float")}

OPTIMIZER_CASES = [
    pytest.param(cls, name, value, exc, fix, extra, id=f"{cls.__name__}-{name}={value!r}")
    for cls, names, extra in OPTIMIZERS for name in names for value, (exc, fix) in BAD_FLOATS.items()
]


@pytest.mark.parametrize("cls, name, value, exc, fix, extra", OPTIMIZER_CASES)
def test_optimizer_refuses_bad_hyperparameter(cls, name, value, exc, fix, extra):
    with pytest.raises(exc) as info:
        cls(_params(), **{**extra, name: value})
    assert f"'{name}'" in str(info.value) and fix in str(info.value)


def _case(fn, exc, *words, id):
    return pytest.param(fn, exc, words, id=id)


def _opt():
    return optim.SGD(_params(), lr=0.1)


def _bw(layer, x, g):
    layer(np.asarray(x, dtype=np.float64))
    return layer.backward(g)


# ---------------------------------------------------------------------------- the API table
# (thunk, exception, words the message must hold: the argument first, then the fix)
API_CASES = [
    # layer constructors
    _case(lambda: nn.Linear(0, 2), ValueError, "in_features", "must be", id="Linear-in_features=0"),
    _case(lambda: nn.Linear(2, -1), ValueError, "out_features", "must be", id="Linear-out_features=-1"),
    _case(lambda: nn.Linear(2.5, 2), TypeError, "in_features", "an int", id="Linear-in_features=2.5"),
    _case(lambda: nn.Linear(2, 2, dtype=np.int32), TypeError, "dtype", "float32 or float64", id="Linear-dtype=int32"),
    _case(lambda: nn.LeakyReLU(INF), ValueError, "negative_slope", "finite float", id="LeakyReLU-slope=inf"),
    _case(lambda: nn.LeakyReLU(NAN), ValueError, "negative_slope", "must be", id="LeakyReLU-slope=nan"),
    _case(lambda: nn.LeakyReLU("0.1"), TypeError, "negative_slope", "a float", id="LeakyReLU-slope=str"),
    _case(lambda: nn.ELU(INF), ValueError, "alpha", "finite float", id="ELU-alpha=inf"),
    _case(lambda: nn.ELU(-INF), ValueError, "alpha", "finite float", id="ELU-alpha=-inf"),
    _case(lambda: nn.Softplus(beta=0), ValueError, "beta", "> 0", id="Softplus-beta=0"),
    _case(lambda: nn.Softplus(beta=INF), ValueError, "beta", "finite float", id="Softplus-beta=inf"),
    _case(lambda: nn.Softplus(threshold=NAN), ValueError, "threshold", "must be", id="Softplus-threshold=nan"),
    _case(lambda: nn.GELU("fast"), ValueError, "approximate", "one of", id="GELU-approximate=fast"),
    _case(lambda: nn.Softmax(dim="1"), TypeError, "dim", "an int", id="Softmax-dim=str"),
    _case(lambda: nn.LogSoftmax(dim=1.0), TypeError, "dim", "an int", id="LogSoftmax-dim=float"),
    _case(lambda: nn.Dropout(1.0), ValueError, "'p'", "in [0, 1)", id="Dropout-p=1"),
    _case(lambda: nn.Dropout(-0.1), ValueError, "'p'", "in [0, 1)", id="Dropout-p=-0.1"),
    _case(lambda: nn.Dropout(NAN), ValueError, "'p'", "in [0, 1)", id="Dropout-p=nan"),
    _case(lambda: nn.Dropout2d(INF), ValueError, "'p'", "finite float", id="Dropout2d-p=inf"),
    _case(lambda: nn.BatchNorm1d(0), ValueError, "num_features", "must be", id="BatchNorm1d-num_features=0"),
    _case(lambda: nn.BatchNorm1d(3, eps=INF), ValueError, "eps", "finite float", id="BatchNorm1d-eps=inf"),
    _case(lambda: nn.BatchNorm2d(3, momentum=NAN), ValueError, "momentum", "must be", id="BatchNorm2d-momentum=nan"),
    _case(lambda: nn.Conv2d(0, 2, 3), ValueError, "in_channels", "must be", id="Conv2d-in_channels=0"),
    _case(lambda: nn.Conv2d(1, 2, 0), ValueError, "kernel_size", "must be", id="Conv2d-kernel_size=0"),
    _case(lambda: nn.Conv2d(1, 2, 3, stride=0), ValueError, "stride", "must be", id="Conv2d-stride=0"),
    _case(lambda: nn.MaxPool2d(0), ValueError, "kernel_size", "must be", id="MaxPool2d-kernel_size=0"),
    _case(lambda: nn.AvgPool2d(2, stride=-1), ValueError, "stride", "must be", id="AvgPool2d-stride=-1"),
    _case(lambda: nn.AdaptiveAvgPool2d(0), ValueError, "output_size", "must be", id="AdaptiveAvgPool2d-size=0"),
    _case(lambda: nn.Sequential(nn.ReLU(), "relu"), TypeError, "Sequential", "Module", id="Sequential-str"),
    # loss constructors
    _case(lambda: nn.MSELoss(reduction="avg"), ValueError, "reduction", "one of", id="MSELoss-reduction=avg"),
    _case(lambda: nn.HuberLoss(delta=0), ValueError, "delta", "> 0", id="HuberLoss-delta=0"),
    _case(lambda: nn.HuberLoss(delta=INF), ValueError, "delta", "finite float", id="HuberLoss-delta=inf"),
    _case(lambda: nn.SmoothL1Loss(beta=-1), ValueError, "beta", ">= 0", id="SmoothL1Loss-beta=-1"),
    _case(lambda: nn.CrossEntropyLoss(label_smoothing=1.5), ValueError, "label_smoothing", "in [0, 1]",
          id="CE-label_smoothing=1.5"),
    _case(lambda: nn.CrossEntropyLoss(label_smoothing=INF), ValueError, "label_smoothing", "finite float",
          id="CE-label_smoothing=inf"),
    _case(lambda: nn.CrossEntropyLoss(weight=np.ones((2, 2))), ValueError, "weight", "1-D array",
          id="CE-weight=2d"),
    _case(lambda: nn.NLLLoss(ignore_index=1.5), TypeError, "ignore_index", "an int", id="NLL-ignore_index=1.5"),
    _case(lambda: nn.BCELoss(weight=np.array(["a"])), TypeError, "weight", "numeric", id="BCE-weight=str"),
    # forward: shapes, labels, values
    _case(lambda: nn.Linear(3, 2)(np.ones((4, 5))), ValueError, "Linear", "in_features", id="Linear-fwd-width"),
    _case(lambda: nn.Linear(3, 2)(np.array([["a"] * 3])), TypeError, "Linear", "numeric", id="Linear-fwd-str"),
    _case(lambda: nn.Conv2d(3, 2, 1)(np.ones((1, 2, 4, 4))), ValueError, "Conv2d", "expected input of shape (N, 3, H, W)",
          id="Conv2d-fwd-C"),
    _case(lambda: nn.Conv2d(1, 2, 1)(np.ones((2, 4))), ValueError, "Conv2d", "(N, 1, H, W)", id="Conv2d-fwd-2d"),
    _case(lambda: nn.MaxPool2d(2)(np.ones((4, 4))), ValueError, "MaxPool2d", "(N, C, H, W)", id="MaxPool2d-fwd-2d"),
    _case(lambda: nn.Dropout2d(0.5, rng=0)(np.ones((2, 3))), ValueError, "Dropout2d", "(N, C, H, W)",
          id="Dropout2d-fwd-2d"),
    _case(lambda: nn.BatchNorm1d(3)(np.ones((4, 5))), ValueError, "BatchNorm1d", "3", id="BatchNorm1d-fwd-C"),
    _case(lambda: nn.Softmax(dim=2)(np.ones((2, 3))), ValueError, "dim=2", "shape", id="Softmax-fwd-dim"),
    _case(lambda: nn.Softmax()(np.float64(1.0)), ValueError, "0-d", "reshape", id="Softmax-fwd-0d"),
    _case(lambda: nn.LogSoftmax()(np.array(1.0)), ValueError, "0-d", "reshape", id="LogSoftmax-fwd-0d"),
    _case(lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3])), ValueError, "target 3", "[0, 2]",
          id="CE-label=C"),
    _case(lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, -1])), ValueError, "target -1", "[0, 2]",
          id="CE-label=-1"),
    _case(lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError, "float",
          ".astype(np.int64)", id="CE-float-labels"),
    _case(lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError, "target of shape",
          "(2,)", id="CE-label-count"),
    _case(lambda: nn.CrossEntropyLoss()(np.zeros(3), np.array([0])), ValueError, "input of shape", "(N, C)",
          id="CE-1d-input"),
    _case(lambda: nn.CrossEntropyLoss(ignore_index=0)(np.zeros((2, 3)), np.full((2, 3), 1 / 3)), ValueError,
          "ignore_index", "integer class indices", id="CE-ignore_index-probs"),
    _case(lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.full((2, 3), NAN)), ValueError, "probability",
          "NaN", id="CE-probs-nan"),
    _case(lambda: nn.CrossEntropyLoss(weight=np.ones(4))(np.zeros((2, 3)), np.array([0, 1])), ValueError,
          "class weights", "C=3", id="CE-weight-len"),
    _case(lambda: nn.NLLLoss()(np.zeros((2, 3)), np.array([5, 0])), ValueError, "target 5", "[0, 2]",
          id="NLL-label=5"),
    _case(lambda: nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2))), ValueError, "target", "(2, 3)",
          id="MSE-target-shape"),
    _case(lambda: nn.L1Loss()(np.zeros(2), np.array(["a", "b"])), TypeError, "target", "numeric",
          id="L1-target-str"),
    _case(lambda: nn.BCELoss()(np.array([0.5, 1.5]), np.array([0.0, 1.0])), ValueError, "probabilities",
          "BCEWithLogitsLoss", id="BCE-input>1"),
    _case(lambda: nn.BCELoss()(np.array([0.5, NAN]), np.array([0.0, 1.0])), ValueError, "NaN", "learning rate",
          id="BCE-input-nan"),
    _case(lambda: nn.BCELoss(weight=np.ones(3))(np.full((2, 2), 0.5), np.ones((2, 2))), ValueError, "'weight'",
          "one weight per element", id="BCE-weight-len"),
    _case(lambda: nn.BCEWithLogitsLoss(pos_weight=np.ones(3))(np.zeros((2, 2)), np.ones((2, 2))), ValueError,
          "'pos_weight'", "per class", id="BCEWithLogits-pos_weight-len"),
    # backward before forward
    _case(lambda: nn.Linear(2, 2).backward(np.ones((1, 2))), RuntimeError, "backward", "forward",
          id="Linear-backward-first"),
    _case(lambda: nn.CrossEntropyLoss().backward(), RuntimeError, "backward", "forward", id="CE-backward-first"),
    # Module.load_state_dict: values read from elsewhere
    _case(lambda: nn.Linear(2, 2).load_state_dict({"weight": np.full((2, 2), None), "bias": np.zeros(2)}),
          TypeError, "'weight'", "numeric array", id="load_state_dict-object-None"),
    _case(lambda: nn.Linear(2, 2).load_state_dict({"weight": np.full((2, 2), NAN), "bias": np.zeros(2)}),
          ValueError, "'weight'", "NaN", id="load_state_dict-nan"),
    _case(lambda: nn.Linear(2, 2).load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(2)}),
          ValueError, "'weight'", "expected shape (2, 2)", id="load_state_dict-shape"),
    _case(lambda: nn.Linear(2, 2).load_state_dict({"weight": np.zeros((2, 2))}), ValueError, "bias",
          "missing keys", id="load_state_dict-missing"),
    _case(lambda: nn.Linear(2, 2).load_state_dict([1, 2]), TypeError, "load_state_dict", "mapping",
          id="load_state_dict-list"),
    # optimizers: other arguments and state dicts
    _case(lambda: optim.SGD(nn.Linear(2, 2).weight, lr=0.1), TypeError, "single Parameter", "wrap it in a list",
          id="SGD-single-param"),
    _case(lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list", "parameter", id="SGD-empty"),
    _case(lambda: optim.SGD(_params(), lr=0.1, nesterov=True), ValueError, "nesterov", "momentum",
          id="SGD-nesterov-no-momentum"),
    _case(lambda: optim.Adam(_params(), betas=(0.9, 1.0)), ValueError, "betas[1]", "in [0, 1)", id="Adam-betas=1"),
    _case(lambda: optim.Adam(_params(), betas=(INF, 0.9)), ValueError, "betas[0]", "finite", id="Adam-betas=inf"),
    _case(lambda: optim.Adam(_params(), betas=0.9), TypeError, "betas", "two floats", id="Adam-betas=float"),
    _case(lambda: optim.Adam(_params()).load_state_dict(optim.SGD(_params(), lr=0.1, momentum=0.9).state_dict()),
          ValueError, "momentum", "optimizer the checkpoint was written with", id="Adam<-SGD-state"),
    _case(lambda: _opt().load_state_dict(_with_group(_opt().state_dict(), lr=-1e9)), ValueError, "'lr'",
          "must be", id="SGD-state-lr=-1e9"),
    _case(lambda: _opt().load_state_dict(_with_group(_opt().state_dict(), momentum=NAN)), ValueError,
          "'momentum'", "must be", id="SGD-state-momentum=nan"),
    _case(lambda: _opt().load_state_dict({"state": {}}), ValueError, "param_groups", "state_dict()",
          id="SGD-state-no-groups"),
    _case(lambda: _opt().load_state_dict(_with_state(NAN)), ValueError, "momentum_buffer", "finite",
          id="SGD-state-buffer-nan"),
    # schedulers
    _case(lambda: S.StepLR(_opt(), step_size=0), ValueError, "step_size", "must be", id="StepLR-step_size=0"),
    _case(lambda: S.StepLR(_opt(), 2, gamma=INF), ValueError, "gamma", "finite", id="StepLR-gamma=inf"),
    _case(lambda: S.ExponentialLR(_opt(), gamma=NAN), ValueError, "gamma", "must be", id="ExponentialLR-gamma=nan"),
    _case(lambda: S.CosineAnnealingLR(_opt(), T_max=0), ValueError, "T_max", "must be", id="Cosine-T_max=0"),
    _case(lambda: S.CosineAnnealingLR(_opt(), 5, eta_min=INF), ValueError, "eta_min", "finite",
          id="Cosine-eta_min=inf"),
    _case(lambda: S.MultiStepLR(_opt(), [2, -1]), ValueError, "milestones[1]", "must be", id="MultiStep-neg"),
    _case(lambda: S.LinearLR(_opt(), start_factor=0), ValueError, "start_factor", "must be", id="LinearLR-0"),
    _case(lambda: S.ReduceLROnPlateau(_opt(), factor=1.0), ValueError, "factor", "in (0, 1)", id="Plateau-factor=1"),
    _case(lambda: S.ReduceLROnPlateau(_opt(), mode="up"), ValueError, "mode", "one of", id="Plateau-mode=up"),
    _case(lambda: S.OneCycleLR(_opt(), max_lr=INF, total_steps=10), ValueError, "max_lr", "finite",
          id="OneCycle-max_lr=inf"),
    _case(lambda: S.StepLR(_params(), 2), TypeError, "Optimizer", "first argument", id="StepLR-not-optimizer"),
    _case(lambda: S.StepLR(_opt(), 2).load_state_dict({**S.StepLR(_opt(), 2).state_dict(), "gamma": -1e9}),
          ValueError, "'gamma'", "> 0", id="StepLR-state-gamma"),
    _case(lambda: S.StepLR(_opt(), 2).load_state_dict({**S.StepLR(_opt(), 2).state_dict(), "last_epoch": NAN}),
          ValueError, "'last_epoch'", "finite number", id="StepLR-state-last_epoch=nan"),
    # clip_grad
    _case(lambda: nn.utils.clip_grad_norm_(_params(), max_norm=-1), ValueError, "max_norm", ">= 0",
          id="clip_grad_norm-max_norm=-1"),
    _case(lambda: nn.utils.clip_grad_value_(_params(), INF), ValueError, "clip_value", "finite",
          id="clip_grad_value-inf"),
    # data
    _case(lambda: data.DataLoader((np.ones((4, 1)), np.ones(4))), TypeError, "plain tuple", "TensorDataset",
          id="DataLoader-tuple"),
    _case(lambda: data.DataLoader(np.ones(3)[0]), TypeError, "Dataset", "TensorDataset", id="DataLoader-scalar"),
    _case(lambda: data.DataLoader(data.TensorDataset(np.ones((4, 1))), batch_size=0), ValueError, "batch_size",
          "must be", id="DataLoader-batch_size=0"),
    _case(lambda: data.DataLoader(data.TensorDataset(np.ones((4, 1))), shuffle="yes"), TypeError, "shuffle",
          "a bool", id="DataLoader-shuffle=str"),
    _case(lambda: data.DataLoader(data.TensorDataset(np.ones((0, 1)))), DataError, "empty dataset", "length 0",
          id="DataLoader-empty"),
    _case(lambda: data.TensorDataset(np.ones((4, 1)), np.ones(3)), ValueError, "TensorDataset", "4",
          id="TensorDataset-lengths"),
    # fit
    _case(lambda: _fit(loss_fn=nn.CrossEntropyLoss), TypeError, "loss_fn", "CrossEntropyLoss()", id="fit-loss-class"),
    _case(lambda: _fit(optimizer=optim.SGD), TypeError, "optimizer", "SGD(model.parameters()", id="fit-opt-class"),
    _case(lambda: _fit(optimizer=optim.SGD(_params(), lr=0.1)), ValueError, "none of the model's parameters",
          "build it on this model", id="fit-foreign-optimizer"),
    _case(lambda: _fit(model="mlp"), TypeError, "model", "nnumpy.nn.Module", id="fit-model=str"),
    _case(lambda: _fit(epochs=-1), ValueError, "epochs", "must be", id="fit-epochs=-1"),
    _case(lambda: _fit(batch_size=0), ValueError, "batch_size", "must be", id="fit-batch_size=0"),
    _case(lambda: _fit(validation_split=1.5), ValueError, "validation_split", "in (0, 1)", id="fit-split=1.5"),
    _case(lambda: _fit(validation_split=INF), ValueError, "validation_split", "finite", id="fit-split=inf"),
    _case(lambda: _fit(metrics=("acc??",)), ValueError, "acc??", "accuracy", id="fit-metric"),
    _case(lambda: _fit(checkpoint_every=0), ValueError, "checkpoint_every", "'epoch' or an int", id="fit-every=0"),
    _case(lambda: _fit(loss_fn=nn.CrossEntropyLoss(reduction="none")), ValueError, "reduction", "'mean'",
          id="fit-loss-none"),
    _case(lambda: _fit(y=np.array([0, 1, 2, 5] * 2)), ValueError, "5", "class", id="fit-label-out-of-range"),
    _case(lambda: _fit(resume="missing.safetensors"), FileNotFoundError, "resume", "missing.safetensors",
          id="fit-resume-missing"),
    # callbacks
    _case(lambda: train.ModelCheckpoint("m-{step}.safetensors"), ValueError, "'path'", "{epoch}",
          id="ModelCheckpoint-step"),
    _case(lambda: train.ModelCheckpoint("m-{epoch.safetensors"), ValueError, "'path'", "'{{'",
          id="ModelCheckpoint-brace"),
    _case(lambda: train.ModelCheckpoint("m-{0}.safetensors"), ValueError, "'path'", "{epoch}",
          id="ModelCheckpoint-positional"),
    _case(lambda: train.ModelCheckpoint(3), TypeError, "'path'", "pathlib.Path", id="ModelCheckpoint-int"),
    _case(lambda: train.EarlyStopping(patience=-1), ValueError, "patience", "must be", id="EarlyStopping-patience"),
    _case(lambda: train.EarlyStopping(min_delta=INF), ValueError, "min_delta", "finite", id="EarlyStopping-inf"),
    _case(lambda: train.CSVLogger(None), TypeError, "'path'", "pathlib.Path", id="CSVLogger-None"),
    _case(lambda: train.History.from_csv("/dev/zero"), ValueError, "/dev/zero", "not a regular file",
          id="History.from_csv-dev-zero"),
    # metrics and predict
    _case(lambda: train.accuracy(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError, "accuracy", "same number of samples",
          id="accuracy-lengths"),
    _case(lambda: train.top_k_accuracy(np.zeros((2, 3)), np.array([0, 1]), k=0), ValueError, "'k'", "must be",
          id="top_k-k=0"),
    _case(lambda: train.predict(nn.Linear(2, 2), np.ones((3, 2)), batch_size=0), ValueError, "batch_size",
          "must be", id="predict-batch_size=0"),
]


def _with_group(state, **hyper):
    state["param_groups"][0].update(hyper)
    return state


def _with_state(value):
    opt = optim.SGD(_params(), lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    sd["state"] = {0: {"momentum_buffer": np.full((2, 2), value)}}
    return sd


def _fit(model=None, loss_fn=None, optimizer=None, y=None, **kwargs):
    model = nn.Sequential(nn.Linear(2, 3, rng=0)) if model is None else model
    if optimizer is None:
        optimizer = optim.SGD(model.parameters(), lr=0.1) if isinstance(model, nn.Module) else _opt()
    X = np.ones((8, 2), dtype=np.float32)
    y = np.array([0, 1, 2, 0] * 2) if y is None else y
    kwargs = {"epochs": 1, "progress": False, "verbose": False, **kwargs}
    return train.fit(model, loss_fn or nn.CrossEntropyLoss(), optimizer, (X, y), **kwargs)


# wrongly shaped grad_output into every layer's backward: (layer, input shape)
BACKWARD_LAYERS = [
    (lambda: nn.Linear(3, 2, rng=0), (4, 3)), (nn.ReLU, (4, 3)), (nn.LeakyReLU, (4, 3)), (nn.ELU, (4, 3)),
    (nn.GELU, (4, 3)), (nn.Sigmoid, (4, 3)), (nn.Tanh, (4, 3)), (nn.Softplus, (4, 3)),
    (lambda: nn.Softmax(dim=1), (4, 3)), (lambda: nn.LogSoftmax(dim=1), (4, 3)),
    (lambda: nn.Dropout(0.5, rng=0), (4, 3)), (lambda: nn.Dropout2d(0.5, rng=0), (2, 3, 4, 4)),
    (nn.Identity, (4, 3)), (nn.Flatten, (2, 3, 4)), (lambda: nn.Conv2d(3, 2, 3, rng=0), (2, 3, 5, 5)),
    (lambda: nn.MaxPool2d(2), (2, 3, 4, 4)), (lambda: nn.AvgPool2d(2), (2, 3, 4, 4)),
    (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 4, 4)), (lambda: nn.BatchNorm1d(3), (4, 3)),
    (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)), (lambda: nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU()), (4, 3)),
    (nn.Sequential, (4, 3)),
]
BAD_GRADS = {"one-element": lambda out: np.ones(1), "transposed": lambda out: np.ones(out.shape[::-1] + (2,)),
             "extra-axis": lambda out: np.ones((1,) + out.shape)}
BACKWARD_CASES = [
    pytest.param(make, shape, bad, id=f"{make().__class__.__name__}{'-' + str(i) if i else ''}-{name}")
    for i, (make, shape) in enumerate(BACKWARD_LAYERS) for name, bad in BAD_GRADS.items()
]


@pytest.mark.parametrize("make, shape, bad", BACKWARD_CASES)
def test_backward_refuses_wrongly_shaped_grad_output(make, shape, bad):
    layer = make()
    out = layer(np.random.default_rng(0).standard_normal(shape))
    with pytest.raises(ValueError) as info:
        layer.backward(bad(out))
    assert "grad_output" in str(info.value) and f"expected grad_output of shape {out.shape}" in str(info.value)


# ---------------------------------------------------------------------------- files
def _files(tmp_path):
    """Files that are not model files or IDX files, by name."""
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    np.save(tmp_path / "a.npy", np.zeros(3))
    with zipfile.ZipFile(tmp_path / "a.pt", "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    (tmp_path / "legacy.pt").write_bytes(b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19." + bytes(64))
    (tmp_path / "a.gz").write_bytes(gzip.compress(b"hello"))
    (tmp_path / "short").write_bytes(b"\x01\x02")
    (tmp_path / "text.safetensors").write_bytes((8).to_bytes(8, "little") + b"[1,2,3] ")
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")  # opening it would wait for a writer forever
    return tmp_path


FILE_CASES = [
    # (reader, file name, exception, words)
    (nnumpy.load, "/dev/zero", ModelFileError, ("/dev/zero", "not a regular file")),
    (nnumpy.load, "a.png", ModelFileError, ("a.png", "not a safetensors file (it is a PNG image)")),
    (nnumpy.load, "a.npy", ModelFileError, ("a.npy", "np.load")),
    (nnumpy.load, "a.pt", ModelFileError, ("a.pt", "safetensors.torch.save_file")),
    (nnumpy.load, "legacy.pt", ModelFileError, ("legacy.pt", "safetensors.torch.save_file")),
    (nnumpy.load, "a.gz", ModelFileError, ("a.gz", "gzip")),
    (nnumpy.load, "short", ModelFileError, ("short", "truncated")),
    (nnumpy.load, "text.safetensors", ModelFileError, ("text.safetensors", "JSON object")),
    (nnumpy.load, "dir", ModelFileError, ("dir", "directory")),
    (nnumpy.load, "fifo", ModelFileError, ("fifo", "not a regular file")),
    (nnumpy.load, "missing.safetensors", ModelFileError, ("missing.safetensors", "no such file")),
    (nnumpy.io.load_checkpoint, "/dev/zero", ModelFileError, ("/dev/zero", "not a regular file")),
    (nnumpy.io.load_checkpoint, "a.png", ModelFileError, ("a.png", "not a safetensors file")),
    (nnumpy.io.inspect, "a.pt", ModelFileError, ("a.pt", "not a safetensors file")),
    (lambda p: nnumpy.load_state(nn.Linear(2, 2), p), "a.npy", ModelFileError, ("a.npy", "not a safetensors")),
    (read_idx, "/dev/zero", DataError, ("/dev/zero", "not a regular file")),
    (read_idx, "a.png", DataError, ("a.png", "not an IDX file")),
    (read_idx, "a.npy", DataError, ("a.npy", "not an IDX file")),
    (read_idx, "a.gz", DataError, ("a.gz", "IDX")),
    (read_idx, "short", DataError, ("short", "too short")),
    (read_idx, "dir", DataError, ("dir", "directory")),
    (read_idx, "fifo", DataError, ("fifo", "not a regular file")),
    (read_idx, "missing.idx", DataError, ("missing.idx", "not found")),
]


@pytest.mark.parametrize("reader, name, exc, words", FILE_CASES,
                         ids=[f"{getattr(r, '__name__', 'load_state')}-{n}" for r, n, _, _ in FILE_CASES])
def test_reader_refuses_file_with_its_own_error(tmp_path, reader, name, exc, words):
    folder = _files(tmp_path)
    with pytest.raises(exc) as info:
        reader(name if name.startswith("/") else folder / name)
    for word in words:
        assert word in str(info.value)


def test_save_error_names_the_users_path_not_the_temp_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError) as info:
        nnumpy.save(nn.Linear(2, 2), tmp_path / "file" / "m.safetensors")
    assert "m.safetensors" in str(info.value) and ".tmp" not in str(info.value)
    with pytest.raises(OSError) as info:
        nnumpy.save(nn.Linear(2, 2), tmp_path)
    assert str(tmp_path) in str(info.value) and ".tmp" not in str(info.value)


def test_checkpoint_loader_state_with_huge_dtype_is_refused_before_allocating():
    loader = data.DataLoader(data.TensorDataset(np.ones((4, 1))), batch_size=2, shuffle=True, rng=0)
    state = loader.state_dict()
    state["rng_state"] = json.loads(json.dumps(state["rng_state"]))
    state["rng_state"]["state"] = {"__ndarray__": ["x"], "dtype": "S200000000"}
    with pytest.raises(ValueError, match="dtype 'S200000000'"):
        loader.load_state_dict(state)


@pytest.mark.parametrize("thunk, exc, words", API_CASES)
def test_api_refuses_bad_input(thunk, exc, words):
    with pytest.raises(exc) as info:
        thunk()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


# ---------------------------------------------------------------------------- the CLI
def _toml(tmp_path, text):
    p = tmp_path / "c.toml"
    p.write_text(text)
    return str(p)


TRAIN = ["train", "--dataset", "xor", "--layers", "2-4-2", "--epochs", "1", "--no-progress", "--quiet"]
RESUME = ["train", "--epochs", "2", "--no-progress", "--quiet", "--resume"]
# (argv, exit status, words); '{tmp}' is the test's folder, whose files _files makes
CLI_CASES = [
    *[(TRAIN + [*pre, f"{flag}={value}"], 2, (name, fix)) for pre, flag, name, fix, values in [
        ((), "--lr", "'lr'", "must be", ["inf", "-inf", "nan", "0", "-1", "1e400"]),
        ((), "--momentum", "'momentum'", "must be", ["inf", "-1", "nan"]),
        ((), "--weight-decay", "'weight_decay'", "must be", ["inf", "-0.5", "nan"]),
        (("--optimizer", "adam"), "--eps", "'eps'", "must be", ["inf", "-1"]),
        (("--optimizer", "rmsprop"), "--eps", "'eps'", "must be", ["nan"]),
    ] for value in values],
    (TRAIN + ["--lr", "fast"], 2, ("--lr", "invalid float value")),
    (TRAIN + ["--optimizer", "adam", "--betas", "0.9,1.5"], 2, ("betas[1]", "in [0, 1)")),
    (TRAIN + ["--optimizer", "adam", "--betas", "inf,0.9"], 2, ("betas[0]", "finite")),
    (TRAIN + ["--optimizer", "adam", "--betas", "0.9"], 2, ("betas", "two floats")),
    (TRAIN + ["--optimizer", "sgd", "--nesterov"], 2, ("nesterov", "momentum")),
    (TRAIN + ["--batch-size", "0"], 2, ("batch size", ">= 1")),
    (TRAIN + ["--batch-size", "-3"], 2, ("batch size", ">= 1")),
    (TRAIN + ["--batch-size", "x"], 2, ("--batch-size", "invalid")),
    (TRAIN + ["--epochs", "0"], 2, ("epochs", ">= 1")),
    (TRAIN + ["--epochs", "1.5"], 2, ("--epochs", "invalid")),
    (TRAIN + ["--seed", "-1"], 2, ("seed", ">= 0")),
    (TRAIN + ["--limit", "0"], 2, ("limit", ">= 1")),
    (TRAIN + ["--val-split", "1"], 2, ("val_split", "< 1")),
    (TRAIN + ["--val-split", "-0.5"], 2, ("val_split", ">= 0")),
    (TRAIN + ["--val-split", "nan"], 2, ("val_split", ">= 0")),
    (TRAIN + ["--dataset", "cifar"], 2, ("cifar", "available:")),
    (TRAIN + ["--layers", "2-x-2"], 2, ("'x'", "positive integer")),
    (TRAIN + ["--layers", "2"], 2, ("--layers", "at least an input and an output width")),
    (TRAIN + ["--layers", "3-4-2"], 2, ("3", "start the layer widths with 2")),
    (TRAIN + ["--layers", "2-4-5"], 2, ("5 outputs", "classes")),
    (TRAIN + ["--layers", "2-0-2"], 2, ("'0'", "positive integer")),
    (TRAIN + ["--activation", "swish"], 2, ("swish", "choose one of")),
    (TRAIN + ["--loss", "hinge"], 2, ("hinge", "choose one of")),
    (TRAIN + ["--optimizer", "lbfgs"], 2, ("lbfgs", "choose one of")),
    (TRAIN + ["--dtype", "float16"], 2, ("float16", "float32")),
    (TRAIN + ["--model", "resnet"], 2, ("resnet", "mlp")),
    (TRAIN + ["--bogus"], 2, ("--bogus", "unrecognized")),
    (TRAIN + ["--config", "/dev/zero"], 2, ("/dev/zero", "not a regular file")),
    (TRAIN + ["--config", "{tmp}/a.png"], 2, ("a.png", "not UTF-8")),
    (TRAIN + ["--config", "{tmp}/c.toml"], 2, ("c.toml", "not valid TOML")),
    (TRAIN + ["--config", "{tmp}/deep.toml"], 2, ("deep.toml", "not valid TOML")),
    (TRAIN + ["--config", "{tmp}/lr.toml"], 2, ("'lr'", "must be")),
    (TRAIN + ["--config", "{tmp}/missing.toml"], 1, ("missing.toml", "No such file")),
    (RESUME + ["/dev/zero"], 1, ("/dev/zero", "not a regular file")),
    (RESUME + ["{tmp}/a.png"], 1, ("a.png", "not a safetensors file")),
    (RESUME + ["{tmp}/a.pt"], 1, ("a.pt", "safetensors.torch.save_file")),
    (RESUME + ["{tmp}/dir"], 1, ("dir", "directory")),
    (RESUME + ["{tmp}/missing.safetensors"], 1, ("missing.safetensors", "")),
    (["evaluate", "/dev/zero"], 1, ("/dev/zero", "not a regular file")),
    (["evaluate", "{tmp}/a.npy"], 1, ("a.npy", "not a safetensors file")),
    (["evaluate", "{tmp}/short"], 1, ("short", "truncated")),
    (["info", "/dev/zero"], 1, ("/dev/zero", "not a regular file")),
    (["info", "{tmp}/a.png"], 1, ("a.png", "PNG image")),
    (["info", "{tmp}/legacy.pt"], 1, ("legacy.pt", "safetensors.torch.save_file")),
    (["info", "{tmp}/text.safetensors"], 1, ("text.safetensors", "JSON object")),
    (["export", "{tmp}/a.png", "{tmp}/m.onnx"], 1, ("a.png", "not a safetensors file")),
    (["predict", "/dev/zero", "{tmp}/x.npy"], 1, ("/dev/zero", "not a regular file")),
    (["predict", "{tmp}/a.pt", "{tmp}/x.npy"], 1, ("a.pt", "not a safetensors file")),
    (["predict", "{model}", "{tmp}/rnd.png"], 1, ("rnd.png", "cannot read image")),
    (["predict", "{model}", "{tmp}/rnd.npy"], 1, ("rnd.npy", "not a .npy file")),
    (["predict", "{model}", "{tmp}/big.npy"], 1, ("big.npy", "cannot read")),
    (["predict", "{model}", "{tmp}/dir.png"], 1, ("dir.png", "not a regular file")),
    (["predict", "{model}", "{tmp}/fifo.png"], 1, ("fifo.png", "not a regular file")),
    (["train", "--config", "{tmp}/fifo", "--no-progress"], 2, ("fifo", "not a regular file")),
    (["info", "{tmp}/fifo"], 1, ("fifo", "not a regular file")),
    (["predict", "{model}", "{tmp}/a.gz"], 1, ("a.gz", "IDX")),
    (["predict", "{model}", "{tmp}/x.npy", "--top", "0"], 2, ("top", ">= 1")),
    (["predict", "{model}", "{tmp}/notes.txt"], 2, ("notes.txt", ".npy")),
    (["gradcheck", "layer.py:L", "--input-shape", "4,a"], 2, ("--input-shape", "")),
    (["frobnicate"], 2, ("frobnicate", "invalid choice")),
]


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    tmp = _files(tmp_path_factory.mktemp("cli"))
    (tmp / "c.toml").write_text("[train\nepochs = 3\n")
    (tmp / "deep.toml").write_text("x = " + "[" * 100_000)
    (tmp / "lr.toml").write_text("[optimizer]\ntype = 'SGD'\nlr = -1e9\n")
    rng = np.random.default_rng(0)
    (tmp / "rnd.png").write_bytes(rng.bytes(300))
    (tmp / "rnd.npy").write_bytes(rng.bytes(300))
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
    header += " " * (118 - 10 - len(header)) + "\n"
    (tmp / "big.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    (tmp / "dir.png").mkdir()
    os.mkfifo(tmp / "fifo.png")
    np.save(tmp / "x.npy", np.zeros(784, dtype=np.float32))
    code = main(["train", "--dataset", "mnist-sample", "--layers", "784-8-10", "--limit", "100", "--epochs", "1",
                 "--no-progress", "--quiet", "--out", str(tmp / "run")])
    assert code == 0
    return tmp


def _cli_id(argv) -> str:
    text = " ".join(argv[len(TRAIN):] if argv[:len(TRAIN)] == TRAIN else argv)
    return text.replace("{tmp}/", "")[:60]


@pytest.mark.parametrize("argv, code, words", CLI_CASES, ids=[_cli_id(a) for a, _, _ in CLI_CASES])
def test_cli_bad_input_one_line_error(cli_files, tmp_path, monkeypatch, capsys, argv, code, words):
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{tmp}", str(cli_files)).replace("{model}", str(cli_files / "run" / "model.safetensors"))
            for a in argv]
    if argv[0] == "train":
        argv += ["--out", str(tmp_path / "out")]
    got = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert got == code, err
    assert len(lines) == 1 and lines[0].startswith("nnumpy: error: "), err
    assert "Traceback" not in err and "Warning" not in err
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


def test_cli_quiet_run_stopped_by_nonfinite_loss_says_why(tmp_path):
    # A subprocess: the diverging run's NumPy overflow warnings are errors under pytest.
    argv = ["train", "--dataset", "xor", "--layers", "2-4-2", "--epochs", "3", "--no-progress", "--quiet",
            "--lr", "1e300", "--out", str(tmp_path)]
    run = subprocess.run([sys.executable, "-c", "import sys; from nnumpy.cli import main; sys.exit(main(sys.argv[1:]))",
                          *argv], capture_output=True, text=True, timeout=120)
    err = run.stderr
    assert run.returncode == 1, err
    assert "training stopped early: non-finite loss" in err
    assert "weights kept" not in err  # the step before had already made them NaN
    assert "no model was written" in err and "lower --lr" in err


# ---------------------------------------------------------------------------- values read from checkpoints
def _xor_fit(model, optimizer, **kwargs):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 4, dtype=np.float32)
    y = np.array([0, 1, 1, 0] * 4)
    return train.fit(model, nn.CrossEntropyLoss(), optimizer, (X, y), epochs=kwargs.pop("epochs", 1), rng=0,
                     progress=False, verbose=False, **kwargs)


def test_fit_resume_of_an_sgd_checkpoint_into_adam_is_refused_and_changes_nothing(tmp_path):
    ckpt = tmp_path / "c.safetensors"
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    _xor_fit(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), checkpoint=ckpt)
    fresh = nn.Sequential(nn.Linear(2, 2, rng=5))
    before = fresh.state_dict()
    with pytest.raises(ValueError, match=r"\['dampening', 'momentum', 'nesterov'\].*optimizer the checkpoint"):
        _xor_fit(fresh, optim.Adam(fresh.parameters()), epochs=2, resume=ckpt)
    assert all(np.array_equal(v, before[k]) for k, v in fresh.state_dict().items())


@pytest.mark.parametrize("name, value", [("lr", -1e9), ("momentum", float("inf")), ("nesterov", "yes"),
                                         ("weight_decay", -1.0)])
def test_checkpoint_with_invalid_optimizer_hyperparameter_is_refused(tmp_path, name, value):
    model = nn.Linear(2, 2, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.param_groups[0][name] = value  # written as if by another program: the file holds it
    nnumpy.io.save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=opt)
    ckpt = nnumpy.io.load_checkpoint(tmp_path / "c.safetensors")
    fresh = nn.Linear(2, 2, rng=5)
    before = fresh.state_dict()
    with pytest.raises((TypeError, ValueError), match=f"'{name}'"):
        ckpt.restore(fresh, optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9))
    assert all(np.array_equal(v, before[k]) for k, v in fresh.state_dict().items())

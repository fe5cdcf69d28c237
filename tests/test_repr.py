"""Text and HTML views (``__repr__``, ``_repr_html_``) of what a notebook user looks at.

Every object here has a text repr that says something (no ``<... object at 0x...>``)
and an HTML view that is well-formed markup (parsed as XML) with its text escaped.
The last test runs a real Jupyter kernel (nbclient) and checks what a notebook
shows: the progress widget, an inline PNG figure and the HTML tables.
"""

from __future__ import annotations

import inspect
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nnumpy
from nnumpy import nn, optim
from nnumpy.check import check_layer, gradcheck
from nnumpy.io import load_checkpoint
from nnumpy.optim import lr_scheduler
from nnumpy.train import EvaluationResult, History, evaluate, fit

X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)


def _model():
    return nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Dropout(0.1, rng=1), nn.Linear(8, 3, rng=2))


def _history():
    model = _model()
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, Y), epochs=3,
               validation_split=0.25, rng=0, progress=False, verbose=False)


def _well_formed(html: str) -> ET.Element:
    assert isinstance(html, str) and html.startswith("<")
    return ET.fromstring(html)  # raises on unbalanced or unescaped markup


def _check(obj, *needles: str) -> None:
    text = repr(obj)
    assert " at 0x" not in text and text
    for needle in needles:
        assert needle in text, (needle, text)
    _well_formed(obj._repr_html_())


# Constructor arguments of every scheduler beyond the optimizer (a new scheduler needs a line here).
SCHEDULER_ARGS = {
    "StepLR": dict(step_size=2), "MultiStepLR": dict(milestones=[1, 2]), "ExponentialLR": dict(gamma=0.9),
    "CosineAnnealingLR": dict(T_max=3), "ReduceLROnPlateau": {}, "ConstantLR": {}, "LinearLR": {},
    "PolynomialLR": {}, "LambdaLR": dict(lr_lambda=lambda e: 0.5), "MultiplicativeLR": dict(lr_lambda=lambda e: 0.9),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1), "OneCycleLR": dict(max_lr=0.1, total_steps=10),
    "CosineAnnealingWarmRestarts": dict(T_0=2),
}


def _schedulers():
    out = []
    for name in lr_scheduler.__all__:
        cls = getattr(lr_scheduler, name)
        if name == "LRScheduler" or not inspect.isclass(cls):
            continue
        opt = optim.SGD(_model().parameters(), lr=0.1, momentum=0.9)
        if name in ("SequentialLR", "ChainedScheduler"):
            parts = [lr_scheduler.ConstantLR(opt), lr_scheduler.ExponentialLR(opt, gamma=0.9)]
            out.append(cls(opt, parts, milestones=[1]) if name == "SequentialLR" else cls(parts))
        else:
            out.append(cls(opt, **SCHEDULER_ARGS[name]))
    return out


def test_module_repr_and_html_table_without_a_forward():
    model = _model()
    _check(model, "Linear(in_features=4, out_features=8")
    root = _well_formed(model._repr_html_())
    text = "".join(root.itertext())
    assert "Linear(in_features=4, out_features=8, bias=True)" in text and "weight (8, 4)" in text
    assert "Total params: 67" in text and "training mode" in text
    _well_formed(model.summary((2, 4))._repr_html_())


def test_history_repr_shows_last_and_best_values_and_an_svg_curve():
    h = _history()
    _check(h, "History(3 epochs, last: loss ", "val_loss", "best val_loss")
    html = h._repr_html_()
    assert html.count("<svg") == 2  # loss and accuracy curves
    assert repr(History()) == "History(0 epochs)"
    _well_formed(History()._repr_html_())


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad])
def test_optimizer_repr_and_html(cls):
    _check(cls(_model().parameters(), lr=0.1), cls.__name__, "lr: 0.1")


def test_every_scheduler_has_a_repr_with_its_hyperparameters():
    scheds = _schedulers()
    assert len(scheds) >= 5
    for s in scheds:
        _check(s, f"{type(s).__name__}(", "lr=")
    step = lr_scheduler.StepLR(optim.SGD(_model().parameters(), lr=0.1), step_size=3, gamma=0.5)
    assert repr(step) == "StepLR(step_size=3, gamma=0.5, last_epoch=0, lr=[0.1])"


def test_checkpoint_repr_is_a_summary_not_the_tensors(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64, rng=0), nn.ReLU(), nn.Linear(64, 10, rng=1))
    rng = np.random.default_rng(0)
    Xm, ym = rng.random((64, 784), dtype=np.float32), rng.integers(0, 10, 64)
    path = tmp_path / "ckpt.safetensors"
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), (Xm, ym), epochs=2, rng=0,
        checkpoint=path, progress=False, verbose=False)
    ckpt = load_checkpoint(path)
    _check(ckpt, "epoch 2, step 4", "Sequential: 4 tensors, 50,890 values", "history 2 epochs")
    assert len(repr(ckpt)) < 1000 and "array(" not in repr(ckpt)


def test_gradcheck_and_layer_reports_have_html():
    report = check_layer(nn.Linear(3, 2, rng=0), (4, 3))
    root = _well_formed(report._repr_html_())
    assert "OK" in "".join(root.itertext())
    g = gradcheck(nn.Tanh(), np.random.default_rng(0).normal(size=(2, 3)))
    _well_formed(g._repr_html_())


def test_evaluate_result_repr_and_html_name_the_classes():
    model = _model()
    r = evaluate(model, (X, Y), nn.CrossEntropyLoss(), metrics=["accuracy", "f1"],
                 class_names=["<zero>", "one & only", "two"])
    assert isinstance(r, EvaluationResult) and isinstance(r, dict)
    _check(r, "EvaluationResult(n=40, loss=", "confusion_matrix=<3x3>")
    text = "".join(_well_formed(r._repr_html_()).itertext())
    assert "<zero>" in text and "one & only" in text and "true two" in text  # escaped in the markup, shown as is
    assert "<zero>" in str(r)


def test_number_of_objects_with_reprs():
    """The figure for the report: how many kinds of objects have both views."""
    kinds = [nn.Module, History, EvaluationResult, optim.Optimizer, lr_scheduler.LRScheduler,
             nnumpy.io.Checkpoint, type(check_layer(nn.ReLU(), (2, 3))),
             type(gradcheck(nn.Tanh(), np.ones((1, 2)))), type(_model().summary((1, 4)))]
    for kind in kinds:
        assert "_repr_html_" in vars(kind) and kind.__repr__ is not object.__repr__, kind
    assert len(kinds) == 9


# ---------------------------------------------------------------------------- a real kernel

NOTEBOOK = [
    "import numpy as np\nfrom nnumpy import nn, optim, plot\nfrom nnumpy.train import fit\n"
    "X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32); y = (X[:, 0] > 0).astype(np.int64)\n"
    "model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 2, rng=1))",
    "h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, batch_size=8,\n"
    "        validation_split=0.25, rng=0, verbose=False)",
    "plot.plot_curves(h)",
    "model",
    "h",
]


def test_notebook_kernel_shows_the_bar_widget_inline_figure_and_html(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("ipywidgets")
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in NOTEBOOK])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    kinds = [{k for out in cell.outputs for k in out.get("data", {})} for cell in nb.cells]
    assert "application/vnd.jupyter.widget-view+json" in kinds[1]  # tqdm's notebook bar
    assert "image/png" in kinds[2]  # the figure, inline, in a fresh kernel without %matplotlib
    assert "text/html" in kinds[3] and "text/html" in kinds[4]

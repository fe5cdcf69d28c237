"""Everything around a layer knows 4-D inputs: a small conv model through summary, trace,
check_layer, save/load and fit/evaluate (issue 11, item 3). The CLI's conv model is tested
in tests/cli/test_convnet.py; the layers' own gradient checks and parity in tests/nn/."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nnumpy
from nnumpy import datasets, nn, optim
from nnumpy.check import check_layer
from nnumpy.train import evaluate, fit


def small_convnet(rng=0) -> nn.Sequential:
    """Conv2d(1, 4, 3) → ReLU → MaxPool2d(2) → Flatten → Linear(4·13·13, 10), for (N, 1, 28, 28)."""
    g = np.random.default_rng(rng)
    return nn.Sequential(nn.Conv2d(1, 4, 3, rng=g), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 13 * 13, 10, rng=g))


def test_conv_workflow_summary_rows_have_4d_shapes():
    s = small_convnet().summary((2, 1, 28, 28))
    assert [(r.type, r.output_shape) for r in s.rows] == [
        ("Conv2d", (2, 4, 26, 26)), ("ReLU", (2, 4, 26, 26)), ("MaxPool2d", (2, 4, 13, 13)),
        ("Flatten", (2, 676)), ("Linear", (2, 10)),
    ]
    # 4·1·3·3 + 4 = 40 in the conv, 676·10 + 10 = 6,770 in the classifier
    assert [r.num_params for r in s.rows] == [40, 0, 0, 0, 6770] and s.total_params == 6810
    assert "(2, 4, 26, 26)" in str(s) and "(2, 4, 13, 13)" in str(s)


def test_conv_workflow_trace_records_4d_forward_and_backward():
    model = small_convnet()
    x = np.random.default_rng(1).standard_normal((2, 1, 28, 28)).astype(np.float32)
    out = io.StringIO()
    with nnumpy.trace(model, file=out) as t:
        y = model(x)
        model.backward(np.ones_like(y))
    rows = [(r.phase, r.name, r.in_shape, r.out_shape) for r in t.records]
    assert rows[:3] == [("forward", "0", (2, 1, 28, 28), (2, 4, 26, 26)),
                        ("forward", "1", (2, 4, 26, 26), (2, 4, 26, 26)),
                        ("forward", "2", (2, 4, 26, 26), (2, 4, 13, 13))]
    assert ("backward", "3", (2, 676), (2, 4, 13, 13)) in rows
    assert rows[-1] == ("backward", "0", (2, 4, 26, 26), (2, 1, 28, 28))
    assert "(2, 1, 28, 28) -> (2, 4, 26, 26)" in out.getvalue()


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv2d(2, 3, 3, rng=0), (2, 2, 5, 5)),
    (nn.Conv2d(2, 4, (3, 2), stride=2, padding=1, groups=2, rng=0), (2, 2, 6, 5)),
    (nn.MaxPool2d(2), (2, 3, 4, 4)),
    (nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 5)),
], ids=["conv", "conv-strided-grouped", "maxpool", "maxpool-overlapping"])
def test_conv_workflow_check_layer_passes(layer, shape):
    report = check_layer(layer, shape)
    assert report.ok, str(report)


def test_conv_workflow_save_load_is_bit_exact(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, rng=0), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(3, 4, (3, 3), stride=(2, 1), rng=1), nn.Dropout2d(0.2),
                          nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 5, rng=2))
    x = np.random.default_rng(3).standard_normal((4, 1, 12, 12)).astype(np.float32)
    model(x)  # BatchNorm2d running statistics move away from their initial values
    path = nnumpy.save(model, tmp_path / "conv.safetensors")
    loaded = nnumpy.load(path)
    assert repr(loaded) == repr(model)
    for (name, a), (name2, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert name == name2 and a.dtype == b.dtype and np.array_equal(a, b), name
    model.eval()
    assert np.array_equal(loaded(x), model(x))


def test_conv_workflow_fit_and_evaluate_on_mnist_sample_images():
    (X, y), (Xt, yt) = datasets.load("mnist-sample", split="train"), datasets.load("mnist-sample", split="test")
    X, y, Xt, yt = X[:600], y[:600], Xt[:300], yt[:300]
    assert X.shape[1:] == (1, 28, 28)  # images stay 4-D, no flattening
    model, loss = small_convnet(), nn.CrossEntropyLoss()
    history = fit(model, loss, optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, batch_size=50,
                  val=(Xt, yt), rng=0, progress=False, verbose=False)
    assert len(history) == 3 and history["loss"][-1] < history["loss"][0]
    result = evaluate(model, (Xt, yt), loss)
    assert result["n"] == 300 and result["confusion_matrix"].shape == (10, 10)
    # 600 images, 36 steps: far from converged, but well above chance (10 %)
    assert result["accuracy"] > 0.6
    assert result["accuracy"] == pytest.approx(history["val_accuracy"][-1])

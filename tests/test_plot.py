"""nnumpy.plot: every plot renders to a valid, non-blank PNG (decoded with Pillow), saved
atomically; matplotlib stays optional and pyplot is never used."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402  (matplotlib depends on Pillow)

from nnumpy import nn, plot  # noqa: E402

RNG = np.random.default_rng(0)
X2 = RNG.normal(size=(40, 2))
Y2 = (X2[:, 0] * X2[:, 1] > 0).astype(np.int64)  # XOR-like quadrants
IMAGES = RNG.random((12, 64)).astype(np.float32)  # 8×8 "images", flat
LABELS = np.arange(12) % 3


def _classifier(n_out=2):
    return nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, n_out, rng=1))


class _History:
    """Anything with to_dict() works, like nnumpy.train.History."""

    def to_dict(self):
        return {"epoch": [1, 2, 3], "loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, None],
                "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.65]}


def _train_history():
    from nnumpy.train import History

    return History.from_dict({"epoch": [1, 2], "loss": [1.0, 0.5], "val_loss": [1.2, 0.8],
                              "accuracy": [0.5, 0.6], "val_accuracy": [0.4, 0.5]})


PLOTS = {
    "curves-history": lambda path: plot.plot_curves(_History(), path=path),
    "curves-train-History": lambda path: plot.plot_curves(_train_history(), path=path),
    "curves-dict-loss-only": lambda path: plot.plot_curves({"loss": [0.9, 0.5]}, path=path),
    "decision-boundary": lambda path: plot.plot_decision_boundary(_classifier(), X2, Y2, resolution=40, path=path),
    "decision-boundary-binary-logit": lambda path: plot.plot_decision_boundary(_classifier(1), X2, Y2, resolution=30,
                                                                               path=path),
    "confusion-labels": lambda path: plot.plot_confusion_matrix(LABELS, (LABELS + (np.arange(12) % 2)) % 3, path=path),
    "confusion-matrix-normalized": lambda path: plot.plot_confusion_matrix(matrix=[[5, 1], [2, 7]], classes=["no", "yes"],
                                                                           normalize=True, path=path),
    "misclassified": lambda path: plot.plot_misclassified(IMAGES, LABELS, np.zeros(12, dtype=int), path=path),
    "misclassified-model": lambda path: plot.plot_misclassified(IMAGES, LABELS, model=nn.Linear(64, 3, rng=0), path=path),
    "misclassified-none": lambda path: plot.plot_misclassified(IMAGES, LABELS, LABELS, path=path),
    "weights": lambda path: plot.plot_weights(nn.Sequential(nn.Linear(64, 10, rng=0), nn.ReLU()), path=path),
    "weights-array": lambda path: plot.plot_weights(RNG.normal(size=(4, 12)), image_shape=(3, 4), path=path),
    "activations": lambda path: plot.plot_activations(_classifier(3), X2, target=LABELS.repeat(4)[:40],
                                                      loss_fn=nn.CrossEntropyLoss(), path=path),
}


def _decode(path):
    with Image.open(path) as im:
        im.load()
        return im.format, im.size, np.asarray(im.convert("RGB"), dtype=np.float64)


@pytest.mark.parametrize("name", list(PLOTS))
def test_plot_renders_valid_nonblank_png(name, tmp_path):
    path = tmp_path / "sub" / f"{name}.png"
    fig = PLOTS[name](path)
    fmt, (w, h), pixels = _decode(path)
    assert fmt == "PNG"
    assert (w, h) == tuple(int(round(v)) for v in fig.get_size_inches() * fig.dpi)
    assert w >= 200 and h >= 150
    assert pixels.std() > 0
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def _content_fraction(fig) -> float:
    """Fraction of pixels that change when every data artist is removed from every axes.

    Lines, markers, bars, images and text drawn into the axes count; the frame,
    ticks and titles do not. A plot that drew only its empty axes scores 0.
    """
    fig.canvas.draw()
    full = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    for ax in fig.axes:
        for artist in [*ax.lines, *ax.collections, *ax.images, *ax.patches, *ax.texts]:
            artist.remove()
    fig.canvas.draw()
    bare = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    return float(np.mean(np.any(full != bare, axis=2)))


@pytest.mark.parametrize("name", list(PLOTS))
def test_plot_draws_data_not_just_axes(name):
    # 0.3% of the pixels: a single curve on a 6x4-inch figure is ~1%, a heat map or image grid 40-80%
    assert _content_fraction(PLOTS[name](None)) > 0.003


def test_plot_content_measure_is_zero_for_empty_axes():
    fig = plot.plot_curves({"loss": [1.0, 0.5]})
    for ax in fig.axes:
        for line in list(ax.lines):
            line.remove()
    assert _content_fraction(fig) == 0.0


@pytest.mark.parametrize("name", ["curves-history", "weights"])
def test_plot_returns_figure_without_path(name, tmp_path):
    from matplotlib.figure import Figure

    fig = PLOTS[name](None)
    assert isinstance(fig, Figure)


def test_plot_overwrites_existing_file_atomically(tmp_path):
    path = tmp_path / "curves.png"
    path.write_bytes(b"old")
    plot.plot_curves({"loss": [1.0, 0.5]}, path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]


def test_animate_decision_boundary_writes_gif(tmp_path):
    model = _classifier()
    snapshots = []
    for _ in range(3):  # stand-in for training: one state_dict per "epoch"
        for p in model.parameters():
            p.data += 0.4
        snapshots.append(model.state_dict())
    path = tmp_path / "boundary.gif"
    fig = plot.animate_decision_boundary(model, X2, Y2, snapshots, resolution=25, fps=5, path=path)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 3
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB"), dtype=np.float64))
    assert all(f.std() > 0 for f in frames)
    assert any(not np.array_equal(frames[0], f) for f in frames[1:])  # the boundary moves
    assert fig.axes[0].get_title().startswith("epoch 3")


def test_animate_decision_boundary_epoch_labels(tmp_path):
    model = _classifier()
    snaps = [model.state_dict()] * 3
    fig = plot.animate_decision_boundary(model, X2, Y2, snaps, epochs=[0, 5, 10], resolution=10)
    assert fig.axes[0].get_title().startswith("epoch 10")
    with pytest.raises(ValueError, match="one epoch number per snapshot"):
        plot.animate_decision_boundary(model, X2, Y2, snaps, epochs=[0, 5], resolution=10)


def test_plot_activations_shows_vanishing_sigmoid_gradients():
    layers = []
    for i in range(6):
        layers += [nn.Linear(16, 16, rng=i), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 3, rng=9))
    x = np.random.default_rng(1).normal(size=(64, 16))
    fig = plot.plot_activations(model, x, target=np.arange(64) % 3, loss_fn=nn.CrossEntropyLoss())
    titles = [ax.get_title() for ax in fig.axes if "median |g|" in ax.get_title()]
    medians = [float(t.split("median |g| ")[1].split(",")[0]) for t in titles]
    assert len(medians) == 13
    # each sigmoid multiplies by σ' ≤ 1/4: the first layer's gradient is orders of magnitude smaller
    assert medians[0] < 1e-3 * medians[-1]


def test_plot_leaves_model_untouched():
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Dropout(0.5, rng=0), nn.Linear(4, 2, rng=1))
    state = {k: v.copy() for k, v in model.state_dict().items()}
    plot.plot_decision_boundary(model, X2, Y2, resolution=10)
    plot.plot_activations(model, X2)
    assert model.training and model[0]._x is None
    assert all(np.array_equal(state[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())
    assert all("forward" not in vars(m) for m in model.modules())


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: plot.plot_curves([1, 2]), TypeError, "to_dict"),
        (lambda: plot.plot_curves({"accuracy": [0.5]}), ValueError, "'loss'"),
        (lambda: plot.plot_curves({"loss": []}), ValueError, "empty"),
        (lambda: plot.plot_curves({"loss": [1, 2], "val_loss": [1]}), ValueError, "equal length"),
        (lambda: plot.plot_decision_boundary(_classifier(), np.ones((5, 3)), np.zeros(5)), ValueError, r"\(N, 2\)"),
        (lambda: plot.plot_decision_boundary(_classifier(), X2, Y2[:5]), ValueError, "40 y"),
        (lambda: plot.plot_decision_boundary(_classifier(), X2, Y2, resolution=1), ValueError, "resolution"),
        (lambda: plot.animate_decision_boundary(_classifier(), X2, Y2, []), ValueError, "non-empty"),
        (lambda: plot.plot_confusion_matrix([0, 1], [0, -1]), ValueError, ">= 0"),
        (lambda: plot.plot_confusion_matrix([0, 1]), ValueError, "y_pred"),
        (lambda: plot.plot_confusion_matrix([0.5, 1], [0, 1]), TypeError, "integer"),
        (lambda: plot.plot_misclassified(np.ones((3, 10)), [0, 1, 2], [0, 0, 0]), ValueError, "image_shape"),
        (lambda: plot.plot_misclassified(IMAGES, LABELS), ValueError, "model="),
        (lambda: plot.plot_weights(nn.ReLU()), ValueError, "no 2-D weight"),
        (lambda: plot.plot_activations(_classifier(), X2, target=Y2), ValueError, "loss_fn"),
    ],
)
def test_plot_rejects_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_plot_missing_matplotlib_names_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'nnumpy\[plot\]'"):
        plot.plot_curves({"loss": [1.0]})


def test_plot_is_lazy_and_never_uses_pyplot(tmp_path):
    code = (
        "import sys, nnumpy\n"
        "assert 'matplotlib' not in sys.modules, 'import nnumpy imported matplotlib'\n"
        f"nnumpy.plot.plot_curves({{'loss': [1.0, 0.5]}}, path={str(tmp_path / 'c.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c.png").exists()


class _Formatter:
    """IPython's image/png formatter, reduced to the two calls nnumpy.plot makes."""

    def __init__(self, registered=None):
        self.types = dict(registered or {})

    def lookup_by_type(self, cls):
        if cls not in self.types:
            raise KeyError(cls)
        return self.types[cls]

    def for_type(self, cls, func):
        self.types[cls] = func


def _fake_kernel(monkeypatch, formatter):
    import types

    shell = types.SimpleNamespace(kernel=object(),
                                  display_formatter=types.SimpleNamespace(formatters={"image/png": formatter}))
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", ipython)


def test_plot_figures_show_inline_under_a_kernel(monkeypatch):
    from matplotlib.figure import Figure

    formatter = _Formatter()
    _fake_kernel(monkeypatch, formatter)
    fig = plot.plot_curves({"loss": [1.0, 0.5]})
    png = formatter.lookup_by_type(Figure)(fig)
    assert png.startswith(b"\x89PNG")
    # %matplotlib inline (or the user) registered a view already: it is kept
    kept = _Formatter({Figure: print})
    _fake_kernel(monkeypatch, kept)
    plot.plot_curves({"loss": [1.0, 0.5]})
    assert kept.types[Figure] is print


def test_plot_registers_nothing_outside_a_kernel(monkeypatch):
    import types

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: None  # IPython imported, but no shell (a script)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    plot.plot_curves({"loss": [1.0, 0.5]})  # nothing to register with, and no error


def test_plot_confusion_matrix_shows_class_names():
    from nnumpy.datasets import class_names

    names = class_names("fashion-mnist")
    fig = plot.plot_confusion_matrix([0, 9, 9], [0, 9, 3], classes=names)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == names and ticks[9] == "Ankle boot"

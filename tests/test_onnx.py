"""nnumpy.onnx.export: every supported layer runs in onnxruntime and matches nnumpy (≤ 1e-5, float32).

Each case builds a small model, exports it with an example batch of 1, runs
the file in onnxruntime on batches of 1 and 17 (the batch is dynamic) and
compares with ``model.eval()(x)``. The layer settings cover what the ONNX
operators make delicate: pads, ceil_mode, dilation, groups, count_include_pad,
divisor_override, adaptive windows that overlap, softmax's implicit axis.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import numpy as np
import pytest

from nnumpy import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
nnonnx = pytest.importorskip("nnumpy.onnx")

ATOL = {np.float32: 1e-5, np.float64: 1e-12}
BATCHES = (1, 17)


def _bn(cls, c, **kw):
    """A BatchNorm layer with running stats and affine parameters away from their defaults."""
    layer = cls(c, **kw)
    r = np.random.default_rng(c)
    if layer.track_running_stats:
        layer.running_mean[:] = r.normal(size=c)
        layer.running_var[:] = r.uniform(0.5, 2.0, size=c)
    if layer.affine:
        layer.weight.data[:] = r.normal(size=c)
        layer.bias.data[:] = r.normal(size=c)
    return layer


# (id, model builder, shape of one example without the batch, opset)
CASES = [
    ("Linear", lambda: nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1)), (4,), None),
    ("Linear-no-bias", lambda: nn.Linear(4, 3, bias=False, rng=0), (4,), None),
    ("Linear-3d", lambda: nn.Sequential(nn.Linear(4, 3, rng=0), nn.Linear(3, 2, bias=False, rng=1)), (5, 4), None),
    ("Identity", lambda: nn.Sequential(nn.Identity()), (3,), None),
    ("Dropout", lambda: nn.Sequential(nn.Linear(3, 3, rng=0), nn.Dropout(0.5, rng=0)), (3,), None),
    ("Dropout2d", lambda: nn.Sequential(nn.Dropout2d(0.3, rng=0)), (2, 3, 3), None),
    ("Flatten", lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2, rng=0)), (3, 2, 2), None),
    ("Flatten-start2", lambda: nn.Sequential(nn.Flatten(start_dim=2)), (3, 2, 2), None),
    ("Flatten-with-batch", lambda: nn.Sequential(nn.Flatten(start_dim=0)), (3, 4), None),
    ("ReLU", lambda: nn.ReLU(), (6,), None),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (6,), None),
    ("ELU", lambda: nn.ELU(alpha=0.7), (6,), None),
    ("Sigmoid", lambda: nn.Sigmoid(), (6,), None),
    ("Tanh", lambda: nn.Tanh(), (6,), None),
    ("GELU", lambda: nn.GELU(), (6,), None),
    ("GELU-tanh", lambda: nn.GELU(approximate="tanh"), (6,), None),
    ("GELU-op20", lambda: nn.Sequential(nn.GELU(), nn.GELU(approximate="tanh")), (6,), 20),
    ("Softplus", lambda: nn.Softplus(), (6,), None),
    ("Softplus-beta-threshold", lambda: nn.Softplus(beta=2.0, threshold=1.0), (6,), None),
    ("Softmax", lambda: nn.Softmax(dim=1), (5,), None),
    ("Softmax-implicit-2d", lambda: nn.Softmax(), (5,), None),
    ("Softmax-implicit-3d", lambda: nn.Softmax(), (3, 4), None),  # dim=None on 3-D: PyTorch's axis 0
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1), (3, 4), None),
    ("BatchNorm1d", lambda: _bn(nn.BatchNorm1d, 4), (4,), None),
    ("BatchNorm1d-3d", lambda: _bn(nn.BatchNorm1d, 3, eps=1e-3), (3, 5), None),
    ("BatchNorm1d-no-affine", lambda: _bn(nn.BatchNorm1d, 4, affine=False), (4,), None),
    ("BatchNorm2d", lambda: _bn(nn.BatchNorm2d, 3), (3, 4, 5), None),
    ("Conv2d", lambda: nn.Conv2d(2, 4, 3, rng=0), (2, 7, 6), None),
    ("Conv2d-stride-pad", lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1, rng=0), (2, 9, 8), None),
    ("Conv2d-pad-pair-dilation", lambda: nn.Conv2d(2, 3, (3, 2), padding=(2, 1), dilation=(2, 1), rng=0), (2, 8, 7), None),
    ("Conv2d-groups-no-bias", lambda: nn.Conv2d(4, 6, 3, groups=2, bias=False, rng=0), (4, 6, 6), None),
    ("Conv2d-same-even-kernel", lambda: nn.Conv2d(2, 3, 4, padding="same", rng=0), (2, 7, 6), None),
    ("Conv2d-valid", lambda: nn.Conv2d(2, 3, 2, padding="valid", rng=0), (2, 5, 5), None),
    ("Conv2d-reflect", lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect", rng=0), (2, 6, 5), None),
    ("Conv2d-replicate", lambda: nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="replicate", rng=0), (2, 6, 5), None),
    ("Conv2d-circular", lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular", rng=0), (2, 6, 5), 19),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), (3, 8, 6), None),
    ("MaxPool2d-pad-ceil", lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 8, 7), None),
    ("MaxPool2d-dilation", lambda: nn.MaxPool2d(2, stride=1, dilation=2), (2, 6, 6), None),
    ("MaxPool2d-rect", lambda: nn.MaxPool2d((2, 3), stride=(1, 2), ceil_mode=True), (2, 5, 8), None),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), (3, 8, 6), None),
    ("AvgPool2d-pad-include", lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 8, 7), None),
    ("AvgPool2d-pad-exclude-ceil", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (2, 8, 7), None),
    ("AvgPool2d-ceil-include", lambda: nn.AvgPool2d(2, stride=2, ceil_mode=True), (2, 5, 7), None),
    ("AvgPool2d-divisor-override", lambda: nn.AvgPool2d(2, padding=1, divisor_override=3), (2, 5, 5), None),
    ("AdaptiveAvgPool2d-1", lambda: nn.AdaptiveAvgPool2d(1), (3, 5, 4), None),
    ("AdaptiveAvgPool2d-overlap", lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 7, 5), None),
    ("AdaptiveAvgPool2d-none", lambda: nn.AdaptiveAvgPool2d((None, 2)), (2, 4, 5), None),
    ("LeNet", lambda: nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=0), _bn(nn.BatchNorm2d, 6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=1), nn.Tanh(), nn.AvgPool2d(2), nn.Dropout2d(0.2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 32, rng=2), _bn(nn.BatchNorm1d, 32), nn.GELU(), nn.Dropout(0.5),
        nn.Linear(32, 10, rng=3), nn.LogSoftmax(dim=1)), (1, 28, 28), None),
    ("nested-Sequential", lambda: nn.Sequential(
        nn.Sequential(nn.Linear(4, 4, rng=0), nn.ELU()), nn.Sequential(nn.Sequential(nn.Linear(4, 2, rng=1)))),
     (4,), None),
]


def _session(proto):
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def max_difference(model, sample_shape, opset=None, dtype=np.float32) -> float:
    """Export with an example batch of 1; the largest |onnxruntime − nnumpy| over batches of 1 and 17."""
    proto = nnonnx.export(model, io.BytesIO(), (1, *sample_shape), opset=opset)
    session = _session(proto)
    model.eval()
    rng = np.random.default_rng(0)
    worst = 0.0
    for n in BATCHES:
        x = (2.0 * rng.normal(size=(n, *sample_shape))).astype(dtype)
        (got,) = session.run(None, {"input": x})
        expected = model(x)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        worst = max(worst, float(np.max(np.abs(got - expected))))
    return worst


@pytest.mark.parametrize("name, build, shape, opset", CASES, ids=[c[0] for c in CASES])
def test_onnx_export_matches_nnumpy_in_onnxruntime(name, build, shape, opset):
    assert max_difference(build(), shape, opset) <= ATOL[np.float32]


def test_onnx_cases_cover_every_builtin_layer():
    covered = set()
    for _, build, _, _ in CASES:
        model = build()
        covered |= {type(m) for m in model.modules()}
    assert {cls for cls in nn.LAYERS.values()} <= covered


def test_onnx_export_float64_model():
    model = nn.Sequential(nn.Linear(3, 5, dtype=np.float64, rng=0), nn.Tanh(), nn.Linear(5, 2, dtype=np.float64, rng=1))
    assert max_difference(model, (3,), dtype=np.float64) <= ATOL[np.float64]


def test_onnx_graph_has_dynamic_batch_and_fixed_other_dims():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.Flatten(), nn.Linear(2 * 4 * 4, 3, rng=1))
    proto = nnonnx.export(model, io.BytesIO(), (8, 1, 6, 6))
    (inp,), (out,) = proto.graph.input, proto.graph.output
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    assert (inp.name, dims(inp)) == ("input", ["batch", 1, 6, 6])
    assert (out.name, dims(out)) == ("output", ["batch", 3])
    assert proto.opset_import[0].version == nnonnx.DEFAULT_OPSET
    assert {i.name for i in proto.graph.initializer} >= {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_onnx_export_writes_a_path_that_loads_and_checks(tmp_path):
    model = nn.Sequential(nn.Linear(4, 2, rng=0))
    path = tmp_path / "sub" / "model.onnx"
    nnonnx.export(model, path, (1, 4))
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    x = np.ones((3, 4), np.float32)
    (y,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})
    np.testing.assert_allclose(y, model(x), atol=1e-6)
    assert [p.name for p in path.parent.iterdir()] == ["model.onnx"]  # no temp file left


def test_onnx_export_leaves_modes_and_running_stats_alone():
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.BatchNorm1d(3), nn.Dropout(0.5, rng=0))
    model[2].eval()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    nnonnx.export(model, io.BytesIO(), (2, 3))
    assert [m.training for m in model.modules()] == [True, True, True, False]
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


class _Scale(nn.Module):
    def forward(self, x):
        return 2 * x


class _MyLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) + 1


@pytest.mark.parametrize(
    "model, match",
    [
        (nn.Sequential(nn.Linear(2, 2, rng=0), _Scale()), r"cannot export .*_Scale at '1'"),
        (nn.Sequential(nn.Sequential(_MyLinear(2, 2, rng=0))), r"_MyLinear at '0\.0'.*subclass"),
        (_Scale(), r"_Scale at 'the root'"),
    ],
    ids=["user-layer", "subclass-of-builtin", "root"],
)
def test_onnx_export_names_unsupported_layers(model, match):
    with pytest.raises(TypeError, match=match):
        nnonnx.export(model, io.BytesIO(), (1, 2))


@pytest.mark.parametrize(
    "model, kwargs, error, match",
    [
        (nn.BatchNorm1d(3, track_running_stats=False), {}, ValueError, r"BatchNorm1d.*track_running_stats=False"),
        (nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular"), {}, ValueError, r"circular.*opset=19"),
        (nn.Linear(3, 2), {"opset": 12}, ValueError, r"'opset' parameter .* in \[13, "),
        (nn.Linear(3, 2), {"opset": 999}, ValueError, r"'opset' parameter"),
        (nn.Linear(3, 2), {"opset": "17"}, TypeError, r"'opset' parameter"),
        (nn.Linear(3, 2), {"input_shape": (1, 4)}, ValueError, r"Linear"),
        (nn.Linear(3, 2), {"input_shape": (0, 3)}, ValueError, r"'input_shape' parameter"),
        (nn.Linear(3, 2), {"input_shape": 3}, TypeError, r"'input_shape' parameter"),
        (nn.Linear(3, 2), {"f": 3}, TypeError, r"'f' parameter"),
        (nn.MSELoss(), {}, TypeError, r"nnumpy.nn.Module, got MSELoss"),
        (nn.Sequential(nn.Linear(3, 3, rng=0), nn.Linear(3, 3, dtype=np.float64, rng=0)), {}, ValueError, "mix dtypes"),
    ],
    ids=["bn-batch-stats", "circular-old-opset", "opset-low", "opset-high", "opset-str", "shape-mismatch",
         "shape-zero", "shape-int", "bad-f", "loss", "mixed-dtypes"],
)
def test_onnx_export_rejects_bad_input_with_clear_errors(model, kwargs, error, match):
    args = {"f": io.BytesIO(), "input_shape": (2, 3) if not isinstance(model, nn.Conv2d) else (1, 1, 4, 4)}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        nnonnx.export(model, args.pop("f"), args.pop("input_shape"), **args)


def test_onnx_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "nnumpy\[onnx\]"'):
        nnonnx.export(nn.Linear(2, 2), io.BytesIO(), (1, 2))


def test_onnx_core_and_module_import_do_not_import_onnx():
    code = (
        "import sys, nnumpy, nnumpy.io, nnumpy.train, nnumpy.onnx\n"
        "assert 'onnx' not in sys.modules and 'onnxruntime' not in sys.modules, 'onnx was imported'\n"
    )
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_onnx_interop_page_code_runs(tmp_path, monkeypatch):
    # docs/interop.md (and its Korean twin, which has the same code blocks) pastes no outputs;
    # its claims are asserts in the code, and every python block must run, in order, in one session.
    pytest.importorskip("sklearn")
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "interop.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3, "docs/interop.md lost its code blocks"
    monkeypatch.chdir(tmp_path)  # the page writes digits.onnx and iris.onnx
    namespace: dict = {"__name__": "interop_page"}
    with contextlib.redirect_stdout(io.StringIO()):
        for code in blocks:
            exec(compile(code, str(page), "exec"), namespace)
    assert (tmp_path / "digits.onnx").is_file() and (tmp_path / "iris.onnx").is_file()

"""model.summary and nnumpy.trace: shapes and counts per layer, and the model left exactly as it was."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nnumpy
from nnumpy import nn
from nnumpy._inspect import ModelSummary, hooked, summary


def _mlp(dtype=np.float32):
    return nn.Sequential(nn.Linear(784, 128, rng=0, dtype=dtype), nn.ReLU(), nn.Linear(128, 10, rng=1, dtype=dtype))


def _step(model, batch=32, d_in=784):
    """One forward/backward pass of a training step."""
    x = np.random.default_rng(0).normal(size=(batch, d_in)).astype(np.float32)
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), np.arange(batch) % 10)
    model.backward(loss_fn.backward())


# ---------------------------------------------------------------------------- summary


def test_summary_rows_shapes_counts_dtypes():
    s = _mlp().summary((32, 784))
    assert isinstance(s, ModelSummary)
    assert [(r.name, r.type) for r in s.rows] == [("0", "Linear"), ("1", "ReLU"), ("2", "Linear")]
    assert [r.output_shape for r in s.rows] == [(32, 128), (32, 128), (32, 10)]
    # 784·128 + 128 = 100,480 and 128·10 + 10 = 1,290
    assert [r.num_params for r in s.rows] == [100_480, 0, 1_290]
    assert s.total_params == 101_770 and s.total_bytes == 101_770 * 4
    assert {r.dtype for r in s.rows} == {"float32"}
    assert s.output_shape == (32, 10)


def test_summary_table_text():
    text = str(_mlp().summary((1, 784)))
    assert "Layer (type)" in text and "Output shape" in text and "Param #" in text and "dtype" in text
    assert "0 (Linear)" in text and "100,480" in text
    assert "Total params: 101,770 (397.5 KiB)" in text
    assert repr(_mlp().summary((1, 784))) == text


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_summary_follows_model_dtype(dtype):
    s = _mlp(dtype).summary((2, 784))
    assert {r.dtype for r in s.rows} == {np.dtype(dtype).name}


def test_summary_method_matches_function():
    model = _mlp()
    assert str(model.summary((4, 784))) == str(summary(model, (4, 784)))


def test_summary_leaves_model_untouched():
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.BatchNorm1d(3), nn.Dropout(0.5, rng=0))
    state = {k: v.copy() for k, v in model.state_dict().items()}
    rng_state = model[2].rng.bit_generator.state
    model.summary((8, 4))
    assert all(np.array_equal(state[k], v) for k, v in model.state_dict().items())
    assert model[2].rng.bit_generator.state == rng_state
    assert model.training and model[0]._x is None
    assert "forward" not in vars(model[0])


class _Unused(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(3, 2, rng=0)
        self.spare = nn.Linear(3, 5, rng=1)  # registered but never called

    def forward(self, x):
        return self.used(x)


def test_summary_lists_modules_not_called():
    s = _Unused().summary((2, 3))
    spare = next(r for r in s.rows if r.name == "spare")
    assert spare.output_shape == "(not called)" and spare.num_params == 20
    assert s.total_params == 8 + 20


def test_summary_shape_error_names_layer():
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\), which got input shape \(3, 5\)"):
        _mlp().summary((3, 5))


@pytest.mark.parametrize("bad, exc", [((0, 784), ValueError), ((), ValueError), (784, TypeError), ((2.5, 3), ValueError)])
def test_summary_rejects_bad_input_shape(bad, exc):
    with pytest.raises(exc, match="input_shape"):
        _mlp().summary(bad)


# ---------------------------------------------------------------------------- trace


def test_trace_records_forward_and_backward_shapes():
    model = _mlp()
    with nnumpy.trace(model, print=False) as t:
        _step(model)
    got = [(r.phase, r.name, r.in_shape, r.out_shape) for r in t.records]
    assert got == [
        ("forward", "0", (32, 784), (32, 128)),
        ("forward", "1", (32, 128), (32, 128)),
        ("forward", "2", (32, 128), (32, 10)),
        ("backward", "2", (32, 10), (32, 128)),
        ("backward", "1", (32, 128), (32, 128)),
        ("backward", "0", (32, 128), (32, 784)),
    ]
    assert t.records[3].param_shapes == {"weight": (10, 128), "bias": (10,)}
    assert [r.step for r in t.records] == list(range(1, 7))


def test_trace_restores_methods_on_exit():
    model = _mlp()
    with nnumpy.trace(model, print=False):
        assert "forward" in vars(model[0])
    assert all("forward" not in vars(m) and "backward" not in vars(m) for m in model.modules())
    _step(model)  # still trains normally


def test_trace_restores_methods_on_exception():
    model = _mlp()
    with pytest.raises(ValueError, match="expected input of shape"):
        with nnumpy.trace(model, print=False) as t:
            model(np.ones((2, 5)))
    assert all("forward" not in vars(m) for m in model.modules())
    assert t.records[0].error.startswith("ValueError") and t.records[0].out_shape == "-"


def test_trace_prints_table_on_exit(capsys):
    model = _mlp()
    with nnumpy.trace(model):
        _step(model, batch=4)
    out = capsys.readouterr().out
    assert "trace of Sequential: 3 forward and 3 backward calls" in out
    assert "(4, 784) -> (4, 128)" in out and "weight.grad (128, 784)" in out


def test_trace_print_false_is_silent_and_file_is_honoured(capsys):
    model = _mlp()
    with nnumpy.trace(model, print=False) as t:
        _step(model, batch=2)
    assert capsys.readouterr().out == ""
    buf = io.StringIO()
    with nnumpy.trace(model, file=buf):
        _step(model, batch=2)
    assert buf.getvalue().strip() == str(t).strip()


def test_trace_records_parameter_only_backward():
    # Sequential.backward(..., input_grad=False) skips dL/dx of the first layer (fit does this)
    model = _mlp()
    x = np.zeros((2, 784), dtype=np.float32)
    with nnumpy.trace(model, print=False) as t:
        model.backward(np.ones_like(model(x)), input_grad=False)
    backward = [(r.name, r.out_shape) for r in t.records if r.phase == "backward"]
    assert backward == [("2", (2, 128)), ("1", (2, 128)), ("0", "-")]
    assert t.records[-1].param_shapes == {"weight": (128, 784), "bias": (128,)}
    assert all("backward" not in vars(m) and "forward" not in vars(m) for m in model.modules())  # unwrapped


def test_trace_covers_one_batch():
    model = _mlp()
    with nnumpy.trace(model, print=False) as t:
        for _ in range(3):
            _step(model, batch=2)
    assert len(t.records) == 6


def test_trace_forward_only_loop_covers_one_batch():
    model = _mlp()
    with nnumpy.trace(model, print=False) as t:
        for _ in range(3):
            model(np.zeros((2, 784), dtype=np.float32))
    assert [r.phase for r in t.records] == ["forward"] * 3


def test_trace_empty_block_message():
    with nnumpy.trace(_mlp(), print=False) as t:
        pass
    assert t.records == [] and "no layer was called" in str(t)


def test_trace_shared_module_wrapped_once():
    shared = nn.Linear(3, 3, rng=0)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    with hooked(model, on_forward=lambda *a: None) as leaves:
        assert [name for name, _ in leaves] == ["0", "1"]
    x = np.ones((2, 3), dtype=np.float32)
    with nnumpy.trace(model, print=False) as t:
        model.backward(np.ones_like(model(x)))
    assert [(r.phase, r.name) for r in t.records][:3] == [("forward", "0"), ("forward", "1"), ("forward", "0")]
    assert "forward" not in vars(shared)


def test_trace_exported_from_package():
    assert "trace" in nnumpy.__all__ and nnumpy.trace is nnumpy._inspect.trace


@pytest.mark.parametrize("bad", ["model", np.ones(3)])
def test_trace_rejects_non_module(bad):
    with pytest.raises(TypeError, match="Module"):
        nnumpy.trace(bad)

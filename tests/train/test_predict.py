"""predict, predict_proba, predict_classes; nnumpy.load returns the model in eval mode."""

from __future__ import annotations

import numpy as np
import pytest

import nnumpy
from nnumpy import nn
from nnumpy.train import evaluate, predict, predict_classes, predict_proba

X = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)


def _net(*tail, n_out=3):
    return nn.Sequential(nn.Linear(4, 8, rng=0), nn.BatchNorm1d(8), nn.Dropout(0.5, rng=1), nn.ReLU(),
                         nn.Linear(8, n_out, rng=2), *tail)


def test_predict_runs_in_eval_mode_and_restores_every_modules_mode():
    model = _net()
    model.train()
    model[2].eval()  # a mixed state must come back as it was
    modes = [m.training for m in model.modules()]
    out = predict(model, X, batch_size=7)
    assert [m.training for m in model.modules()] == modes
    expected = model.eval()(X)  # BatchNorm on running statistics, Dropout off
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert out.dtype == np.float32 and out.shape == (50, 3)


def test_predict_converts_float_inputs_to_the_models_dtype_and_copies_outputs():
    model = _net().double()
    out = predict(model, X)  # float32 in, float64 model
    assert out.dtype == np.float64
    again = predict(model, X[:5])
    assert out[:5].tobytes() == again.tobytes()  # an earlier result is not overwritten by a later call


def test_predict_bad_input():
    with pytest.raises(TypeError, match="predict expects an nnumpy.nn.Module"):
        predict(lambda x: x, X)
    with pytest.raises(ValueError, match="The 'batch_size' parameter of predict must be an int >= 1"):
        predict(_net(), X, batch_size=0)
    with pytest.raises(TypeError, match="numeric input array"):
        predict(_net(), np.array(["a", "b"]))
    with pytest.raises(ValueError, match="0-d"):
        predict(_net(), np.float32(1.0))


def _softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_predict_proba_reads_logits_probabilities_and_log_probabilities_by_the_last_layer():
    logits = predict(_net(), X)
    p = predict_proba(_net(), X)
    np.testing.assert_allclose(p, _softmax(logits), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict_proba(_net(nn.Softmax(dim=1)), X), p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict_proba(_net(nn.LogSoftmax(dim=1)), X), p, rtol=1e-5, atol=1e-6)
    # output= overrides the last layer's type
    np.testing.assert_allclose(predict_proba(_net(), X, output="probabilities"), logits)
    np.testing.assert_allclose(predict_proba(_net(nn.LogSoftmax(dim=1)), X, output="logits"), p, rtol=1e-5, atol=1e-6)


def test_predict_proba_single_column_gives_two_columns():
    logit = predict(_net(n_out=1), X)[:, 0].astype(np.float64)
    p1 = 1 / (1 + np.exp(-logit))
    p = predict_proba(_net(n_out=1), X)
    assert p.shape == (50, 2)
    np.testing.assert_allclose(p[:, 1], p1, rtol=1e-5)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(predict_proba(_net(nn.Sigmoid(), n_out=1), X), p, rtol=1e-5, atol=1e-6)
    classes = predict_classes(_net(n_out=1), X)
    assert np.array_equal(classes, (logit > 0).astype(np.int64))
    assert np.array_equal(predict_classes(_net(nn.Sigmoid(), n_out=1), X), classes)


def test_predict_proba_decides_by_layer_type_not_class_name():
    class Softmax(nn.ReLU):  # a look-alike name: its outputs are not probabilities
        pass

    class Tempered(nn.Softmax):  # a subclass of Softmax: they are
        pass

    logits = predict(_net(), X)
    np.testing.assert_allclose(predict_proba(_net(Softmax()), X), _softmax(np.maximum(logits, 0)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(predict_proba(_net(Tempered(dim=1)), X), _softmax(logits), rtol=1e-5, atol=1e-6)


def test_predict_classes_agree_with_evaluate_accuracy():
    model = _net()
    y = np.random.default_rng(1).integers(0, 3, size=50)
    classes = predict_classes(model, X)
    assert classes.dtype == np.int64 and classes.shape == (50,)
    assert np.mean(classes == y) == evaluate(model, (X, y))["accuracy"]
    assert np.array_equal(classes, predict_proba(model, X).argmax(axis=1))


def test_predict_proba_bad_arguments():
    with pytest.raises(ValueError, match="The 'output' parameter of predict_proba must be one of"):
        predict_proba(_net(), X, output="scores")
    with pytest.raises(ValueError, match="expects model outputs of shape \\(N,\\), \\(N, 1\\) or \\(N, C\\)"):
        predict_proba(nn.Flatten(start_dim=2), X[:, :, None, None])


def test_load_returns_the_model_in_eval_mode(tmp_path):
    model = _net()
    path = nnumpy.save(model, tmp_path / "m.safetensors")
    loaded = nnumpy.load(path)
    assert not any(m.training for m in loaded.modules())
    assert loaded(X).tobytes() == model.eval()(X).tobytes()  # inference needs no .eval() call
    assert not nnumpy.load(path, dtype="float64").training

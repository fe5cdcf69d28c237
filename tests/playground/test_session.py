"""The 2-D session without a server: data, network, training, frames and the backprop walk."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from nnumpy import nn
from nnumpy.playground._backprop import FORMULAS, walk
from nnumpy.playground._schema import DATASETS, LIMITS, RequestError, session_config
from nnumpy.playground._session import GRID, MAX_CURVE, Session, make_points


def _session(**config) -> Session:
    return Session(session_config(config))


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_data_set_fits_the_grid_and_has_both_splits(dataset):
    classes = 3 if dataset in ("spiral", "blobs") else 2
    s = _session(dataset=dataset, classes=classes, points=60)
    assert s.X.shape == (60, 2) and s.X.dtype == np.float64
    assert sorted(set(s.y.tolist())) == list(range(classes))
    assert len(s.X_val) == 15 and not np.array_equal(s.X[:15], s.X_val)
    xmin, xmax, ymin, ymax = s.extent()
    assert xmin < s.X[:, 0].min() and s.X[:, 0].max() < xmax and ymin < s.X[:, 1].min() and s.X[:, 1].max() < ymax


def test_points_depend_on_the_seed_only():
    c = session_config({"dataset": "moons"})
    a, b = make_points(c, 50, 3), make_points(c, 50, 3)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], make_points(c, 50, 4)[0])


@pytest.mark.parametrize("loss,outputs", [("CrossEntropyLoss", 2), ("MSELoss", 2), ("BCEWithLogitsLoss", 1)])
def test_network_shape_follows_widths_activation_and_loss(loss, outputs):
    s = _session(hidden=[5, 3], activation="ReLU", loss=loss)
    kinds = [type(m).__name__ for m in s.model.children()]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert s.model[4].out_features == outputs and s.frame["network"]["sizes"] == [2, 5, 3, outputs]


def test_no_hidden_layer_is_logistic_regression():
    s = _session(hidden=[])
    assert [type(m).__name__ for m in s.model.children()] == ["Linear"]


def test_step_trains_one_batch_and_reset_restores_the_start():
    s = _session()
    w0 = s.model[0].weight.data.copy()
    s.step()
    assert s.step_count == 1 and not np.array_equal(s.model[0].weight.data, w0)
    assert s.frame["step"] == 1 and s.frame["curves"]["step"] == [0, 1]
    s.reset()
    assert s.step_count == 0 and np.array_equal(s.model[0].weight.data, w0)


def test_xor_is_learned_and_the_boundary_separates_the_corners():
    s = _session(dataset="xor", lr=0.3)
    for _ in range(600):
        s.train_step()
    s._record()
    s.render()
    assert s.curves["acc"][-1] >= 0.95 and s.curves["loss"][-1] < 0.5 * s.curves["loss"][0]
    b = s.frame["boundary"]
    cls = np.frombuffer(base64.b64decode(b["classes"]), dtype=np.uint8).reshape(GRID, GRID)
    xs = np.linspace(b["extent"][0], b["extent"][1], GRID)
    ys = np.linspace(b["extent"][3], b["extent"][2], GRID)  # row 0 is the top

    def at(x, y):
        return int(cls[np.abs(ys - y).argmin(), np.abs(xs - x).argmin()])

    corner = 1 / 1.5  # the XOR corners after scaling into about [-1, 1]
    assert at(-corner, -corner) == at(corner, corner) == 0
    assert at(-corner, corner) == at(corner, -corner) == 1


def test_frame_carries_weights_gradients_and_the_probe_activations():
    s = _session(hidden=[4])
    s.step()
    layers = s.frame["network"]["layers"]
    assert [entry["type"] for entry in layers] == ["Linear", "Tanh", "Linear"]
    w, g = np.array(layers[0]["weight"]), np.array(layers[0]["weight_grad"])
    assert w.shape == (4, 2) and np.allclose(w, s.model[0].weight.data, rtol=1e-3, atol=1e-6)
    assert np.allclose(g, s.model[0].weight.grad, rtol=1e-2, atol=1e-6)
    acts = s.frame["network"]["activations"]
    assert [len(a) for a in acts] == [2, 4, 4, 2]
    assert np.allclose(acts[2], np.tanh(acts[1]), atol=1e-3)


def test_curves_are_thinned_beyond_their_limit():
    s = _session(points=20, batch_size=20)
    for _ in range(MAX_CURVE + 30):
        s.train_step()
        s._record()
    steps = s.curves["step"]
    assert len(steps) <= MAX_CURVE and steps[-1] == s.step_count and steps == sorted(steps)
    assert all(len(v) == len(steps) for v in s.curves.values())


def test_divergence_pauses_with_a_message_and_json_safe_numbers():
    import json

    s = _session(optimizer="SGD", lr=10.0, loss="MSELoss", activation="ReLU", hidden=[32, 32, 32])
    s.running = True
    for _ in range(400):
        s._guarded_steps(1)
        s._record()
        if s.message:
            break
    assert s.message == "diverged" and not s.running
    s.render()
    json.dumps(s.frame, allow_nan=False)  # NaN became null


def test_step_limit_stops_training(monkeypatch):
    monkeypatch.setitem(LIMITS, "max_steps", 5)
    s = _session()
    s.running = True
    s._guarded_steps(None, until=None)
    assert s.step_count == 5 and s.message == "step_limit" and not s.running


def test_background_thread_trains_and_pauses():
    import time

    s = _session(points=40)
    try:
        s.start()
        deadline = time.monotonic() + 10
        while s.step_count < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        s.pause()
        n = s.step_count
        assert n >= 30
        time.sleep(0.2)
        assert s.step_count == n and not s.frame["running"]
    finally:
        s.close()


@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss"])
@pytest.mark.parametrize("activation", ["ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU"])
def test_backprop_walk_is_nnumpys_own_backward(loss, activation):
    """The walk's numbers equal one forward/backward of the same network on the same sample."""
    s = _session(hidden=[5, 4], activation=activation, loss=loss)
    for _ in range(5):
        s.train_step()
    i = 7
    w = walk(s.model, s.loss_fn, s.X[i], s.T[i:i + 1], int(s.y[i]))
    # the reference: the session's own network, whole
    s.model.zero_grad()
    out = s.model(s.X[i:i + 1])
    ref_loss = s.loss_fn(out, s.T[i:i + 1])
    dx = s.model.backward(s.loss_fn.backward())
    assert w["loss"]["value"] == pytest.approx(float(ref_loss), rel=1e-12)
    assert np.allclose(w["forward"][-1]["output"], out[0], rtol=1e-12, atol=0)
    assert np.allclose(w["backward"][-1]["grad_input"], dx[0], rtol=1e-12, atol=1e-300)
    grads = {f"{st['index']}.{k}": np.array(v) for st in w["backward"] for k, v in st["grads"].items()}
    for name, p in s.model.named_parameters():
        assert np.allclose(grads[name], p.grad, rtol=1e-12, atol=1e-300), name
    # each layer's grad_output is the next layer's returned dL/dx
    back = w["backward"]
    for later, earlier in zip(back, back[1:]):
        assert later["grad_input"] == earlier["grad_output"]
    assert back[0]["grad_output"] == w["loss"]["grad"]
    assert all(st["formula"] for st in w["forward"] + w["backward"])
    assert {"forward", "backward"} <= set(FORMULAS[loss])


def test_backprop_walk_leaves_the_session_untouched():
    s = _session()
    s.step()
    before = {n: (p.data.copy(), p.grad.copy()) for n, p in s.model.named_parameters()}
    walk(s.model, s.loss_fn, s.X[0], s.T[0:1], int(s.y[0]))
    for n, p in s.model.named_parameters():
        assert np.array_equal(p.data, before[n][0]) and np.array_equal(p.grad, before[n][1])


def test_walk_formulas_match_the_layer_derivative():
    """The formula shown beside Tanh's numbers is what the numbers obey: dL/dx = g * (1 - y^2)."""
    s = _session(hidden=[3], activation="Tanh")
    w = walk(s.model, s.loss_fn, s.X[0], s.T[0:1], int(s.y[0]))
    tanh_fwd = next(st for st in w["forward"] if st["type"] == "Tanh")
    tanh_bwd = next(st for st in w["backward"] if st["type"] == "Tanh")
    y, g = np.array(tanh_fwd["output"]), np.array(tanh_bwd["grad_output"])
    assert np.allclose(tanh_bwd["grad_input"], g * (1 - y ** 2), rtol=1e-12)
    lin = next(st for st in w["backward"] if st["index"] == 0)
    x = np.array(w["forward"][0]["input"])
    assert np.allclose(lin["grads"]["weight"], np.outer(lin["grad_output"], x), rtol=1e-12)


@pytest.mark.parametrize("body,field", [
    ({"dataset": "mnist"}, "dataset"),
    ({"hidden": [0]}, "hidden"),
    ({"hidden": [8] * 7}, "hidden"),
    ({"hidden": "16,16"}, "hidden"),
    ({"points": 5}, "points"),
    ({"points": 10.5}, "points"),
    ({"lr": 0}, "lr"),
    ({"lr": "fast"}, "lr"),
    ({"batch_size": True}, "batch_size"),
    ({"classes": 3}, "classes"),
    ({"dataset": "spiral", "classes": 3, "loss": "BCEWithLogitsLoss"}, "loss"),
    ({"activation": "relu"}, "activation"),
    ({"optimizer": "LBFGS"}, "optimizer"),
    ({"seed": -1}, "seed"),
    ({"colour": "red"}, "colour"),
])
def test_config_errors_name_the_field(body, field):
    with pytest.raises(RequestError) as e:
        session_config(body)
    assert e.value.field == field and e.value.status == 422 and field in str(e.value)


def test_walk_on_a_layer_without_formula_is_still_numbers():
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64, rng=np.random.default_rng(0)))
    w = walk(model, nn.CrossEntropyLoss(), np.array([0.5, -0.5]), np.array([1]), 1)
    assert len(w["forward"]) == 1 and len(w["backward"]) == 1

"""The Digits page's model (:mod:`nnumpy.playground._digits`) and its two API routes.

A drawing reaches the server as ``{"width", "height", "pixels"}`` (base64 of
uint8 grayscale, ink 255 on 0). Every field is checked: each refusal below
must come back as a RequestError (a 4xx JSON answer) naming the field.
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest

import nnumpy
from nnumpy import nn
from nnumpy.errors import ModelFileError
from nnumpy.playground._digits import CACHE_NAME, DigitsModel
from nnumpy.playground._schema import RequestError


def canvas_of(image: np.ndarray, scale: int = 5) -> np.ndarray:
    """A 28x28 MNIST image in [0, 1] drawn on a (28*scale)-pixel canvas, as uint8 (ink 255 on 0)."""
    big = np.kron(image, np.ones((scale, scale), dtype=np.float32))
    return np.round(255 * np.clip(big, 0, 1)).astype(np.uint8)


def body_of(a: np.ndarray) -> dict:
    return {"width": int(a.shape[1]), "height": int(a.shape[0]), "pixels": base64.b64encode(a.tobytes()).decode()}


@pytest.fixture(scope="module")
def digits(digits_model_path):
    return DigitsModel(str(digits_model_path))


@pytest.fixture(scope="module")
def test_digits():
    X, y = nnumpy.datasets.load("mnist-sample", split="test")
    return X[:, 0], y


# ---------------------------------------------------------------------------- model files
def save(tmp_path, model, name="m.safetensors", **kw):
    path = tmp_path / name
    nnumpy.save(model, path, **kw)
    return path


@pytest.mark.parametrize("layers, says", [
    (lambda: [nn.Linear(100, 10, rng=0)], "Linear(100, 10), which reads 100 values"),
    (lambda: [nn.Linear(784, 32, rng=0), nn.ReLU(), nn.Linear(32, 5, rng=0)], "outputs shape [5]"),
    (lambda: [nn.Conv2d(3, 4, 5, rng=0), nn.Flatten(), nn.Linear(4 * 24 * 24, 10, rng=0)], "3 input channels"),
    (lambda: [nn.ReLU()], "no Linear or Conv2d"),
])
def test_a_model_file_that_does_not_read_digits_is_refused_clearly(tmp_path, layers, says):
    path = save(tmp_path, nn.Sequential(*layers()))
    with pytest.raises(ValueError) as e:
        DigitsModel(str(path))
    msg = str(e.value)
    assert str(path) in msg and says in msg
    assert "28x28" in msg and "10 classes" in msg and "Fix:" in msg  # expected, got, and the fix
    assert "\n" not in msg


def test_a_model_trained_on_other_inputs_is_refused_by_its_metadata(tmp_path):
    model = nn.Sequential(nn.Linear(784, 10, rng=0))
    path = save(tmp_path, model, metadata={"input_shape": json.dumps([3, 28, 28 // 3])})
    with pytest.raises(ValueError, match=r"trained on inputs of shape \[3, 28, 9\]"):
        DigitsModel(str(path))


def test_a_missing_or_corrupt_model_file_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="nope.safetensors"):
        DigitsModel(str(tmp_path / "nope.safetensors"))
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    with pytest.raises(ModelFileError):
        DigitsModel(str(bad))


def test_a_conv_net_with_one_input_channel_is_taken_and_its_activations_are_maps(tmp_path, test_digits):
    model = nn.Sequential(nn.Conv2d(1, 4, 5, rng=0), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 24 * 24, 10, rng=0))
    d = DigitsModel(str(save(tmp_path, model)))
    out = d.predict(body_of(canvas_of(test_digits[0][0])))
    assert out["activations"]["layer"] == "1: ReLU"
    assert out["activations"]["shape"] == [4, 24, 24]
    assert len(out["activations"]["values"]) == 4 * 24 * 24
    assert min(out["activations"]["values"]) >= 0.0
    assert d.status()["model"] == "Conv2d → ReLU → Flatten → Linear"


# ---------------------------------------------------------------------------- predict
def test_a_test_digit_drawn_on_a_canvas_is_prepared_and_read(digits, test_digits):
    X, y = test_digits
    right = 0
    for i in range(20):
        out = digits.predict(body_of(canvas_of(X[i])))
        right += out["prediction"] == int(y[i])
    assert right >= 18, f"{right}/20 bundled test digits read right through a 140x140 canvas"
    out = digits.predict(body_of(canvas_of(X[0])))
    assert out["prediction"] == int(y[0])
    image = np.array(out["image"])
    assert image.shape == (28, 28) and 0.0 <= image.min() and image.max() <= 1.0
    assert image[:2].sum() == 0 and image[-2:].sum() == 0  # MNIST's margin: the glyph sits in the 20x20 box
    centre = np.argwhere(image > 0.2).mean(axis=0)
    assert np.all(np.abs(centre - 14) < 2.5), centre
    probs = out["probabilities"]
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-3 and probs[out["prediction"]] == max(probs)
    act = out["activations"]
    assert act["layer"] == "1: ReLU" and act["shape"] == [128] and len(act["values"]) == 128
    assert all(round(v, 3) == v for v in act["values"])
    assert out["doubts"] == [] and any("cropped to the ink" in n for n in out["notes"])


def test_a_digit_drawn_small_in_a_corner_is_centred_like_mnist(digits, test_digits):
    X, y = test_digits
    canvas = np.zeros((300, 200), dtype=np.uint8)
    canvas[10:66, 130:186] = canvas_of(X[1], scale=2)
    out = digits.predict(body_of(canvas))
    assert out["prediction"] == int(y[1])
    centre = np.argwhere(np.array(out["image"]) > 0.2).mean(axis=0)
    assert np.all(np.abs(centre - 14) < 2.5), centre


def test_an_empty_canvas_is_no_error_and_no_prediction(digits):
    out = digits.predict(body_of(np.zeros((140, 140), dtype=np.uint8)))
    assert out["prediction"] is None and out["probabilities"] is None and out["activations"] is None
    assert out["doubts"] == ["almost no ink"]
    assert np.array(out["image"]).shape == (28, 28) and not np.array(out["image"]).any()


GOOD = {"width": 10, "height": 8, "pixels": base64.b64encode(bytes(80)).decode()}


@pytest.mark.parametrize("change, field, says", [
    ({"colour": "white"}, "colour", "unknown field 'colour'"),
    ({"pixels": None}, "pixels", "pixels is missing"),
    ({"width": None}, "width", "width is missing"),
    ({"width": 0}, "width", "width must be between 8 and 512, got 0"),
    ({"height": 513}, "height", "height must be between 8 and 512, got 513"),
    ({"width": "28"}, "width", 'width must be an integer, got "28"'),
    ({"width": 10.0}, "width", "width must be an integer"),
    ({"width": True}, "width", "width must be an integer"),
    ({"pixels": [0, 1]}, "pixels", "pixels must be a base64 string, got list"),
    ({"pixels": "not base64!"}, "pixels", "pixels is not valid base64"),
    ({"pixels": "AAA"}, "pixels", "pixels is not valid base64"),
    ({"pixels": base64.b64encode(bytes(79)).decode()}, "pixels", "pixels holds 79 bytes, expected width x height"),
    ({"pixels": "A" * 400_000}, "pixels", "pixels is too long"),
])
def test_each_bad_field_is_refused_by_name(digits, change, field, says):
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(RequestError) as e:
        digits.predict(body)
    assert e.value.field == field and e.value.status == 422
    assert says in str(e.value)


def test_a_body_that_is_not_an_object_is_refused(digits):
    with pytest.raises(RequestError) as e:
        digits.predict([1, 2])
    assert e.value.status == 422 and e.value.field is None


# ---------------------------------------------------------------------------- the main job's model
def _wait_ready(d: DigitsModel, seconds: float = 120.0) -> dict:
    deadline = time.monotonic() + seconds
    while d.status()["training"]:
        assert time.monotonic() < deadline, f"training did not end within {seconds} s: {d.status()}"
        time.sleep(0.1)
    return d.status()


def test_the_main_jobs_model_is_trained_on_first_use_then_kept_in_the_cache(tmp_path, monkeypatch, test_digits):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = tmp_path / "nnumpy" / "playground" / CACHE_NAME
    d = DigitsModel(epochs=1)
    s = d.status()
    assert not s["ready"] and not s["training"] and s["source"] is None  # nothing happens before first use
    assert s["model"] == "784-512-256-10 Sigmoid" and s["epochs"] == 1
    d.ensure_started()
    assert d.status()["training"]
    with pytest.raises(RequestError) as e:  # a drawing while it trains: 503, saying how far it is
        d.predict(body_of(canvas_of(test_digits[0][0])))
    assert e.value.status == 503 and e.value.field is None and "epoch 0 of 1" in str(e.value)
    s = _wait_ready(d)
    assert s["ready"] and s["source"] == "trained" and s["epoch"] == 1 and s["error"] is None
    assert 0.0 <= s["accuracy"] <= 1.0
    assert cache.is_file()
    model = nnumpy.load(cache)  # the main job's architecture: Flatten, 784-512-256-10, sigmoid
    assert [type(m).__name__ for m in model] == ["Flatten", "Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    assert [m.out_features for m in model if isinstance(m, nn.Linear)] == [512, 256, 10]
    out = d.predict(body_of(canvas_of(test_digits[0][0])))
    assert out["activations"]["layer"] == "2: Sigmoid" and out["activations"]["shape"] == [512]

    again = DigitsModel(epochs=1)
    again.ensure_started()
    s2 = again.status()
    assert s2["ready"] and s2["source"] == "cache" and not s2["training"] and s2["accuracy"] == s["accuracy"]
    assert again.predict(body_of(canvas_of(test_digits[0][0])))["probabilities"] == out["probabilities"]

    other = DigitsModel(epochs=2)  # a cache trained for 1 epoch is not the 2-epoch model asked for
    other.ensure_started()
    assert other.status()["training"] and other.status()["source"] is None
    other.close()


def test_a_corrupt_cache_file_is_trained_again_not_trusted(tmp_path):
    cache = tmp_path / "kept.safetensors"
    cache.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00" + b"{" * 16 + b"not a model")
    d = DigitsModel(cache=cache, epochs=1)
    d.ensure_started()
    assert d.status()["training"]
    s = _wait_ready(d)
    assert s["ready"] and s["source"] == "trained"
    assert nnumpy.load(cache) is not None  # overwritten with a good file
    d2 = DigitsModel(cache=cache, epochs=1)
    d2.ensure_started()
    assert d2.status()["source"] == "cache"


def test_an_unwritable_cache_still_serves_the_model(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    d = DigitsModel(cache=blocker / "sub" / CACHE_NAME, epochs=1)
    d.ensure_started()
    s = _wait_ready(d)
    assert s["ready"] and s["source"] == "trained" and "could not keep the model" in s["warning"]


def test_epochs_below_one_are_refused():
    with pytest.raises(ValueError, match="epochs must be at least 1, got 0"):
        DigitsModel(epochs=0)


# ---------------------------------------------------------------------------- the API
def test_the_digits_page_is_served(client):
    r = client.get("/digits")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for needle in ('id="digit-canvas"', 'id="digit-clear"', 'id="digit-prepared"', 'id="digit-activations"',
                   'id="digit-prediction"', 'id="digit-status"', "/static/digits.js", "/static/common.js"):
        assert needle in r.text
    for name in ("digits.js", "digits.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_status_of_a_model_file(client):
    r = client.get("/api/digits/status")
    assert r.status_code == 200
    s = r.json()
    assert s["ready"] is True and s["training"] is False and s["source"] == "file"
    assert s["model"] == "784-128-10 ReLU" and s["error"] is None


def test_predict_through_the_api(client, test_digits):
    X, y = test_digits
    r = client.post("/api/digits/predict", json=body_of(canvas_of(X[2])))
    assert r.status_code == 200
    out = r.json()
    assert set(out) == {"image", "probabilities", "prediction", "activations", "notes", "doubts"}
    assert out["prediction"] == int(y[2])


@pytest.mark.parametrize("body, status, field", [
    ({**GOOD, "extra": 1}, 422, "extra"),
    ({"width": 10, "height": 8}, 422, "pixels"),
    ({**GOOD, "width": 0}, 422, "width"),
    ({**GOOD, "width": "28"}, 422, "width"),
    ({**GOOD, "pixels": "%%%"}, 422, "pixels"),
    ({**GOOD, "pixels": base64.b64encode(bytes(81)).decode()}, 422, "pixels"),
])
def test_bad_bodies_get_4xx_json_naming_the_field(client, body, status, field):
    r = client.post("/api/digits/predict", json=body)
    assert r.status_code == status
    assert r.json()["field"] == field and r.json()["error"]
    assert "Traceback" not in r.text


def test_not_json_and_too_big_bodies_are_refused(client):
    r = client.post("/api/digits/predict", content=b"{width: 1", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] is None
    big = json.dumps({**GOOD, "pixels": "A" * 1_100_000}).encode()
    r = client.post("/api/digits/predict", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]


def test_predict_while_training_answers_503(tmp_path, test_digits):
    from starlette.testclient import TestClient

    from nnumpy.playground import create_app

    d = DigitsModel(cache=tmp_path / CACHE_NAME, epochs=3)
    with TestClient(create_app(digits=d)) as c:
        s = c.get("/api/digits/status").json()
        assert s["training"] is True and s["ready"] is False and s["epochs"] == 3
        r = c.post("/api/digits/predict", json=body_of(canvas_of(test_digits[0][0])))
        assert r.status_code == 503 and r.json()["field"] is None and "still training" in r.json()["error"]
        r = c.post("/api/digits/predict", json=body_of(np.zeros((20, 20), dtype=np.uint8)))
        assert r.status_code == 200 and r.json()["doubts"] == ["almost no ink"]  # needs no model
    d.close()


def test_a_model_that_normalises_before_its_first_linear_reads_flat_images(tmp_path, test_digits):
    model = nn.Sequential(nn.BatchNorm1d(784), nn.Linear(784, 16, rng=0), nn.Tanh(), nn.Linear(16, 10, rng=0))
    d = DigitsModel(str(save(tmp_path, model)))
    out = d.predict(body_of(canvas_of(test_digits[0][0])))
    assert out["activations"]["layer"] == "2: Tanh" and out["activations"]["shape"] == [16]
    assert d.status()["model"] == "784-16-10 Tanh"

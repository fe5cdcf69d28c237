"""The playground's HTTP API: pages, sessions, controls, the event stream and request validation."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest


def _new(client, **config):
    r = client.post("/api/sessions", json=config)
    assert r.status_code == 201, r.text
    return r.json()


def test_pages_and_static_files_are_served(client):
    for path, marker in [("/", 'id="boundary"'), ("/digits", "digits"), ("/static/playground.js", "EventSource"),
                         ("/static/common.js", "NN"), ("/static/style.css", ".nn-top")]:
        r = client.get(path)
        assert r.status_code == 200 and marker in r.text, path


def test_options_list_the_choices_and_bounds(client):
    o = client.get("/api/options").json()
    assert o["datasets"] == ["xor", "moons", "circles", "spiral", "blobs"]
    assert o["limits"]["max_width"] == 32 and o["defaults"]["hidden"] == [16, 16]


def test_session_lifecycle(client):
    s = _new(client, dataset="moons", hidden=[8])
    sid, frame = s["id"], s["frame"]
    assert frame["config"]["dataset"] == "moons" and frame["step"] == 0 and not frame["running"]
    assert len(s["points"]["train"]["x"]) == 200 and len(s["points"]["val"]["y"]) == 50
    r = client.post(f"/api/sessions/{sid}/control", json={"action": "step"})
    assert r.status_code == 200 and r.json()["frame"]["step"] == 1
    r = client.post(f"/api/sessions/{sid}/control", json={"action": "start", "steps_per_frame": 5})
    assert r.json()["frame"]["running"] and r.json()["frame"]["steps_per_frame"] == 5
    deadline = time.monotonic() + 10
    while client.get(f"/api/sessions/{sid}/frame").json()["step"] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    r = client.post(f"/api/sessions/{sid}/control", json={"action": "pause"})
    assert not r.json()["frame"]["running"] and r.json()["frame"]["step"] >= 20
    r = client.post(f"/api/sessions/{sid}/config", json={"hidden": [4, 4], "activation": "ReLU"})
    assert r.status_code == 200 and r.json()["frame"]["network"]["sizes"] == [2, 4, 4, 2]
    assert r.json()["frame"]["config"]["dataset"] == "moons"  # the fields not sent are kept
    r = client.post(f"/api/sessions/{sid}/control", json={"action": "reset"})
    assert r.json()["frame"]["step"] == 0
    r = client.post(f"/api/sessions/{sid}/probe", json={"index": 9})
    assert r.json()["frame"]["network"]["probe"] == 9


def test_backprop_endpoint_matches_a_fresh_nnumpy_backward(client):
    """Rebuild the network from the weights the endpoint reports, run nnumpy's backward, compare."""
    from nnumpy import nn

    s = _new(client, hidden=[3], activation="Sigmoid")
    sid = s["id"]
    for _ in range(3):
        client.post(f"/api/sessions/{sid}/control", json={"action": "step"})
    w = client.post(f"/api/sessions/{sid}/backprop", json={"index": 4}).json()
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.Sigmoid(), nn.Linear(3, 2, dtype=np.float64))
    for name, p in model.named_parameters():
        p.data[...] = np.array(w["parameters"][name])
    x = np.array([w["x"]])
    out = model(x)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(out, np.array([w["loss"]["label"]]))
    dx = model.backward(loss_fn.backward())
    assert w["index"] == 4 and w["loss"]["value"] == pytest.approx(float(loss), rel=1e-12)
    assert np.allclose(w["backward"][-1]["grad_input"], dx[0], rtol=1e-12)
    assert np.allclose(w["backward"][0]["grads"]["weight"], model[2].weight.grad, rtol=1e-12)
    assert np.allclose(w["backward"][-1]["grads"]["weight"], model[0].weight.grad, rtol=1e-12)


# Each bad request, the status it gets and the field its answer names.
BAD = [
    ("post", "/api/sessions", b"{not json", 400, None),
    ("post", "/api/sessions", b"[1, 2]", 422, None),
    ("post", "/api/sessions", b'{"hidden": [64]}', 422, "hidden"),
    ("post", "/api/sessions", b'{"lr": -1}', 422, "lr"),
    ("post", "/api/sessions", b'{"points": 100000}', 422, "points"),
    ("post", "/api/sessions", b'{"path": "/etc/passwd"}', 422, "path"),
    ("post", "/api/sessions", b'{"dataset": "../../etc/passwd"}', 422, "dataset"),
    ("post", "/api/sessions/{sid}/control", b"{}", 422, "action"),
    ("post", "/api/sessions/{sid}/control", b'{"action": "explode"}', 422, "action"),
    ("post", "/api/sessions/{sid}/control", b'{"action": "start", "steps_per_frame": 5000}', 422,
     "steps_per_frame"),
    ("post", "/api/sessions/{sid}/backprop", b'{"index": 10000}', 422, "index"),
    ("post", "/api/sessions/{sid}/backprop", b'{"index": "0"}', 422, "index"),
    ("post", "/api/sessions/{sid}/probe", b"{}", 422, "index"),
    ("post", "/api/sessions/{sid}/config", b'{"optimizer": "Newton"}', 422, "optimizer"),
    ("post", "/api/sessions/nope/control", b'{"action": "start"}', 404, "session"),
    ("get", "/api/sessions/nope/frame", None, 404, "session"),
    ("get", "/api/nothing", None, 404, None),
    ("get", "/api/sessions", None, 405, None),
]


@pytest.mark.parametrize("method,path,body,status,field", BAD)
def test_bad_requests_get_a_4xx_naming_the_field(client, method, path, body, status, field):
    sid = _new(client)["id"]
    kwargs = {"content": body, "headers": {"Content-Type": "application/json"}} if body is not None else {}
    r = getattr(client, method)(path.format(sid=sid), **kwargs)
    assert r.status_code == status, r.text
    data = r.json()
    assert data["field"] == field and data["error"] and "Traceback" not in r.text
    if field:
        assert field in data["error"]


def test_a_huge_body_is_refused_before_it_is_read(client):
    r = client.post("/api/sessions", content=b"{" + b" " * 1_100_000 + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]


def test_sessions_are_bounded_oldest_first():
    from nnumpy.playground._app import Sessions
    from nnumpy.playground._schema import session_config

    pool = Sessions(limit=2)
    a, b, c = (pool.new(session_config({"points": 20})) for _ in range(3))
    assert len(pool) == 2 and pool.get(c.id) is c and pool.get(b.id) is b
    with pytest.raises(Exception) as e:
        pool.get(a.id)
    assert e.value.status == 404 and a._closed
    pool.close_all()
    assert len(pool) == 0 and b._closed and c._closed


def test_events_stream_frames_while_training(live_server):
    """Server-sent events over a real socket: frames arrive, their steps grow, the boundary is in each."""
    import httpx

    base = live_server
    sid = httpx.post(f"{base}/api/sessions", json={"points": 200}).json()["id"]
    steps = []
    with httpx.stream("GET", f"{base}/api/sessions/{sid}/events", timeout=20) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        httpx.post(f"{base}/api/sessions/{sid}/control", json={"action": "start"})
        for line in r.iter_lines():
            if line.startswith("data:"):
                frame = json.loads(line[5:])
                steps.append(frame["step"])
                assert len(frame["boundary"]["classes"]) > 0
            if len(steps) >= 12:
                break
    httpx.post(f"{base}/api/sessions/{sid}/control", json={"action": "pause"})
    assert steps[-1] > steps[0] and steps == sorted(steps)

"""Fixtures of the playground tests: a small Digits model file, the app, a live server, a browser page.

The browser is Debian's Chromium (``apt-get install chromium``) driven by
Playwright's Python API with ``executable_path`` (no browser download). Where
either is missing the browser tests are skipped with the reason; where
``NNUMPY_REQUIRE_BROWSER=1`` (``.ci/run`` sets it once it has installed
Chromium) they fail instead, so CI never passes them silently.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest

pytest.importorskip("starlette", reason='the playground needs Starlette: pip install "nnumpy[playground]"')

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    """Debian's Chromium: ``$NNUMPY_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH."""
    env = os.environ.get("NNUMPY_CHROMIUM")
    if env:
        return env if os.path.exists(env) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _no_browser(why: str):
    if os.environ.get("NNUMPY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{why} (NNUMPY_REQUIRE_BROWSER=1: the browser tests must run here)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def digits_model_path(tmp_path_factory):
    """A 784-128-10 ReLU MLP trained for 4 epochs on the bundled MNIST sample, saved with nnumpy.save."""
    import nnumpy
    from nnumpy import nn, optim
    from nnumpy.datasets import load

    X, y = load("mnist-sample", split="train")  # (8000, 1, 28, 28) float32 in [0, 1], (8000,) int64
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 128, rng=rng), nn.ReLU(), nn.Linear(128, 10, rng=rng))
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    X = X.reshape(len(X), -1).astype(np.float32)
    labels = y
    for _ in range(4):
        order = rng.permutation(len(X))
        for i in range(0, len(X), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            loss_fn(model(X[idx]), labels[idx])
            model.backward(loss_fn.backward())
            opt.step()
    path = tmp_path_factory.mktemp("digits") / "digits.safetensors"
    nnumpy.save(model, path)
    return path


@pytest.fixture(scope="session")
def app(digits_model_path):
    from nnumpy.playground import create_app

    return create_app(str(digits_model_path))


@pytest.fixture
def client(app):
    from starlette.testclient import TestClient

    with TestClient(app) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app):
    """The app served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    uvicorn = pytest.importorskip("uvicorn", reason='the playground needs uvicorn: pip install "nnumpy[playground]"')
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the playground server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright; skipped (or failed under NNUMPY_REQUIRE_BROWSER=1) if missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser('Playwright is not installed: pip install "nnumpy[test]" (or pip install playwright)')
    path = chromium_path()
    if path is None:
        _no_browser("Chromium is not installed: apt-get install chromium (or set NNUMPY_CHROMIUM to its path)")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
    except Exception as e:  # a browser that cannot start is a missing browser, said with its reason
        pw.stop()
        _no_browser(f"Chromium at {path} did not start: {' '.join(str(e).split())[:300]}")
    yield b
    b.close()
    pw.stop()


class Page:
    """A Playwright page that records console errors and uncaught exceptions (``.errors``)."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (800x1000 CSS pixels) whose console errors the test can assert on."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
    p = Page(context.new_page())
    p.page.set_default_timeout(15_000)
    p.base = live_server
    yield p
    context.close()

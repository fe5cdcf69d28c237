"""The 2-D playground in headless Chromium: it loads clean, learns XOR, and shows nnumpy's own backprop numbers."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest

pytestmark = pytest.mark.browser


def _open(page, lang="en"):
    p = page.page
    p.goto(f"{page.base}/?lang={lang}")
    p.wait_for_selector("body[data-ready='1']")
    _drawn(p)
    return p


def _drawn(p) -> None:
    """Wait until the latest frame is on the page (frames are drawn at the browser's next animation frame)."""
    p.wait_for_function("window.playground.framesDrawn >= 1 && !window.playground.dirty")


def _frame(p) -> dict:
    return p.evaluate("window.playground.frame")


def _boundary_class(frame, x, y) -> int:
    b = frame["boundary"]
    n = b["size"]
    cls = np.frombuffer(base64.b64decode(b["classes"]), dtype=np.uint8).reshape(n, n)
    xs = np.linspace(b["extent"][0], b["extent"][1], n)
    ys = np.linspace(b["extent"][3], b["extent"][2], n)
    return int(cls[np.abs(ys - y).argmin(), np.abs(xs - x).argmin()])


def _pixel(p, x, y) -> list[int]:
    """The RGB of the boundary canvas at data coordinates (x, y), read from the drawn canvas."""
    return p.evaluate("""([x, y]) => {
        const c = document.getElementById('boundary'); const e = window.playground.frame.boundary.extent;
        const px = Math.round((x - e[0]) / (e[1] - e[0]) * c.width), py = Math.round((e[3] - y) / (e[3] - e[2]) * c.height);
        return Array.from(c.getContext('2d').getImageData(px + 12, py + 12, 1, 1).data.slice(0, 3)); }""", [x, y])


def test_page_loads_without_console_errors(page):
    p = _open(page)
    assert p.inner_text("#btn-start") == "Start"
    assert p.get_attribute("#network", "data-sizes") == "2,16,16,2"
    assert p.evaluate("window.playground.framesDrawn") >= 1
    assert page.errors == []


def test_xor_trains_until_the_boundary_separates_the_corners(page):
    p = _open(page)
    p.fill("#f-lr", "0.3")
    p.dispatch_event("#f-lr", "change")
    p.wait_for_function("window.playground.frame && window.playground.frame.config.lr === 0.3")
    first_loss = _frame(p)["curves"]["loss"][0]
    p.click("#btn-start")
    p.wait_for_function("window.playground.frame.running === true")
    p.wait_for_function("(first) => { const c = window.playground.frame.curves, n = c.acc.length - 1;"
                        " return c.acc[n] >= 0.97 && c.loss[n] < 0.4 * first; }", arg=first_loss, timeout=30_000)
    drawn = p.evaluate("window.playground.framesDrawn")
    p.click("#btn-start")  # now "Pause"
    p.wait_for_function("window.playground.frame.running === false")
    _drawn(p)
    f = _frame(p)
    assert f["curves"]["loss"][-1] < 0.5 * first_loss
    c = 1 / 1.5  # the corners of the XOR data, scaled
    assert _boundary_class(f, -c, -c) == _boundary_class(f, c, c) == 0
    assert _boundary_class(f, -c, c) == _boundary_class(f, c, -c) == 1
    # the canvas itself shows it: blue-ish (class 1) at the off-diagonal corners, orange-ish on the diagonal
    for x, y, cls in [(-c, -c, 0), (c, c, 0), (-c, c, 1), (c, -c, 1)]:
        r, g, b = _pixel(p, x, y)
        assert (b > r) == (cls == 1), (x, y, cls, (r, g, b))
    assert drawn > 5 and "Start" == p.inner_text("#btn-start")
    assert page.errors == []


def test_backprop_walk_shows_nnumpys_own_numbers(page):
    """Step through one backprop walk; every number on the page equals nnumpy's backward on the same weights."""
    from nnumpy import nn

    p = _open(page)
    for _ in range(3):
        p.click("#btn-step")
    p.wait_for_function("window.playground.frame.step === 3")
    p.click("#bp-start")
    p.wait_for_selector(".bp-stage")
    n = p.locator(".bp-stage").count()
    assert n == 5 + 1 + 5  # 5 modules forward, the loss, 5 modules backward
    seen = []
    for k in range(n):
        seen.append(p.get_attribute("#bp-position", "data-stage"))
        assert p.locator(".bp-stage.current").count() == 1
        assert p.locator(".bp-stage.current .formula").inner_text()
        if k < n - 1:
            p.click("#bp-next")
    assert seen[0] == "forward-0" and seen[5] == "loss" and seen[-1] == "backward-0"
    assert p.is_disabled("#bp-next")

    walk = p.evaluate("window.playground.backprop")

    def shown(testid):
        cells = p.locator(f"table[data-testid='{testid}'] tr")
        rows = [[float(v) for v in cells.nth(i).locator("td").evaluate_all("els => els.map(e => e.dataset.value)")]
                for i in range(cells.count())]
        return np.array(rows if len(rows) > 1 else rows[0])

    def text(testid):  # the 4 significant digits printed, as numbers
        raw = p.locator(f"table[data-testid='{testid}'] td").all_inner_texts()
        return np.array([float(t.replace("−", "-")) for t in raw])

    model = nn.Sequential(nn.Linear(2, 16, dtype=np.float64), nn.Tanh(), nn.Linear(16, 16, dtype=np.float64),
                          nn.Tanh(), nn.Linear(16, 2, dtype=np.float64))
    for name, prm in model.named_parameters():
        prm.data[...] = np.array(walk["parameters"][name])
    x = np.array([walk["x"]])
    out = model(x)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(out, np.array([walk["loss"]["label"]]))
    grads = [loss_fn.backward()]
    for m in reversed(list(model.children())):
        grads.append(m.backward(grads[-1]))

    assert np.allclose(shown("forward-4-output"), out[0], rtol=1e-12)
    assert shown("loss-value") == pytest.approx(float(loss), rel=1e-12)
    assert np.allclose(text("loss-value"), float(loss), rtol=1e-3)
    assert np.allclose(shown("loss-grad"), grads[0][0], rtol=1e-12)
    for i in range(5):  # backward of module i got grads[4 - i] and returned grads[5 - i]
        assert np.allclose(shown(f"backward-{i}-grad_output"), grads[4 - i][0], rtol=1e-12, atol=1e-300)
        assert np.allclose(shown(f"backward-{i}-grad_input"), grads[5 - i][0], rtol=1e-12, atol=1e-300)
        assert np.allclose(text(f"backward-{i}-grad_input"), grads[5 - i][0], rtol=1e-3, atol=1e-12)
    for i in (0, 2, 4):
        assert np.allclose(shown(f"backward-{i}-weight_grad"), model[i].weight.grad, rtol=1e-12, atol=1e-300)
        assert np.allclose(shown(f"backward-{i}-bias_grad"), model[i].bias.grad, rtol=1e-12, atol=1e-300)
    assert page.errors == []


def test_form_errors_are_shown_not_thrown(page):
    p = _open(page)
    p.fill("#f-hidden", "16, 99")
    p.dispatch_event("#f-hidden", "change")
    p.wait_for_selector("#form-error:not([hidden])")
    assert "hidden" in p.inner_text("#form-error") and "32" in p.inner_text("#form-error")
    p.fill("#f-hidden", "4")
    p.dispatch_event("#f-hidden", "change")
    p.wait_for_function("window.playground.frame.network.sizes.join(',') === '2,4,2'")
    p.wait_for_function("document.getElementById('network').dataset.sizes === '2,4,2'")  # drawn at the next frame
    assert p.is_hidden("#form-error")
    page.errors.clear()  # the 422 answer is logged by Chromium as a failed resource load, by design


def test_language_switch(page):
    p = _open(page)
    assert p.inner_text("#h-backprop") == "Backprop, one step at a time"
    p.click("#lang-switch")
    p.wait_for_function("document.documentElement.lang === 'ko'")
    assert p.inner_text("#h-backprop") == "역전파, 한 단계씩"
    assert p.inner_text("#btn-step") == "한 걸음" and "lang=ko" in p.url
    assert p.inner_text("#lang-switch") == "English"
    p.reload()
    p.wait_for_selector("body[data-ready='1']")
    assert p.text_content("#h-data") == "데이터"
    p.click("#lang-switch")
    assert p.text_content("#h-data") == "Data"
    assert page.errors == []


def test_frames_keep_coming_while_training(page):
    """The page receives and draws frames at a steady rate (the benchmark measures it properly)."""
    p = _open(page)
    p.click("#btn-start")
    p.wait_for_function("window.playground.frame.running === true")
    r0, d0, t0 = p.evaluate("window.playground.framesReceived"), p.evaluate("window.playground.framesDrawn"), time.monotonic()
    time.sleep(2.0)
    r1, d1, t1 = p.evaluate("window.playground.framesReceived"), p.evaluate("window.playground.framesDrawn"), time.monotonic()
    p.click("#btn-start")
    assert (r1 - r0) / (t1 - t0) > 5 and (d1 - d0) / (t1 - t0) > 5  # far below the 30 sent: a loaded CI box
    assert page.errors == []

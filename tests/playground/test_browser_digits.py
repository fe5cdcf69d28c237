"""The Digits page in a real browser (headless Chromium): draw with the mouse and a finger, read the class.

The strokes are drawn on the 280x280 canvas in its own pixels, thick and
upright like MNIST's handwriting; the model is the ``digits_model_path``
fixture's (784-128-10 ReLU trained on the bundled sample).
"""

from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.browser

ONE = [[(142, 40), (136, 240)]]
ZERO = [[(140 + 58 * math.sin(2 * math.pi * i / 48), 140 - 88 * math.cos(2 * math.pi * i / 48)) for i in range(50)]]
SEVEN = [[(70, 55), (210, 55), (125, 245)]]


def _dense(points, step=6.0):
    """``points`` with extra points every ``step`` pixels, so a drag sends many pointer moves."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        out += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1)]
    return out


def draw(p, strokes) -> None:
    """Draw ``strokes`` (lists of canvas points) with the mouse."""
    box = p.locator("#digit-canvas").bounding_box()
    for stroke in strokes:
        pts = _dense(stroke)
        p.mouse.move(box["x"] + pts[0][0], box["y"] + pts[0][1])
        p.mouse.down()
        for x, y in pts[1:]:
            p.mouse.move(box["x"] + x, box["y"] + y)
        p.mouse.up()


def prediction(p) -> str:
    """The class on the page once the last stroke's prediction has come back."""
    p.wait_for_function("() => document.getElementById('digit-prediction').dataset.state === 'done'")
    return p.locator("#digit-prediction").inner_text()


def probabilities(p) -> list[float]:
    rows = p.locator("#digit-bars [data-class]")
    return [float(rows.nth(k).get_attribute("data-probability")) for k in range(10)]


def open_digits(page, query: str = ""):
    p = page.page
    p.goto(page.base + "/digits" + query)
    p.wait_for_function("() => document.getElementById('digit-status').dataset.ready === 'true'")
    return p


def test_page_loads_without_console_errors(page):
    p = open_digits(page)
    assert p.locator("#digits-title").inner_text() == "Draw a digit"
    assert "784-128-10 ReLU" in p.locator("#digit-status").inner_text()
    assert p.locator("#digit-bars [data-class]").count() == 10
    assert p.locator("#digit-prediction").inner_text() == "—"
    assert page.errors == []


@pytest.mark.parametrize("strokes, digit", [(ONE, "1"), (ZERO, "0"), (SEVEN, "7")], ids=["one", "zero", "seven"])
def test_a_digit_drawn_with_the_mouse_is_read(page, strokes, digit):
    p = open_digits(page)
    draw(p, strokes)
    assert prediction(p) == digit
    probs = probabilities(p)
    assert abs(sum(probs) - 1) < 2e-3 and max(probs) == probs[int(digit)]
    assert p.locator(f'#digit-bars [data-class="{digit}"]').get_attribute("class").split().count("dg-top") == 1
    # the prepared 28x28 image: ink inside MNIST's margin, centred by mass
    mass = p.evaluate("""() => {
        const d = document.getElementById('digit-prepared').getContext('2d').getImageData(0, 0, 28, 28).data;
        let m = 0, sx = 0, sy = 0, edge = 0;
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
            const v = d[4 * (28 * y + x)];
            m += v; sx += v * x; sy += v * y;
            if (x < 2 || y < 2 || x > 25 || y > 25) edge += v;
        }
        return {m, x: sx / m, y: sy / m, edge};
    }""")
    assert mass["m"] > 0 and mass["edge"] < 0.1 * mass["m"]  # centring by mass may move a 7's bar up a little
    assert abs(mass["x"] - 14) < 2 and abs(mass["y"] - 14) < 2, mass
    act = p.locator("#digit-activations")
    assert int(act.get_attribute("width")) * int(act.get_attribute("height")) >= 128
    assert "1: ReLU" in p.locator("#digit-activations-caption").inner_text()
    p.click("#digit-clear")
    assert p.locator("#digit-prediction").inner_text() == "—"
    assert page.errors == []


def test_language_switch_and_a_digit_drawn_with_a_finger(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US", has_touch=True)
    try:
        p = context.new_page()
        errors: list[str] = []
        p.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        p.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        p.set_default_timeout(15_000)
        p.goto(live_server + "/digits")
        p.wait_for_function("() => document.getElementById('digit-status').dataset.ready === 'true'")
        p.click("#lang-switch")
        assert p.locator("#digits-title").inner_text() == "숫자를 그려 보세요"
        assert "lang=ko" in p.url
        assert p.locator("#digit-clear").inner_text() == "지우기"
        assert "모델" in p.locator("#digit-status").inner_text()
        assert p.locator("a[href^='/?']").get_attribute("href") == "/?lang=ko"

        box = p.locator("#digit-canvas").bounding_box()
        cdp = context.new_cdp_session(p)
        pts = _dense(ONE[0])
        touch = lambda kind, pt: cdp.send("Input.dispatchTouchEvent", {  # noqa: E731
            "type": kind, "touchPoints": [] if pt is None else [{"x": box["x"] + pt[0], "y": box["y"] + pt[1]}]})
        touch("touchStart", pts[0])
        for pt in pts[1:]:
            touch("touchMove", pt)
        touch("touchEnd", None)
        assert prediction(p) == "1"
        assert "확률" in p.locator("#digit-confidence").inner_text()
        assert "잘라" in p.locator("#digit-notes").inner_text()  # the server's note, said in Korean
        p.reload()  # ?lang=ko stays
        assert p.locator("#digits-title").inner_text() == "숫자를 그려 보세요"
        assert errors == []
    finally:
        context.close()

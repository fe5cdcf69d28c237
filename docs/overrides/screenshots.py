"""Take the playground screenshots of docs/ and the README: docs/playground.png and docs/digits.png.

    python docs/overrides/screenshots.py          # needs the playground and test extras and Chromium

It serves ``nnumpy playground`` in-process (the Digits model is the main job's,
trained on first use or read from nnumpy's cache), trains XOR on the 2-D page
until the boundary separates the corners, opens a backprop walk at the first
Linear layer's backward, then draws a 3 on the Digits page. The pictures are
illustrations, not measurements; the tests in tests/playground check what they show.
"""

from __future__ import annotations

import math
import os
import socket
import sys
import threading
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars"]


def _serve():
    import uvicorn

    from nnumpy.playground import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _draw_three(page) -> None:
    box = page.locator("#digit-canvas").bounding_box()
    x0, y0, w = box["x"], box["y"], box["width"]
    # two bowls of a 3, as arcs of mouse moves
    for cy in (0.33, 0.63):
        points = [(0.5 + 0.17 * math.cos(t), cy + 0.14 * math.sin(t)) for t in
                  [(-150 + 12 * k) * math.pi / 180 for k in range(22)]]
        page.mouse.move(x0 + points[0][0] * w, y0 + points[0][1] * w)
        page.mouse.down()
        for px, py in points[1:]:
            page.mouse.move(x0 + px * w, y0 + py * w, steps=2)
        page.mouse.up()


def main() -> int:
    from playwright.sync_api import sync_playwright

    server, base = _serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("NNUMPY_CHROMIUM", "/usr/bin/chromium"),
                                         args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
            page.goto(f"{base}/?lang=en")
            page.wait_for_selector("body[data-ready='1']")
            page.fill("#f-lr", "0.3")
            page.dispatch_event("#f-lr", "change")
            page.wait_for_function("window.playground.frame.config.lr === 0.3")
            page.click("#btn-start")
            page.wait_for_function("(() => { const c = window.playground.frame.curves;"
                                   " return c.acc[c.acc.length - 1] >= 0.98 && c.step[c.step.length - 1] > 400; })()",
                                   timeout=60_000)
            page.click("#btn-start")
            page.wait_for_function("window.playground.frame.running === false")
            page.click("#bp-start")
            page.wait_for_selector(".bp-stage")
            while page.get_attribute("#bp-position", "data-stage") != "backward-2":
                page.click("#bp-next")
            page.screenshot(path=str(DOCS / "playground.png"), full_page=True)

            page.goto(f"{base}/digits?lang=en")
            page.wait_for_function("document.getElementById('digit-status').dataset.ready === 'true'",
                                   timeout=600_000)
            _draw_three(page)
            page.wait_for_function("document.getElementById('digit-prediction').textContent.trim() !== ''")
            time.sleep(0.5)
            page.screenshot(path=str(DOCS / "digits.png"), full_page=True)
            print("prediction shown:", page.inner_text("#digit-prediction"))
            browser.close()
    finally:
        server.should_exit = True
    print(f"wrote {DOCS / 'playground.png'} and {DOCS / 'digits.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

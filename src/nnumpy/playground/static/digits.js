// nnumpy playground, Digits page: draw a digit, see it prepared like MNIST, classified, and the
// first layer's activations. The canvas is sent as base64 grayscale bytes (ink 255 on 0) to
// POST /api/digits/predict after each stroke, and at most every THROTTLE_MS while drawing.
"use strict";

(() => {
  const SEND_SIDE = 140;        // the canvas is downsampled to 140x140 before it is sent
  const THROTTLE_MS = 150;      // at most one prediction this often while the pen is down
  const LINE_WIDTH = 22;        // on the 280 px canvas: about 2 px once scaled into MNIST's 20 px box
  const POLL_MS = 1000;         // how often the status is asked while the model trains

  NN.i18n({
    en: {
      dg_title: "Draw a digit",
      dg_hint: "Draw one digit, 0 to 9, with the mouse or a finger. The prediction follows each stroke.",
      dg_canvas_tip: "Drawing area: light ink on black, like MNIST",
      dg_clear: "Clear",
      dg_h_prediction: "Prediction",
      dg_h_prepared: "What the model sees (28×28)",
      dg_prepared_caption: "Cropped to the ink, scaled to fit 20×20 and centred by mass, as MNIST digits were.",
      dg_h_activations: "First layer's activations",
      dg_act_caption: "Layer {layer}: {n} values, shape {shape}; brighter is larger (from the smallest up to {max}).",
      dg_confidence: "probability {p}",
      dg_empty: "Nothing drawn yet.",
      st_loading: "Asking the server for the model…",
      st_training: "Training the main job's model ({model}) on mnist-sample: epoch {epoch} of {epochs} done. It is kept in the cache for the next start.",
      st_ready_file: "Model: {model}, from the file given with --model.",
      st_ready_cache: "Model: {model}, the main job's, trained earlier (test accuracy {acc}).",
      st_ready_trained: "Model: {model}, the main job's, just trained (test accuracy {acc}).",
      st_error: "The model is not available: {error}",
      st_unreachable: "The server does not answer: {error}",
      st_warning: "Note: {warning}",
      note_cropped: "cropped to the ink ({w}×{h}), scaled to {sw}×{sh}, centred by mass in 28×28",
      doubt_no_ink: "almost no ink: draw a digit",
      doubt_border: "the ink touches every border: draw smaller, inside the square",
      err_request: "The server refused the drawing: {error}",
    },
    ko: {
      dg_title: "숫자를 그려 보세요",
      dg_hint: "마우스나 손가락으로 0부터 9까지 숫자 하나를 그리세요. 한 획을 그을 때마다 예측이 바뀝니다.",
      dg_canvas_tip: "그리는 곳: MNIST처럼 검은 바탕에 밝은 잉크",
      dg_clear: "지우기",
      dg_h_prediction: "예측",
      dg_h_prepared: "모델이 보는 그림 (28×28)",
      dg_prepared_caption: "MNIST 숫자를 만들 때처럼 잉크 부분만 잘라 20×20에 맞게 줄이고, 무게중심을 가운데에 놓았습니다.",
      dg_h_activations: "첫 번째 층의 활성값",
      dg_act_caption: "층 {layer} — 값 {n}개, 모양 {shape}. 밝을수록 큽니다 (최솟값부터 최댓값 {max}까지).",
      dg_confidence: "확률 {p}",
      dg_empty: "아직 아무것도 그리지 않았습니다.",
      st_loading: "서버에 모델을 확인하는 중…",
      st_training: "기본 작업의 모델({model})을 mnist-sample로 학습하는 중입니다: {epochs} 에포크 중 {epoch} 에포크 완료. 다음 실행을 위해 캐시에 저장해 둡니다.",
      st_ready_file: "모델: {model}, --model로 지정한 파일에서 불러왔습니다.",
      st_ready_cache: "모델: {model}, 기본 작업의 모델로 이전에 학습해 두었습니다 (테스트 정확도 {acc}).",
      st_ready_trained: "모델: {model}, 기본 작업의 모델로 방금 학습했습니다 (테스트 정확도 {acc}).",
      st_error: "모델을 쓸 수 없습니다: {error}",
      st_unreachable: "서버가 응답하지 않습니다: {error}",
      st_warning: "참고: {warning}",
      note_cropped: "잉크 부분만 잘라({w}×{h}) {sw}×{sh} 크기로 줄이고, 28×28 안에서 무게중심을 가운데에 놓았습니다",
      doubt_no_ink: "잉크가 거의 없습니다: 숫자를 그려 보세요",
      doubt_border: "잉크가 네 가장자리에 모두 닿았습니다: 네모 안에 조금 작게 그려 보세요",
      err_request: "서버가 그림을 받지 않았습니다: {error}",
    },
  });

  const canvas = document.getElementById("digit-canvas");
  const ctx = canvas.getContext("2d");
  const prepared = document.getElementById("digit-prepared");
  const actCanvas = document.getElementById("digit-activations");
  const small = document.createElement("canvas");
  small.width = SEND_SIDE;
  small.height = SEND_SIDE;
  const smallCtx = small.getContext("2d", { willReadFrequently: true });

  let status = null;            // the last /api/digits/status answer
  let statusError = null;       // why the status could not be read
  let result = null;            // the last prediction answer
  let requestError = null;      // the last refused prediction
  let drawing = false;
  let last = null;              // the pen's last point, in canvas pixels
  let inFlight = false;
  let pending = false;          // a prediction was asked for while one was in flight
  let lastSent = 0;
  let throttleTimer = null;

  // ------------------------------------------------------------------ drawing
  function clearCanvas() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function point(e) {
    const r = canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
  }

  function stroke(from, to) {
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = LINE_WIDTH;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (from.x === to.x && from.y === to.y) {  // a dot: a tap or a click without a move
      ctx.beginPath();
      ctx.arc(to.x, to.y, LINE_WIDTH / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
  }

  function penDown(p) {
    drawing = true;
    last = p;
    stroke(p, p);
    schedule(false);
  }

  function penMove(p) {
    if (!drawing) return;
    stroke(last, p);
    last = p;
    schedule(false);
  }

  function penUp() {
    if (!drawing) return;
    drawing = false;
    last = null;
    schedule(true);
  }

  if (window.PointerEvent) {
    canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== undefined && e.button > 0) return;
      e.preventDefault();
      try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic pointers cannot be captured */ }
      penDown(point(e));
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      e.preventDefault();
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      for (const c of events.length ? events : [e]) penMove(point(c));
    });
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(type, () => penUp());
    }
  } else {  // old browsers: mouse and touch events
    canvas.addEventListener("mousedown", (e) => { e.preventDefault(); penDown(point(e)); });
    canvas.addEventListener("mousemove", (e) => penMove(point(e)));
    window.addEventListener("mouseup", () => penUp());
    canvas.addEventListener("touchstart", (e) => { e.preventDefault(); penDown(point(e.touches[0])); },
                            { passive: false });
    canvas.addEventListener("touchmove", (e) => { e.preventDefault(); penMove(point(e.touches[0])); },
                            { passive: false });
    canvas.addEventListener("touchend", () => penUp());
    canvas.addEventListener("touchcancel", () => penUp());
  }

  document.getElementById("digit-clear").addEventListener("click", () => {
    clearCanvas();
    result = null;
    requestError = null;
    render();
    busy();
  });

  // ------------------------------------------------------------------ talking to the server
  function pixelsBase64() {
    smallCtx.imageSmoothingEnabled = true;
    smallCtx.imageSmoothingQuality = "high";
    smallCtx.fillStyle = "#000";
    smallCtx.fillRect(0, 0, SEND_SIDE, SEND_SIDE);
    smallCtx.drawImage(canvas, 0, 0, SEND_SIDE, SEND_SIDE);
    const rgba = smallCtx.getImageData(0, 0, SEND_SIDE, SEND_SIDE).data;
    const parts = [];
    const chunk = new Array(4096);
    for (let i = 0, n = 0; i < rgba.length; i += 4) {
      chunk[n++] = String.fromCharCode(rgba[i]);  // red = gray: the ink is white
      if (n === chunk.length || i + 4 >= rgba.length) { parts.push(chunk.slice(0, n).join("")); n = 0; }
    }
    return btoa(parts.join(""));
  }

  // Ask for a prediction now (after a stroke) or within THROTTLE_MS (while drawing).
  function schedule(now) {
    const wait = now ? 0 : Math.max(0, THROTTLE_MS - (performance.now() - lastSent));
    if (throttleTimer !== null) {
      if (!now) return;
      clearTimeout(throttleTimer);
    }
    throttleTimer = setTimeout(() => { throttleTimer = null; send(); }, wait);
    busy();
  }

  // #digit-prediction's data-state: "pending" while a prediction is due or on its way, else "done".
  function busy() {
    const pendingNow = drawing || inFlight || pending || throttleTimer !== null;
    document.getElementById("digit-prediction").dataset.state = pendingNow ? "pending" : "done";
  }

  async function send() {
    if (inFlight) { pending = true; return; }
    inFlight = true;
    pending = false;
    lastSent = performance.now();
    const body = { width: SEND_SIDE, height: SEND_SIDE, pixels: pixelsBase64() };
    try {
      result = await NN.api("POST", "/api/digits/predict", body);
      requestError = null;
    } catch (err) {
      if (err.status === 503) pollStatus();  // still training: the status line says how far
      else requestError = err.message;
    } finally {
      inFlight = false;
    }
    render();
    if (pending) send();
    busy();
  }

  let polling = false;
  async function pollStatus() {
    if (polling) return;
    polling = true;
    for (;;) {
      try {
        status = await NN.api("GET", "/api/digits/status");
        statusError = null;
      } catch (err) {
        statusError = err.message;
      }
      renderStatus();
      if (status && (status.ready || status.error)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    polling = false;
    if (status && status.ready && hasInk()) send();  // drawn while it trained: answer it now
  }

  function hasInk() {
    const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < d.length; i += 16) if (d[i] > 0) return true;
    return false;
  }

  // ------------------------------------------------------------------ showing the answer
  function percent(p) {
    return (100 * p).toFixed(p >= 0.9995 || p < 0.0005 ? 0 : 1) + "%";
  }

  function renderStatus() {
    const el = document.getElementById("digit-status");
    let text;
    if (statusError) text = NN.t("st_unreachable", { error: statusError });
    else if (!status) text = NN.t("st_loading");
    else if (status.error) text = NN.t("st_error", { error: status.error });
    else if (!status.ready) text = NN.t("st_training", { epoch: status.epoch || 0, epochs: status.epochs || "?",
                                                            model: status.model });
    else {
      const acc = status.accuracy === null || status.accuracy === undefined ? "—" : percent(status.accuracy);
      text = NN.t("st_ready_" + (status.source || "file"), { model: status.model, acc });
      if (status.warning) text += " " + NN.t("st_warning", { warning: status.warning });
    }
    el.textContent = text;
    el.dataset.ready = status && status.ready ? "true" : "false";
    document.body.dataset.ready = status && status.ready ? "1" : "0";
  }

  function buildBars() {
    const box = document.getElementById("digit-bars");
    for (let k = 0; k < 10; k++) {
      const row = document.createElement("div");
      row.className = "dg-bar";
      row.dataset.class = String(k);
      row.dataset.probability = "";
      row.innerHTML = '<span class="dg-bar-label"></span><span class="dg-bar-track"><span class="dg-bar-fill">' +
        '</span></span><span class="dg-bar-value">—</span>';
      row.querySelector(".dg-bar-label").textContent = String(k);
      box.appendChild(row);
    }
  }

  function renderBars() {
    const probs = result && result.probabilities;
    document.querySelectorAll("#digit-bars .dg-bar").forEach((row) => {
      const k = Number(row.dataset.class);
      const p = probs ? probs[k] : null;
      row.dataset.probability = p === null ? "" : String(p);
      row.querySelector(".dg-bar-fill").style.width = p === null ? "0" : (100 * p).toFixed(1) + "%";
      row.querySelector(".dg-bar-value").textContent = p === null ? "—" : percent(p);
      row.classList.toggle("dg-top", !!result && result.prediction === k);
      row.setAttribute("aria-label", p === null ? String(k) : k + ": " + percent(p));
    });
    const pred = document.getElementById("digit-prediction");
    const conf = document.getElementById("digit-confidence");
    const has = result && result.prediction !== null && result.prediction !== undefined;
    pred.textContent = has ? String(result.prediction) : "—";
    pred.dataset.prediction = has ? String(result.prediction) : "";
    conf.textContent = has ? NN.t("dg_confidence", { p: percent(probs[result.prediction]) }) : "";
  }

  function renderPrepared() {
    const c = prepared.getContext("2d");
    const img = c.createImageData(28, 28);
    const rows = result ? result.image : null;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = rows ? Math.round(255 * Math.min(1, Math.max(0, rows[y][x]))) : 0;
        const i = 4 * (28 * y + x);
        img.data[i] = img.data[i + 1] = img.data[i + 2] = v;
        img.data[i + 3] = 255;
      }
    }
    c.putImageData(img, 0, 0);
  }

  // Heat colour of t in [0, 1]: black, deep red, orange, pale yellow.
  function heat(t) {
    const stops = [[0, 0, 0], [120, 20, 40], [230, 110, 30], [255, 240, 180]];
    const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(x));
    const f = x - i;
    return stops[i].map((a, j) => Math.round(a + f * (stops[i + 1][j] - a)));
  }

  function renderActivations() {
    const caption = document.getElementById("digit-activations-caption");
    const c = actCanvas.getContext("2d");
    const act = result && result.activations;
    if (!act) {
      actCanvas.width = actCanvas.height = 1;
      c.fillStyle = "#111";
      c.fillRect(0, 0, 1, 1);
      caption.textContent = result ? "" : NN.t("dg_empty");
      return;
    }
    const v = act.values;
    const shape = act.shape;
    // Units in a square-ish grid; channels of a conv layer (C, H, W) tiled, each H x W.
    let tiles = v.length, th = 1, tw = 1;
    if (shape.length === 3) { tiles = shape[0]; th = shape[1]; tw = shape[2]; }
    const cols = Math.ceil(Math.sqrt(tiles));
    const rows = Math.ceil(tiles / cols);
    const gap = shape.length === 3 ? 1 : 0;
    const w = cols * (tw + gap), h = rows * (th + gap);
    actCanvas.width = w;
    actCanvas.height = h;
    const img = c.createImageData(w, h);
    let lo = Infinity, hi = -Infinity;
    for (const a of v) { if (a < lo) lo = a; if (a > hi) hi = a; }
    const span = hi - lo > 1e-12 ? hi - lo : 1;
    for (let t = 0; t < tiles; t++) {
      const ox = (t % cols) * (tw + gap), oy = Math.floor(t / cols) * (th + gap);
      for (let y = 0; y < th; y++) {
        for (let x = 0; x < tw; x++) {
          const [r, g, b] = heat((v[t * th * tw + y * tw + x] - lo) / span);
          const i = 4 * ((oy + y) * w + ox + x);
          img.data[i] = r; img.data[i + 1] = g; img.data[i + 2] = b; img.data[i + 3] = 255;
        }
      }
    }
    c.putImageData(img, 0, 0);
    caption.textContent = NN.t("dg_act_caption", { layer: act.layer, n: v.length, shape: shape.join("×"),
                                                    max: NN.fmt(hi, 3) });
  }

  function noteText(note) {
    const m = /^cropped to the ink \((\d+)x(\d+)\), scaled to (\d+)x(\d+)/.exec(note);
    if (m) return NN.t("note_cropped", { w: m[1], h: m[2], sw: m[3], sh: m[4] });
    return note;
  }

  function doubtText(doubt) {
    if (doubt === "almost no ink") return NN.t("doubt_no_ink");
    if (doubt === "ink touches every border") return NN.t("doubt_border");
    return doubt;
  }

  function renderNotes() {
    const ul = document.getElementById("digit-notes");
    ul.textContent = "";
    if (!result) return;
    const add = (text, cls) => {
      const li = document.createElement("li");
      li.textContent = text;
      if (cls) li.className = cls;
      ul.appendChild(li);
    };
    for (const d of result.doubts || []) add(doubtText(d), "dg-doubt");
    for (const n of result.notes || []) add(noteText(n));
  }

  function render() {
    renderBars();
    renderPrepared();
    renderActivations();
    renderNotes();
    const err = document.getElementById("digit-error");
    err.hidden = !requestError;
    err.textContent = requestError ? NN.t("err_request", { error: requestError }) : "";
  }

  NN.initHeader();
  clearCanvas();
  buildBars();
  render();
  renderStatus();
  busy();
  window.addEventListener("nn-lang", () => { render(); renderStatus(); });
  pollStatus();
})();

// nnumpy playground, the 2-D page: a form, the controls, and drawings of the frames the server streams.
// Nothing about the network is computed here: the boundary, curves, activations, weights, gradients and
// every number of the backprop walk come from the server, where nnumpy's own layers computed them.
"use strict";

NN.i18n({
  en: {
    h_data: "Data", h_network: "Network", h_training: "Training",
    f_dataset: "Data set", f_points: "Points", f_noise: "Noise", f_classes: "Classes",
    f_hidden: "Hidden layers (widths)", f_hidden_tip: "Comma-separated widths, e.g. 16, 16 (empty: no hidden layer)",
    f_activation: "Activation", f_loss: "Loss", f_optimizer: "Optimizer", f_lr: "Learning rate",
    f_batch_size: "Batch size", f_seed: "Seed",
    ds_xor: "XOR", ds_moons: "Moons", ds_circles: "Circles", ds_spiral: "Spiral", ds_blobs: "Blobs",
    start: "Start", pause: "Pause", step: "Step", reset: "Reset",
    speed: "Steps per frame", speed_max: "as many as fit",
    h_boundary: "Decision boundary", boundary_tip: "Click a point to follow it through the network",
    h_curves: "Loss and accuracy", train: "train", validation: "validation", loss: "loss", accuracy: "accuracy",
    h_network_drawing: "The network", edges_weights: "edges: weights", edges_grads: "edges: gradients",
    network_hint: "Neurons show their activation for the chosen point (blue > 0, orange < 0); edges show each weight or its gradient ∂L/∂w from the last step (width: size). Hover for the numbers.",
    status_line: "step {step} · epoch {epoch} · loss {loss} (val {val_loss}) · accuracy {acc} (val {val_acc})",
    msg_diverged: "The loss is no longer finite: lower the learning rate and Reset.",
    msg_step_limit: "Step limit reached: Reset to train again.",
    msg_idle: "Paused: no page was watching.",
    connection_lost: "Connection to the server lost; retrying…",
    h_backprop: "Backprop, one step at a time",
    backprop_hint: "Walk the chosen point through the network: each layer's forward values, the loss, then each layer's backward: the grad_output it receives, the gradients of its parameters and the dL/dx it returns. The numbers are nnumpy's own.",
    bp_start: "Walk the chosen point", bp_prev: "Previous", bp_next: "Next",
    bp_position: "stage {k} of {n}",
    stage_forward: "Forward: layer {i} ({type})", stage_loss: "Loss: {type}", stage_backward: "Backward: layer {i} ({type})",
    v_input: "input x", v_output: "output y", v_logits: "output z", v_target: "target t", v_loss: "loss L",
    v_dldz: "∂L/∂z (what the loss's backward returns)", v_grad_output: "grad_output g = ∂L/∂y",
    v_grad_input: "returned ∂L/∂x", v_weight_grad: "weight.grad = ∂L/∂W", v_bias_grad: "bias.grad = ∂L/∂b",
    v_weight: "weight W", v_bias: "bias b", formula: "formula", point: "point #{i}, class {c}",
  },
  ko: {
    h_data: "데이터", h_network: "신경망", h_training: "학습",
    f_dataset: "데이터셋", f_points: "점 개수", f_noise: "노이즈", f_classes: "클래스 수",
    f_hidden: "은닉층 (너비)", f_hidden_tip: "쉼표로 구분한 너비, 예: 16, 16 (비우면 은닉층 없음)",
    f_activation: "활성화 함수", f_loss: "손실 함수", f_optimizer: "옵티마이저", f_lr: "학습률",
    f_batch_size: "배치 크기", f_seed: "시드",
    ds_xor: "XOR", ds_moons: "반달", ds_circles: "동심원", ds_spiral: "나선", ds_blobs: "덩어리",
    start: "시작", pause: "일시정지", step: "한 걸음", reset: "초기화",
    speed: "프레임당 스텝", speed_max: "가능한 만큼",
    h_boundary: "결정 경계", boundary_tip: "점을 클릭하면 그 점이 신경망을 지나는 모습을 봅니다",
    h_curves: "손실과 정확도", train: "학습", validation: "검증", loss: "손실", accuracy: "정확도",
    h_network_drawing: "신경망", edges_weights: "연결선: 가중치", edges_grads: "연결선: 기울기",
    network_hint: "뉴런은 선택한 점에서의 활성값을 보여 줍니다 (파랑 > 0, 주황 < 0). 연결선은 각 가중치 또는 마지막 스텝의 기울기 ∂L/∂w를 보여 줍니다 (굵기: 크기). 마우스를 올리면 숫자가 나옵니다.",
    status_line: "스텝 {step} · 에포크 {epoch} · 손실 {loss} (검증 {val_loss}) · 정확도 {acc} (검증 {val_acc})",
    msg_diverged: "손실이 더 이상 유한하지 않습니다. 학습률을 낮추고 초기화하세요.",
    msg_step_limit: "스텝 한도에 도달했습니다. 초기화하면 다시 학습합니다.",
    msg_idle: "일시정지됨: 보고 있는 페이지가 없었습니다.",
    connection_lost: "서버와 연결이 끊겼습니다. 다시 연결하는 중…",
    h_backprop: "역전파, 한 단계씩",
    backprop_hint: "선택한 점을 신경망에 통과시킵니다. 각 층의 순전파 값, 손실, 그리고 각 층의 역전파: 받은 grad_output, 파라미터의 기울기, 돌려주는 dL/dx. 숫자는 모두 nnumpy가 계산한 값입니다.",
    bp_start: "선택한 점 따라가기", bp_prev: "이전", bp_next: "다음",
    bp_position: "{n}단계 중 {k}단계",
    stage_forward: "순전파: {i}번 층 ({type})", stage_loss: "손실: {type}", stage_backward: "역전파: {i}번 층 ({type})",
    v_input: "입력 x", v_output: "출력 y", v_logits: "출력 z", v_target: "정답 t", v_loss: "손실 L",
    v_dldz: "∂L/∂z (손실의 backward가 돌려주는 값)", v_grad_output: "grad_output g = ∂L/∂y",
    v_grad_input: "돌려주는 ∂L/∂x", v_weight_grad: "weight.grad = ∂L/∂W", v_bias_grad: "bias.grad = ∂L/∂b",
    v_weight: "가중치 W", v_bias: "편향 b", formula: "식", point: "{i}번 점, 클래스 {c}",
  },
});

const PALETTE = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [150, 80, 190]];
const FIELDS = ["dataset", "points", "noise", "classes", "hidden", "activation", "loss", "optimizer", "lr",
  "batch_size", "seed"];

const state = {
  sessionId: null, points: null, frame: null, dirty: false, options: null, source: null,
  framesReceived: 0, framesDrawn: 0, edgeMode: "weight", backprop: null, stage: 0,
};
window.playground = state; // for the browser tests and the curious: the latest frame and counters

function el(id) { return document.getElementById(id); }

function showError(message) {
  const box = el("form-error");
  box.textContent = message || "";
  box.hidden = !message;
}

// ---------- the form ----------
function fillSelect(select, values, labelOf) {
  select.innerHTML = "";
  for (const v of values) {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = labelOf ? labelOf(v) : v;
    select.appendChild(o);
  }
}

function labelDatasets() {
  for (const o of el("f-dataset").options) o.textContent = NN.t("ds_" + o.value);
}

function setForm(config) {
  el("f-dataset").value = config.dataset;
  el("f-points").value = config.points;
  el("f-noise").value = config.noise;
  el("f-classes").value = config.classes;
  el("f-hidden").value = config.hidden.join(", ");
  el("f-activation").value = config.activation;
  el("f-loss").value = config.loss;
  el("f-optimizer").value = config.optimizer;
  el("f-lr").value = config.lr;
  el("f-batch-size").value = config.batch_size;
  el("f-seed").value = config.seed;
  el("f-classes").disabled = !["spiral", "blobs"].includes(config.dataset);
}

function readForm() {
  const num = (id) => Number(el(id).value);
  const hiddenText = el("f-hidden").value.trim();
  const hidden = hiddenText === "" ? [] : hiddenText.split(/[\s,]+/).filter((s) => s !== "").map(Number);
  const config = {
    dataset: el("f-dataset").value, points: num("f-points"), noise: num("f-noise"), classes: num("f-classes"),
    hidden, activation: el("f-activation").value, loss: el("f-loss").value, optimizer: el("f-optimizer").value,
    lr: num("f-lr"), batch_size: num("f-batch-size"), seed: num("f-seed"),
  };
  if (!["spiral", "blobs"].includes(config.dataset)) config.classes = 2;
  return config;
}

async function applyForm() {
  const wasRunning = state.frame && state.frame.running;
  try {
    const data = await NN.api("POST", `/api/sessions/${state.sessionId}/config`, readForm());
    showError("");
    state.points = data.points;
    takeFrame(data.frame);
    clearBackprop();
    if (wasRunning) await control("start");
  } catch (e) {
    showError(e.message);
    if (e.field) {
      const input = el("f-" + e.field.replace("_", "-"));
      if (input) input.focus();
    }
  }
}

// ---------- the session and its stream ----------
async function newSession() {
  const data = await NN.api("POST", "/api/sessions", {});
  state.sessionId = data.id;
  state.points = data.points;
  setForm(data.frame.config);
  takeFrame(data.frame);
  listen();
}

function listen() {
  if (state.source) state.source.close();
  const source = new EventSource(`/api/sessions/${state.sessionId}/events`);
  state.source = source;
  source.addEventListener("frame", (event) => {
    state.framesReceived += 1;
    takeFrame(JSON.parse(event.data));
  });
  source.onerror = () => {
    el("status").textContent = NN.t("connection_lost");
    if (source.readyState === EventSource.CLOSED) setTimeout(() => recover(), 1000);
  };
}

async function recover() {
  try {
    await NN.api("GET", `/api/sessions/${state.sessionId}/frame`);
    listen();
  } catch (e) {
    if (e.status === 404) await newSession(); // the server restarted or closed the session
    else setTimeout(() => recover(), 2000);
  }
}

async function control(action) {
  try {
    const body = { action, steps_per_frame: Number(el("speed").value) };
    const data = await NN.api("POST", `/api/sessions/${state.sessionId}/control`, body);
    takeFrame(data.frame);
    if (action === "reset") clearBackprop();
  } catch (e) {
    showError(e.message);
  }
}

function takeFrame(frame) {
  if (state.frame && frame.version < state.frame.version && frame.session === state.frame.session) return;
  state.frame = frame;
  if (!state.dirty) {
    state.dirty = true;
    window.requestAnimationFrame(draw);
  }
}

function draw() {
  state.dirty = false;
  const f = state.frame;
  if (!f) return;
  drawBoundary(f);
  drawCurves(f);
  drawNetwork(f);
  drawStatus(f);
  state.framesDrawn += 1;
}

function last(list) { return list.length ? list[list.length - 1] : null; }

function drawStatus(f) {
  const c = f.curves;
  const pct = (v) => (v === null ? "—" : (100 * v).toFixed(1) + "%");
  let text = NN.t("status_line", {
    step: f.step, epoch: f.epoch, loss: NN.fmt(last(c.loss)), val_loss: NN.fmt(last(c.val_loss)),
    acc: pct(last(c.acc)), val_acc: pct(last(c.val_acc)),
  });
  if (f.message) text += " — " + NN.t("msg_" + f.message);
  el("status").textContent = text;
  el("btn-start").dataset.i18n = f.running ? "pause" : "start";
  el("btn-start").textContent = NN.t(f.running ? "pause" : "start");
}

// ---------- the boundary ----------
function decode(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const gridCanvas = document.createElement("canvas");

function toCanvas(ext, canvas, x, y) {
  return [(x - ext[0]) / (ext[1] - ext[0]) * canvas.width, (ext[3] - y) / (ext[3] - ext[2]) * canvas.height];
}

function drawBoundary(f) {
  const b = f.boundary;
  const n = b.size;
  const K = f.config.classes;
  const cls = decode(b.classes);
  const conf = decode(b.confidence);
  gridCanvas.width = n;
  gridCanvas.height = n;
  const g = gridCanvas.getContext("2d");
  const img = g.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const c = PALETTE[cls[i] % PALETTE.length];
    const p = conf[i] / 255;
    const a = 0.12 + 0.68 * Math.max(0, (p - 1 / K) / (1 - 1 / K));
    img.data[4 * i] = Math.round(255 + (c[0] - 255) * a);
    img.data[4 * i + 1] = Math.round(255 + (c[1] - 255) * a);
    img.data[4 * i + 2] = Math.round(255 + (c[2] - 255) * a);
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
  const canvas = el("boundary");
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  // cell centres span the extent: stretch the grid so its first and last centres sit on the edges
  const cw = canvas.width / (n - 1);
  const ch = canvas.height / (n - 1);
  ctx.drawImage(gridCanvas, -cw / 2, -ch / 2, canvas.width + cw, canvas.height + ch);
  if (!state.points) return;
  const drawSet = (set, hollow) => {
    for (let i = 0; i < set.y.length; i++) {
      const [px, py] = toCanvas(b.extent, canvas, set.x[i][0], set.x[i][1]);
      const c = PALETTE[set.y[i] % PALETTE.length];
      ctx.beginPath();
      ctx.arc(px, py, hollow ? 3.5 : 4, 0, 2 * Math.PI);
      if (hollow) {
        ctx.strokeStyle = `rgb(${c})`;
        ctx.lineWidth = 1.5;
        ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${c})`;
        ctx.fill();
        ctx.strokeStyle = "white";
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    }
  };
  drawSet(state.points.val, true);
  drawSet(state.points.train, false);
  const probe = state.points.train.x[f.network.probe];
  if (probe) {
    const [px, py] = toCanvas(b.extent, canvas, probe[0], probe[1]);
    ctx.beginPath();
    ctx.arc(px, py, 8, 0, 2 * Math.PI);
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 2;
    ctx.stroke();
  }
}

async function pickProbe(event) {
  if (!state.frame || !state.points) return;
  const canvas = el("boundary");
  const rect = canvas.getBoundingClientRect();
  const mx = (event.clientX - rect.left) * canvas.width / rect.width;
  const my = (event.clientY - rect.top) * canvas.height / rect.height;
  let best = 0;
  let bestD = Infinity;
  state.points.train.x.forEach((p, i) => {
    const [px, py] = toCanvas(state.frame.boundary.extent, canvas, p[0], p[1]);
    const d = (px - mx) ** 2 + (py - my) ** 2;
    if (d < bestD) { bestD = d; best = i; }
  });
  try {
    const data = await NN.api("POST", `/api/sessions/${state.sessionId}/probe`, { index: best });
    takeFrame(data.frame);
  } catch (e) { showError(e.message); }
}

// ---------- the curves ----------
function drawCurve(canvas, steps, series, range, title) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width;
  const H = canvas.height;
  const L = 44;
  const B = 20;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = "#ccc";
  ctx.strokeRect(L, 6, W - L - 6, H - B - 6);
  ctx.fillStyle = "#444";
  ctx.font = "11px sans-serif";
  ctx.fillText(title, L + 6, 18);
  ctx.fillText(NN.fmt(range[1], 3), 2, 14);
  ctx.fillText(NN.fmt(range[0], 3), 2, H - B);
  if (steps.length === 0) return;
  const x0 = steps[0];
  const x1 = Math.max(steps[steps.length - 1], x0 + 1);
  ctx.fillText(String(x1), W - 50, H - 4);
  const sx = (s) => L + (s - x0) / (x1 - x0) * (W - L - 6);
  const sy = (v) => 6 + (1 - (v - range[0]) / (range[1] - range[0] || 1)) * (H - B - 12);
  for (const [values, color, dash] of series) {
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    let started = false;
    values.forEach((v, i) => {
      if (v === null) { started = false; return; }
      const y = sy(Math.min(Math.max(v, range[0]), range[1]));
      if (started) ctx.lineTo(sx(steps[i]), y); else { ctx.moveTo(sx(steps[i]), y); started = true; }
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

function drawCurves(f) {
  const c = f.curves;
  const finite = c.loss.concat(c.val_loss).filter((v) => v !== null);
  const top = finite.length ? Math.max(...finite) : 1;
  drawCurve(el("curve-loss"), c.step, [[c.loss, "#0877bd", []], [c.val_loss, "#f59322", [5, 4]]],
    [0, top > 0 ? top : 1], NN.t("loss"));
  drawCurve(el("curve-acc"), c.step, [[c.acc, "#0877bd", []], [c.val_acc, "#f59322", [5, 4]]], [0, 1],
    NN.t("accuracy"));
}

// ---------- the network drawing ----------
// A canvas, not SVG: the largest network has over 5,000 edges, and repainting that many SVG
// lines costs more than a frame. Edges are batched into one path per colour and width.
let netShape = null;

function buildNetwork(sizes) {
  const canvas = el("network");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 800;
  const height = 300;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const maxN = Math.max(...sizes);
  const r = Math.max(3, Math.min(12, 110 / maxN));
  const xs = sizes.map((_, i) => 40 + i * (width - 80) / Math.max(sizes.length - 1, 1));
  const ys = sizes.map((n) => Array.from({ length: n }, (_, j) => height / 2 + (j - (n - 1) / 2) * Math.min(2.6 * r, (height - 30) / Math.max(n, 1))));
  canvas.dataset.sizes = sizes.join(",");
  canvas.dataset.units = String(sizes.reduce((a, b) => a + b, 0));
  canvas.onmousemove = (event) => showTip(event);
  canvas.onmouseleave = () => { canvas.title = ""; };
  netShape = { sizes: sizes.join(","), width, height, ratio, r, xs, ys };
}

function valueColor(v, scale) {
  if (v === null || v === undefined) return "#999";
  const a = Math.round(24 * Math.min(1, Math.abs(v) / (scale || 1))) / 24;  // 25 shades a sign
  const c = v >= 0 ? PALETTE[1] : PALETTE[0];
  return `rgb(${Math.round(255 + (c[0] - 255) * a)},${Math.round(255 + (c[1] - 255) * a)},${Math.round(255 + (c[2] - 255) * a)})`;
}

function linearLayers(f) { return f.network.layers.filter((l) => l.type === "Linear"); }

// The value shown in neuron j of column l: the input, a hidden layer's activation, or an output logit.
function neuronValues(f) {
  const acts = f.network.activations; // [input, after module 0, after module 1, ...]
  const cols = [acts[0]];
  f.network.layers.forEach((layer, i) => {
    const next = f.network.layers[i + 1];
    if (layer.type === "Linear" && (!next || next.type === "Linear")) cols.push(acts[i + 1]);
    if (layer.type !== "Linear") cols.push(acts[i + 1]);
  });
  return cols;
}

function drawNetwork(f) {
  const sizes = f.network.sizes;
  const canvas = el("network");
  const wanted = Math.round((canvas.clientWidth || 800) * (window.devicePixelRatio || 1));
  if (!netShape || netShape.sizes !== sizes.join(",") || canvas.width !== wanted) buildNetwork(sizes);
  const { xs, ys, r, ratio, width, height } = netShape;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const marked = state.backprop ? currentStageLayer() : null;
  if (marked !== null && marked !== undefined && xs[marked + 1] !== undefined) {
    ctx.fillStyle = "rgba(255, 213, 79, 0.28)";  // the layer the backprop walk is at
    ctx.fillRect(xs[marked] - r - 4, 4, xs[marked + 1] - xs[marked] + 2 * r + 8, height - 8);
  }
  const key = state.edgeMode === "grad" ? "weight_grad" : "weight";
  ctx.lineCap = "butt";
  linearLayers(f).forEach((layer, l) => {
    const M = layer[key];
    let scale = 0;
    if (M) for (const row of M) for (const v of row) if (v !== null) scale = Math.max(scale, Math.abs(v));
    const batches = new Map();  // "colour|width" -> [[o, i], ...]
    for (let o = 0; o < sizes[l + 1]; o++) {
      for (let i = 0; i < sizes[l]; i++) {
        const v = M ? M[o][i] : null;
        if (v !== null && Math.abs(v) < scale / 48) continue;  // white on white: not drawn
        const w = v === null ? 0.5 : Math.round(2 * (0.5 + 3.5 * Math.abs(v) / (scale || 1))) / 2;
        const k = valueColor(v, scale) + "|" + w;
        if (!batches.has(k)) batches.set(k, []);
        batches.get(k).push([o, i]);
      }
    }
    for (const [k, pairs] of batches) {
      const [colour, w] = k.split("|");
      ctx.beginPath();
      for (const [o, i] of pairs) {
        ctx.moveTo(xs[l], ys[l][i]);
        ctx.lineTo(xs[l + 1], ys[l + 1][o]);
      }
      ctx.strokeStyle = colour;
      ctx.lineWidth = Number(w);
      ctx.stroke();
    }
  });
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1;
  neuronValues(f).forEach((values, l) => {
    const scale = Math.max(1e-9, ...values.map((v) => Math.abs(v || 0)));
    (ys[l] || []).forEach((y, j) => {
      ctx.beginPath();
      ctx.arc(xs[l], y, r, 0, 2 * Math.PI);
      ctx.fillStyle = valueColor(values[j], scale);
      ctx.fill();
      ctx.stroke();
    });
  });
}

// The tooltip: the neuron under the pointer, else the nearest edge within 4 px.
function showTip(event) {
  const f = state.frame;
  const canvas = el("network");
  if (!f || !netShape) return;
  const rect = canvas.getBoundingClientRect();
  const mx = event.clientX - rect.left;
  const my = event.clientY - rect.top;
  const { xs, ys, r } = netShape;
  const cols = neuronValues(f);
  for (let l = 0; l < xs.length; l++) {
    if (Math.abs(mx - xs[l]) > r) continue;
    for (let j = 0; j < ys[l].length; j++) {
      if ((mx - xs[l]) ** 2 + (my - ys[l][j]) ** 2 <= r * r) {
        canvas.title = NN.fmt(cols[l][j]);
        return;
      }
    }
  }
  const l = xs.findIndex((x, k) => k + 1 < xs.length && mx >= x && mx <= xs[k + 1]);
  const layer = l >= 0 ? linearLayers(f)[l] : null;
  if (!layer) { canvas.title = ""; return; }
  let best = null;
  let bestD = 16;
  const t = (mx - xs[l]) / (xs[l + 1] - xs[l]);
  ys[l + 1].forEach((y1, o) => ys[l].forEach((y0, i) => {
    const d = (y0 + t * (y1 - y0) - my) ** 2;  // vertical distance: edges run left to right
    if (d < bestD) { bestD = d; best = [o, i]; }
  }));
  if (!best) { canvas.title = ""; return; }
  const [o, i] = best;
  const g = layer.weight_grad ? layer.weight_grad[o][i] : null;
  canvas.title = `W[${o}][${i}] = ${NN.fmt(layer.weight[o][i])}, ∂L/∂W = ${NN.fmt(g)}`;
}

// ---------- backprop, one step at a time ----------
function clearBackprop() {
  state.backprop = null;
  state.stage = 0;
  el("bp-stages").innerHTML = "";
  el("bp-position").textContent = "";
  el("bp-prev").disabled = true;
  el("bp-next").disabled = true;
}

function vectorTable(name, values, testid) {
  const wrap = document.createElement("div");
  wrap.className = "bp-value";
  const label = document.createElement("div");
  label.className = "bp-label";
  label.dataset.i18n = name;
  label.textContent = NN.t(name);
  wrap.appendChild(label);
  const table = document.createElement("table");
  table.className = "numbers";
  table.dataset.testid = testid;
  const rows = Array.isArray(values[0]) ? values : [values];
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const v of row) {
      const td = document.createElement("td");
      td.dataset.value = String(v);
      td.textContent = NN.fmt(v);
      td.className = v > 0 ? "pos" : v < 0 ? "neg" : "";
      tr.appendChild(td);
    }
    table.appendChild(tr);
  }
  wrap.appendChild(table);
  return wrap;
}

function stageBox(titleKey, vars, formula, layerIndex) {
  const box = document.createElement("div");
  box.className = "bp-stage";
  box.hidden = true;
  if (layerIndex !== null) box.dataset.linear = String(layerIndex);
  const h = document.createElement("h3");
  h.dataset.key = titleKey;
  h.dataset.vars = JSON.stringify(vars);
  h.textContent = NN.t(titleKey, vars);
  box.appendChild(h);
  if (formula) {
    const code = document.createElement("code");
    code.className = "formula";
    code.textContent = formula;
    box.appendChild(code);
  }
  return box;
}

function renderBackprop(walk) {
  const root = el("bp-stages");
  root.innerHTML = "";
  const head = document.createElement("p");
  head.className = "bp-point";
  head.textContent = NN.t("point", { i: walk.index, c: walk.loss.label }) + `: x = (${walk.x.map((v) => NN.fmt(v)).join(", ")})`;
  root.appendChild(head);
  let linear = 0;
  const linearOf = {};
  for (const s of walk.forward) if (s.type === "Linear") linearOf[s.index] = linear++;
  for (const s of walk.forward) {
    const box = stageBox("stage_forward", { i: s.index, type: s.type }, s.formula,
      s.type === "Linear" ? linearOf[s.index] : null);
    box.dataset.stage = `forward-${s.index}`;
    box.appendChild(vectorTable("v_input", s.input, `forward-${s.index}-input`));
    if (s.type === "Linear") {
      const w = walk.parameters[`${s.index}.weight`];
      const b = walk.parameters[`${s.index}.bias`];
      if (w) box.appendChild(vectorTable("v_weight", w, `forward-${s.index}-weight`));
      if (b) box.appendChild(vectorTable("v_bias", b, `forward-${s.index}-bias`));
    }
    box.appendChild(vectorTable("v_output", s.output, `forward-${s.index}-output`));
    root.appendChild(box);
  }
  const L = walk.loss;
  const lossBox = stageBox("stage_loss", { type: L.type }, `${L.formula}\n${L.backward_formula}`, null);
  lossBox.dataset.stage = "loss";
  lossBox.appendChild(vectorTable("v_logits", L.output, "loss-output"));
  lossBox.appendChild(vectorTable("v_target", L.target, "loss-target"));
  lossBox.appendChild(vectorTable("v_loss", [L.value], "loss-value"));
  lossBox.appendChild(vectorTable("v_dldz", L.grad, "loss-grad"));
  root.appendChild(lossBox);
  for (const s of walk.backward) {
    const box = stageBox("stage_backward", { i: s.index, type: s.type }, s.formula,
      s.type === "Linear" ? linearOf[s.index] : null);
    box.dataset.stage = `backward-${s.index}`;
    box.appendChild(vectorTable("v_grad_output", s.grad_output, `backward-${s.index}-grad_output`));
    if (s.grads.weight) box.appendChild(vectorTable("v_weight_grad", s.grads.weight, `backward-${s.index}-weight_grad`));
    if (s.grads.bias) box.appendChild(vectorTable("v_bias_grad", s.grads.bias, `backward-${s.index}-bias_grad`));
    box.appendChild(vectorTable("v_grad_input", s.grad_input, `backward-${s.index}-grad_input`));
    root.appendChild(box);
  }
  showStage(0);
}

function stages() { return Array.from(el("bp-stages").querySelectorAll(".bp-stage")); }

function currentStageLayer() {
  const s = stages()[state.stage];
  return s && s.dataset.linear !== undefined ? Number(s.dataset.linear) : null;
}

function showStage(k) {
  const all = stages();
  state.stage = Math.max(0, Math.min(k, all.length - 1));
  all.forEach((s, i) => { s.hidden = i !== state.stage; s.classList.toggle("current", i === state.stage); });
  el("bp-position").textContent = NN.t("bp_position", { k: state.stage + 1, n: all.length });
  el("bp-position").dataset.stage = all[state.stage] ? all[state.stage].dataset.stage : "";
  el("bp-prev").disabled = state.stage === 0;
  el("bp-next").disabled = state.stage >= all.length - 1;
  if (state.frame) drawNetwork(state.frame);
}

async function startBackprop() {
  if (state.frame && state.frame.running) await control("pause");
  try {
    const index = state.frame ? state.frame.network.probe : 0;
    const walk = await NN.api("POST", `/api/sessions/${state.sessionId}/backprop`, { index });
    state.backprop = walk;
    renderBackprop(walk);
  } catch (e) { showError(e.message); }
}

function relabel() {
  labelDatasets();
  document.querySelectorAll(".bp-stage h3").forEach((h) => {
    h.textContent = NN.t(h.dataset.key, JSON.parse(h.dataset.vars));
  });
  if (state.backprop) {
    const head = el("bp-stages").querySelector(".bp-point");
    const w = state.backprop;
    if (head) head.textContent = NN.t("point", { i: w.index, c: w.loss.label }) + `: x = (${w.x.map((v) => NN.fmt(v)).join(", ")})`;
    el("bp-position").textContent = NN.t("bp_position", { k: state.stage + 1, n: stages().length });
  }
  if (state.frame) draw();
}

// ---------- start ----------
async function main() {
  NN.initHeader();
  const options = await NN.api("GET", "/api/options");
  state.options = options;
  fillSelect(el("f-dataset"), options.datasets);
  labelDatasets();
  fillSelect(el("f-activation"), options.activations);
  fillSelect(el("f-loss"), options.losses);
  fillSelect(el("f-optimizer"), options.optimizers);
  for (const name of FIELDS) {
    const input = el("f-" + name.replace("_", "-"));
    input.addEventListener("change", () => {
      if (name === "dataset") el("f-classes").disabled = !["spiral", "blobs"].includes(input.value);
      applyForm();
    });
  }
  el("btn-start").addEventListener("click", () => control(state.frame && state.frame.running ? "pause" : "start"));
  el("btn-step").addEventListener("click", () => control("step"));
  el("btn-reset").addEventListener("click", () => control("reset"));
  el("boundary").addEventListener("click", pickProbe);
  el("speed").addEventListener("change", () => control(state.frame && state.frame.running ? "start" : "pause"));
  document.querySelectorAll("input[name=edge-mode]").forEach((r) => r.addEventListener("change", () => {
    state.edgeMode = r.value;
    if (state.frame) drawNetwork(state.frame);
  }));
  el("bp-start").addEventListener("click", startBackprop);
  el("bp-next").addEventListener("click", () => showStage(state.stage + 1));
  el("bp-prev").addEventListener("click", () => showStage(state.stage - 1));
  window.addEventListener("nn-lang", relabel);
  window.addEventListener("resize", () => { if (state.frame) drawNetwork(state.frame); });
  await newSession();
  document.body.dataset.ready = "1";
}

main().catch((e) => showError(e.message));

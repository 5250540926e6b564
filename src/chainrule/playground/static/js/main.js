// The page: controls -> config -> server; server messages -> the panels.
// Training runs in the server (chainrule's own engine); the page only draws what it is sent.

import {CostCurves} from "./curves.js";
import {LandscapeView} from "./landscape.js";
import {renderLedger} from "./ledger.js";
import {drawMeter} from "./meter.js";
import {NetworkView} from "./network.js";
import {OutputView} from "./output.js";
import {DEFAULTS, fromHash, toHash} from "./state.js";

const $ = (id) => document.getElementById(id);
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1, 3, 10];
const L2S = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

const page = {
  config: {...DEFAULTS},
  socket: null,
  session: "",
  catalogue: {},
  names: {},
  data: null,
  net: null,
  playing: false,
  epoch: 0,
  ledger: null,
  frames: 0,
  params: [],
  pending: null, // the latest frame, drawn at the next animation frame
  busyMs: 0, // time spent handling messages (the redraw-rate benchmark reports it)
  output: new OutputView($("regions")),
  curves: new CostCurves($("curves")),
  landscape: new LandscapeView($("landscape")),
  network: null,
};
window.playground = page; // for the tests and the redraw-rate benchmark

// -- talking to the server ----------------------------------------------------------

function send(msg) {
  if (page.socket?.readyState === WebSocket.OPEN) page.socket.send(JSON.stringify(msg));
}

function sendConfig(changes = {}, {keepEpoch = false} = {}) {
  Object.assign(page.config, changes);
  if (!keepEpoch) page.config.epoch = 0;
  writeHash();
  send({type: "config", config: page.config});
}

function writeHash() {
  history.replaceState(null, "", toHash(page.config));
}

function say(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
}

function connect() {
  const socket = new WebSocket(`ws://${location.host}/ws`);
  page.socket = socket;
  socket.addEventListener("open", () => { $("connection").textContent = "connected"; });
  socket.addEventListener("close", () => {
    $("connection").textContent = "disconnected: reload the page";
    say("The connection to the playground server was closed. Is `chainrule playground` " +
        "still running? Reload the page to start again.");
  });
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
}

const HANDLERS = {
  hello(msg) {
    page.session = msg.session;
    page.catalogue = msg.catalogue;
    page.names = msg.names;
    $("version").textContent = msg.names.version[0];
    fillChoices();
    // a link may name only some fields: the rest come from its data set's preset
    const fromUrl = fromHash(location.hash);
    Object.assign(page.config, presetOf(fromUrl.data ?? page.config.data), fromUrl);
    showConfig();
    sendConfig({}, {keepEpoch: true});
  },
  data(msg) {
    page.data = msg;
    page.output.setData(msg);
    page.curves.reset();
    page.landscape.clear();
    $("output-kind").textContent = {regions: "decision regions", heat: "fitted surface",
                                     lines: "fitted curve", curve: "fitted curve"}[msg.kind];
    $("output-note").textContent = msg.held_out
      ? `${msg.n_train} training points (filled), ${msg.n_test} test points (hollow)`
      : `all ${msg.n_train} points train (${msg.n_train < 10 ? "too few to hold any out"
        : "the whole curve is the set"}), so the test cost is the training cost`;
    $("example").max = msg.n_train - 1;
    $("data-note").textContent = msg.features.length > 2
      ? `${msg.features.length} inputs: the output is drawn over the first two, the others at their mean`
      : "";
  },
  net(msg) {
    page.net = msg;
    page.network.build(msg, page.data?.features ?? [], page.names.hidden_activations);
    fillParams(msg.names);
    page.curves.reset();
    if (msg.loaded) say(`Loaded ${msg.loaded}: its network and weights, on the data below.`,
                        "info");
  },
  frame(msg) {
    // the numbers now (every increment counts); the drawing at the next animation frame,
    // where the latest frame is drawn once and acknowledged
    page.epoch = msg.epoch;
    page.params = msg.params;
    page.playing = msg.playing || msg.epoch < msg.target;
    page.curves.add(msg.start, msg.train, msg.test);
    page.landscape.extend(msg.path, false);
    const first = page.pending === null;
    page.pending = msg;
    if (first) requestAnimationFrame(drawFrame);
  },
  status(msg) {
    showPlaying(msg.playing || msg.epoch < msg.target);
    if (!msg.playing && msg.epoch >= msg.target) {
      page.config.epoch = msg.epoch;
      writeHash();
    }
    if (msg.message) say(msg.message, "info");
  },
  ledger(msg) {
    page.ledger = msg;
    page.network.select(msg.param);
    $("use-x").disabled = $("use-y").disabled = false;
    renderLedger($("ledger"), $("ledger-title"), msg, $("all-digits").checked);
  },
  landscape(msg) {
    page.landscape.set(msg);
  },
  config(msg) {
    Object.assign(page.config, msg.config);
    showConfig();
    writeHash();
  },
  error(msg) {
    say(msg.message);
  },
};

function drawFrame() {
  const t0 = performance.now();
  const msg = page.pending;
  page.pending = null;
  $("epoch").textContent = msg.epoch.toLocaleString("en");
  const last = (a) => (a.length ? a[a.length - 1] : null);
  const fmt = (v) => (v === null || v === undefined ? "–" : v.toPrecision(4));
  $("train-cost").textContent = fmt(last(page.curves.train));
  $("test-cost").textContent = fmt(last(page.curves.test));
  page.output.draw(msg);
  page.network.update(msg.params);
  drawMeter($("meter"), msg.grad);
  page.curves.draw();
  page.landscape.draw();
  showPlaying(msg.playing || msg.epoch < msg.target);
  page.frames += 1;
  page.busyMs += performance.now() - t0;
  // acknowledged once drawn: the server keeps at most two frames ahead of the page
  send({type: "ack", id: msg.id});
}

function receive(msg) {
  const handler = HANDLERS[msg.type];
  const t0 = performance.now();
  if (handler) handler(msg);
  page.busyMs += performance.now() - t0;
}

// -- controls ---------------------------------------------------------------------

function options(select, values, labels = values) {
  select.replaceChildren(...values.map((v, i) => new Option(labels[i], v)));
}

function fillChoices() {
  const keys = Object.keys(page.catalogue);
  options($("data"), [...keys, "csv"], [...keys.map((k) => page.catalogue[k].label), "CSV upload"]);
  options($("out"), page.names.output_activations);
  options($("cost"), page.names.costs);
  options($("opt"), page.names.optimizers);
  options($("lr"), LEARNING_RATES.map(String));
  options($("l2"), L2S.map(String));
}

function fillParams(names) {
  for (const id of ["px", "py"]) {
    options($(id), ["", ...names], ["(pick)", ...names]);
    $(id).value = names.includes(page.config[id]) ? page.config[id] : "";
  }
}

function presetOf(name) {
  const entry = page.catalogue[name];
  return entry ? {...entry.preset, hidden: [...entry.preset.hidden], act: [...entry.preset.act]}
    : {};
}

function ensureOption(select, value) {
  if (![...select.options].some((o) => o.value === String(value))) {
    select.add(new Option(String(value), String(value)));
  }
  select.value = String(value);
}

function showConfig() {
  const c = page.config;
  $("data").value = c.data;
  for (const id of ["n", "noise", "test", "batch", "seed"]) $(id).value = c[id];
  $("n-out").textContent = c.n;
  $("noise-out").textContent = c.noise;
  $("test-out").textContent = `${Math.round(c.test * 100)} %`;
  $("batch-out").textContent = c.batch === 0 ? "all" : c.batch;
  for (const id of ["out", "cost", "opt"]) $(id).value = c[id];
  ensureOption($("lr"), c.lr);
  ensureOption($("l2"), c.l2);
  $("example").value = c.ex;
  page.output.chosen = c.ex;
  $("half").value = page.landscape.half ?? 3;
  const entry = page.catalogue[c.data];
  $("noise").disabled = $("n").disabled = entry ? !entry.noise : true;
  $("target-row").hidden = c.data !== "csv";
}

function showPlaying(playing) {
  page.playing = playing;
  $("play").textContent = playing ? "❚❚ pause" : "▶ play";
}

function wireControls() {
  $("play").addEventListener("click", () => send({type: page.playing ? "pause" : "play"}));
  $("step").addEventListener("click", () => send({type: "step"}));
  $("reset").addEventListener("click", () => {
    page.config.epoch = 0;
    writeHash();
    send({type: "reset"});
  });
  $("data").addEventListener("change", () => {
    const name = $("data").value;
    if (name === "csv") {
      $("csv-file").click();
      $("data").value = page.config.data;
      return;
    }
    sendConfig({data: name, target: "", ...presetOf(name)});
    showConfig();
  });
  const sliders = {n: Number, noise: Number, test: Number, batch: Number};
  for (const [id, parse] of Object.entries(sliders)) {
    $(id).addEventListener("input", () => {
      page.config[id] = parse($(id).value);
      showConfig();
    });
    $(id).addEventListener("change", () => sendConfig({[id]: parse($(id).value)}));
  }
  $("seed").addEventListener("change", () => sendConfig({seed: Number($("seed").value)}));
  $("reseed").addEventListener("click", () => {
    sendConfig({seed: Math.floor(Math.random() * 1e6)});
    showConfig();
  });
  $("cost").addEventListener("change", () => {
    // a cost fused with its output σ (cross-entropy and softmax) takes it along
    const i = page.names.costs.indexOf($("cost").value);
    const out = page.names.cost_outputs[i];
    sendConfig(out ? {cost: $("cost").value, out} : {cost: $("cost").value});
    showConfig();
  });
  for (const id of ["out", "opt", "target"]) {
    $(id).addEventListener("change", () => sendConfig({[id]: $(id).value}));
  }
  for (const id of ["lr", "l2"]) {
    $(id).addEventListener("change", () => sendConfig({[id]: Number($(id).value)}));
  }
  $("add-layer").addEventListener("click", () => {
    const c = page.config;
    if (c.hidden.length >= 6) return say("at most 6 hidden layers");
    sendConfig({hidden: [...c.hidden, 4], act: [...c.act, c.act.at(-1) ?? "tanh"]});
  });
  $("remove-layer").addEventListener("click", () => {
    const c = page.config;
    sendConfig({hidden: c.hidden.slice(0, -1), act: c.act.slice(0, -1)});
  });
  $("example").addEventListener("change", () => chooseExample(Number($("example").value)));
  $("regions").addEventListener("click", (event) => {
    const k = page.output.exampleAt(event);
    if (k >= 0) chooseExample(k);
  });
  $("all-digits").addEventListener("change", () => {
    if (page.ledger) renderLedger($("ledger"), $("ledger-title"), page.ledger,
                                  $("all-digits").checked);
  });
  for (const [button, axis] of [["use-x", "px"], ["use-y", "py"]]) {
    $(button).addEventListener("click", () => {
      $(axis).value = page.config.sel;
      requestLandscape();
    });
  }
  for (const id of ["px", "py", "half"]) $(id).addEventListener("change", requestLandscape);
  $("log-scale").addEventListener("change", () => {
    page.curves.log = $("log-scale").checked;
    page.curves.draw();
  });
  $("share").addEventListener("click", async () => {
    writeHash();
    try {
      await navigator.clipboard.writeText(location.href);
      say("The link is copied: it opens this page in the same state.", "info");
    } catch {
      say(`The link to share: ${location.href}`, "info");
    }
  });
  $("download").addEventListener("click", (event) => {
    $("download").href = `/api/model?session=${encodeURIComponent(page.session)}`;
    if (!page.session) event.preventDefault();
  });
  $("csv-file").addEventListener("change", () => upload("csv", $("csv-file")));
  $("model-file").addEventListener("change", () => upload("model", $("model-file")));
}

function requestLandscape() {
  const px = $("px").value;
  const py = $("py").value;
  page.config.px = px;
  page.config.py = py;
  page.landscape.half = Number($("half").value);
  writeHash();
  if (px && py) send({type: "landscape", px, py, half: page.landscape.half});
}

function chooseExample(k) {
  page.config.ex = k;
  page.output.chosen = k;
  $("example").value = k;
  writeHash();
  if (page.config.sel) send({type: "ledger", param: page.config.sel, example: k});
}

function selectParam(param) {
  page.config.sel = param;
  page.network.select(param);
  $("use-x").disabled = $("use-y").disabled = false;
  writeHash();
  send({type: "ledger", param, example: page.config.ex});
}

async function upload(kind, input) {
  const file = input.files[0];
  input.value = "";
  if (!file) return;
  const url = `/api/upload/${kind}?session=${encodeURIComponent(page.session)}` +
    `&name=${encodeURIComponent(file.name)}`;
  say("");  // before: a loaded model's note may arrive over the socket before the answer
  const response = await fetch(url, {method: "POST", body: file});
  const answer = await response.json().catch(() => ({error: `upload failed (${response.status})`}));
  if (!response.ok) return say(answer.error);
  if (kind === "csv") {
    options($("target"), answer.columns);
    $("target").value = answer.target;
    sendConfig({data: "csv", target: answer.target});
    showConfig();
  }
}

page.network = new NetworkView($("network"), {
  onSelect: selectParam,
  onUnits(layer, delta) {
    const hidden = [...page.config.hidden];
    hidden[layer] = Math.min(16, Math.max(1, hidden[layer] + delta));
    sendConfig({hidden});
  },
  onActivation(layer, name) {
    const act = [...page.config.act];
    act[layer] = name;
    sendConfig({act});
  },
});
wireControls();
connect();

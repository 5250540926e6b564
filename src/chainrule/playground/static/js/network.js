// The network drawn as SVG: neurons (their bias) and connections (their weight), each
// clickable for its chain rule; + / − units and σ for every hidden layer below it.

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 560;
const GAP = 26;

function el(tag, attrs, parent) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

export class NetworkView {
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers; // onSelect(param), onUnits(layer, delta), onActivation(layer, name)
    this.shapes = new Map(); // param name -> [shape, kind]
    this.selected = "";
  }

  // net: {sizes, activations, names}; features: input names; choices: hidden σ names
  build(net, features, choices) {
    this.net = net;
    this.index = new Map(net.names.map((name, i) => [name, i]));
    this.shapes.clear();
    this.root.replaceChildren();
    const sizes = net.sizes;
    const height = 30 + Math.max(...sizes) * GAP;
    const svg = el("svg", {viewBox: `0 0 ${WIDTH} ${height}`, role: "img",
                           "aria-label": `a ${sizes.join("-")} network`}, this.root);
    const x = (l) => 30 + l * (WIDTH - 60) / (sizes.length - 1);
    const y = (l, r) => height / 2 + (r - (sizes[l] - 1) / 2) * GAP;
    const edges = el("g", {}, svg);
    const hits = el("g", {}, svg);
    for (let l = 1; l < sizes.length; l++) {
      for (let r = 0; r < sizes[l]; r++) {
        for (let c = 0; c < sizes[l - 1]; c++) {
          const name = `W${l}[${r},${c}]`;
          const at = {x1: x(l - 1), y1: y(l - 1, c), x2: x(l), y2: y(l, r)};
          const line = el("line", {...at, class: "edge"}, edges);
          const hit = el("line", {...at, class: "hit", "data-param": name}, hits);
          el("title", {}, hit).textContent = name;
          this.shapes.set(name, [line, "edge"]);
        }
      }
    }
    for (let l = 0; l < sizes.length; l++) {
      for (let r = 0; r < sizes[l]; r++) {
        if (l === 0) {
          el("circle", {cx: x(0), cy: y(0, r), r: 9, class: "node input", fill: "#eee"}, svg);
          el("text", {x: x(0) - 12, y: y(0, r) + 3, "text-anchor": "end"}, svg)
            .textContent = features[r] ?? `x${r + 1}`;
          continue;
        }
        const name = `b${l}[${r}]`;
        const node = el("circle", {cx: x(l), cy: y(l, r), r: 9, class: "node",
                                   "data-param": name}, svg);
        el("title", {}, node).textContent = name;
        this.shapes.set(name, [node, "node"]);
      }
    }
    svg.addEventListener("click", (event) => {
      const param = event.target.getAttribute("data-param");
      if (param) this.handlers.onSelect(param);
    });
    this.root.appendChild(this.layerControls(net, choices));
    this.select(this.selected);
  }

  layerControls(net, choices) {
    const box = document.createElement("div");
    box.className = "layer-controls";
    const n = net.sizes.length;
    net.sizes.forEach((units, l) => {
      const cell = document.createElement("div");
      if (l === 0) cell.textContent = `${units} in`;
      else if (l === n - 1) cell.textContent = `${units} out · ${net.activations[l - 1]}`;
      else {
        const buttons = document.createElement("div");
        buttons.className = "unit-buttons";
        for (const [text, delta] of [["+", 1], ["−", -1]]) {
          const b = document.createElement("button");
          b.textContent = text;
          b.title = `${delta > 0 ? "add a neuron to" : "remove a neuron from"} layer ${l}`;
          b.dataset.layer = l;
          b.addEventListener("click", () => this.handlers.onUnits(l - 1, delta));
          buttons.appendChild(b);
        }
        const select = document.createElement("select");
        select.className = "layer-activation";
        select.dataset.layer = l;
        for (const name of choices) select.add(new Option(name, name));
        select.value = net.activations[l - 1];
        select.addEventListener("change", () => this.handlers.onActivation(l - 1, select.value));
        cell.append(buttons, `${units} units`, document.createElement("br"), select);
      }
      box.appendChild(cell);
    });
    return box;
  }

  update(params) {
    let big = 1e-12;
    for (const v of params) if (v !== null && Math.abs(v) > big) big = Math.abs(v);
    for (const [name, [shape, kind]] of this.shapes) {
      const v = params[this.index.get(name)] ?? 0;
      const colour = v >= 0 ? "#2a6fb0" : "#e08a1e";
      const strength = Math.min(1, Math.abs(v) / big);
      if (kind === "edge") {
        shape.setAttribute("stroke", colour);
        shape.setAttribute("stroke-width", (0.4 + 4 * strength).toFixed(2));
        shape.setAttribute("stroke-opacity", (0.25 + 0.75 * strength).toFixed(2));
      } else {
        shape.setAttribute("fill", colour);
        shape.setAttribute("fill-opacity", (0.15 + 0.85 * strength).toFixed(2));
      }
    }
  }

  select(param) {
    const old = this.shapes.get(this.selected);
    if (old) old[0].classList.remove("selected");
    this.selected = param;
    const now = this.shapes.get(param);
    if (now) now[0].classList.add("selected");
  }
}

// The chain rule of one parameter for one example: every factor with its formula, shape
// and numbers, their product, back-propagation's value and the finite difference.

export function formatNumber(v, allDigits) {
  if (v === null) return "∞ or NaN";
  return allDigits ? String(v) : Number(v.toPrecision(4)).toString();
}

function numberCell(v, allDigits) {
  const td = document.createElement("td");
  td.textContent = formatNumber(v, allDigits);
  td.dataset.value = v === null ? "null" : String(v);
  return td;
}

function valueOf(value, allDigits) {
  if (!Array.isArray(value)) {
    const span = document.createElement("span");
    span.textContent = formatNumber(value, allDigits);
    span.dataset.value = String(value);
    return span;
  }
  const rows = Array.isArray(value[0]) ? value : [value];
  const table = document.createElement("table");
  table.className = "matrix";
  for (const row of rows) {
    const tr = table.insertRow();
    for (const v of row) tr.appendChild(numberCell(v, allDigits));
  }
  return table;
}

const CHECKS = [
  ["product", "product ∂C_k/∂θ", "the factors multiplied, left to right"],
  ["backprop", "back-propagation", "Network.backprop on example k"],
  ["numeric", "finite difference", "(C_k(θ + h) − C_k(θ − h)) / 2h"],
  ["mean", "∂C/∂θ", "(1/N) Σ_k ∂C_k/∂θ over the training set"],
  ["batch_backprop", "back-propagation", "Network.backprop on the training set"],
  ["batch_numeric", "finite difference", "(C(θ + h) − C(θ − h)) / 2h"],
];

export function renderLedger(root, title, ledger, allDigits) {
  const vec = (v) => "(" + v.map((x) => formatNumber(x, allDigits)).join(", ") + ")";
  title.textContent = `∂C_k/∂${ledger.symbol} (${ledger.param}), example k = ${ledger.example}` +
    ` of ${ledger.n_examples}`;
  const intro = document.createElement("p");
  intro.className = "note";
  intro.textContent = `a(0) = x = ${vec(ledger.x)}, y = ${vec(ledger.y)}; ` +
    `C_k = ${ledger.cost_formula} (${ledger.cost})`;
  const table = document.createElement("table");
  table.id = "ledger-table";
  const head = table.createTHead().insertRow();
  for (const h of ["factor", "formula", "shape", "value"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  ledger.factors.forEach((f, i) => {
    const tr = body.insertRow();
    tr.className = "factor";
    tr.dataset.index = i;
    tr.insertCell().textContent = f.symbol;
    const formula = tr.insertCell();
    formula.className = "formula";
    formula.textContent = f.formula;
    tr.insertCell().textContent = f.shape.length ? `(${f.shape.join(", ")})` : "()";
    const cell = tr.insertCell();
    cell.className = "value";
    cell.appendChild(valueOf(f.value, allDigits));
  });
  for (const [key, label, formula] of CHECKS) {
    const tr = body.insertRow();
    tr.className = "check";
    tr.dataset.check = key;
    tr.insertCell().textContent = label;
    const f = tr.insertCell();
    f.className = "formula";
    f.colSpan = 2;
    f.textContent = formula;
    const cell = numberCell(ledger[key], allDigits);
    cell.className = "value";
    tr.appendChild(cell);
  }
  const layers = document.createElement("p");
  layers.className = "note";
  layers.textContent = "‖∂C_k/∂a(j)‖ from the output down: " + ledger.layers.map(
    (g) => `a(${g.layer}): ${g.dC_da_norm === null ? "–" : g.dC_da_norm.toExponential(2)}`,
  ).join(" · ");
  root.replaceChildren(intro, table, layers);
}

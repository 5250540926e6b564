// The vanishing-gradient meter: one bar per layer, the size of ∂C/∂W(l) on a log scale.

export function drawMeter(root, sizes) {
  const logs = sizes.map((v) => (v > 0 ? Math.log10(v) : -12));
  const top = Math.max(...logs, -12);
  root.replaceChildren(...sizes.map((v, l) => {
    const row = document.createElement("div");
    row.className = "bar";
    row.dataset.layer = l + 1;
    row.dataset.value = String(v);
    const name = document.createElement("span");
    name.textContent = `W(${l + 1})`;
    const track = document.createElement("div");
    const fill = document.createElement("div");
    fill.className = "fill";
    // eight decades below the largest layer's size fill nothing
    fill.style.width = `${Math.max(0, 100 * (1 - (top - logs[l]) / 8))}%`;
    track.appendChild(fill);
    const text = document.createElement("span");
    text.textContent = v === null ? "–" : v.toExponential(2);
    row.append(name, track, text);
    return row;
  }));
}

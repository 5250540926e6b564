// The network's output over the data: decision regions shaded by confidence, a heat map,
// or fitted lines and curves; the data drawn on top (test points hollow).

export const CLASS_COLOURS = ["#e08a1e", "#2a6fb0", "#3a9a4a", "#8e4fb5", "#c23b3b", "#8a6a3a",
                              "#d45fa0", "#5f5f5f", "#b5b52a", "#2ab5b5"];

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const RGB = CLASS_COLOURS.map(rgb);

function decode(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export class OutputView {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cells = document.createElement("canvas");
    this.data = null;
    this.chosen = 0; // the ledger's example, ringed
    this.redraws = 0; // frames drawn, read by the redraw-rate benchmark
  }

  setData(data) {
    this.data = data;
    const [x0, x1, y0, y1] = data.extent;
    const {width, height} = this.canvas;
    this.sx = (x) => (x - x0) / (x1 - x0) * width;
    this.sy = (y) => (y1 - y) / (y1 - y0) * height;
    this.ctx.clearRect(0, 0, width, height);
    this.drawPoints();
  }

  draw(frame) {
    if (!this.data) return;
    const ctx = this.ctx;
    const {width, height} = this.canvas;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    if (frame.grid) this.drawGrid(decode(frame.grid), frame.size);
    this.drawPoints();
    if (frame.line) this.drawLines(frame.line);
    this.drawChosen();
    this.redraws += 1;
  }

  drawGrid(bytes, size) {
    const cells = this.cells;
    cells.width = cells.height = size;
    const cctx = cells.getContext("2d");
    const image = cctx.createImageData(size, size);
    const px = image.data;
    const k = Math.max(2, (this.data.classes || []).length);
    for (let i = 0; i < size * size; i++) {
      let colour, t;
      if (this.data.kind === "regions") {
        colour = RGB[bytes[2 * i] % RGB.length];
        const conf = bytes[2 * i + 1] / 255;
        t = 0.8 * Math.max(0, (conf - 1 / k) / (1 - 1 / k));
      } else { // heat: orange below the middle of the targets' range, blue above
        const v = bytes[i] / 255;
        colour = v < 0.5 ? RGB[0] : RGB[1];
        t = 0.8 * Math.abs(v - 0.5) * 2;
      }
      px[4 * i] = 255 + (colour[0] - 255) * t;
      px[4 * i + 1] = 255 + (colour[1] - 255) * t;
      px[4 * i + 2] = 255 + (colour[2] - 255) * t;
      px[4 * i + 3] = 255;
    }
    cctx.putImageData(image, 0, 0);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(cells, 0, 0, this.canvas.width, this.canvas.height);
  }

  pointColour(i) {
    const d = this.data;
    if (d.labels) return CLASS_COLOURS[d.labels[i] % CLASS_COLOURS.length];
    if (d.kind === "heat") {
      const [lo, hi] = d.target_range;
      return (d.values?.[i] ?? lo) < (lo + hi) / 2 ? CLASS_COLOURS[0] : CLASS_COLOURS[1];
    }
    return "#444";
  }

  drawPoints() {
    const d = this.data;
    const ctx = this.ctx;
    ctx.lineWidth = 1;
    d.points.forEach((p, i) => {
      const x = this.sx(p[0]);
      const y = d.kind === "regions" || d.kind === "heat" || d.kind === "curve" || d.kind === "lines"
        ? this.sy(p[1]) : this.canvas.height / 2;
      ctx.beginPath();
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      const colour = this.pointColour(i);
      if (d.test[i]) {
        ctx.strokeStyle = colour;
        ctx.fillStyle = "#fff";
        ctx.fill();
        ctx.stroke();
      } else {
        ctx.fillStyle = colour;
        ctx.strokeStyle = "#fff";
        ctx.fill();
        ctx.stroke();
      }
    });
  }

  // The training point nearest to a click on the canvas: its example number k, or -1.
  exampleAt(event) {
    const d = this.data;
    if (!d) return -1;
    const box = this.canvas.getBoundingClientRect();
    const cx = (event.clientX - box.left) * this.canvas.width / box.width;
    const cy = (event.clientY - box.top) * this.canvas.height / box.height;
    let best = -1;
    let bestDistance = 12 * 12; // pixels, squared
    d.points.forEach((p, i) => {
      const dx = this.sx(p[0]) - cx;
      const dy = this.sy(p[1]) - cy;
      if (d.example[i] >= 0 && dx * dx + dy * dy < bestDistance) {
        best = d.example[i];
        bestDistance = dx * dx + dy * dy;
      }
    });
    return best;
  }

  drawChosen() {
    const d = this.data;
    const i = d.example.indexOf(this.chosen);
    if (i < 0) return;
    const ctx = this.ctx;
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(this.sx(d.points[i][0]), this.sy(d.points[i][1]), 7, 0, 2 * Math.PI);
    ctx.stroke();
  }

  drawLines(lines) {
    const ctx = this.ctx;
    ctx.lineWidth = 2;
    lines.forEach((line, j) => {
      ctx.strokeStyle = lines.length > 1 && this.data.kind === "lines"
        ? CLASS_COLOURS[j % CLASS_COLOURS.length] : "#c23b3b";
      ctx.beginPath();
      line.forEach(([x, y], i) => {
        if (i === 0) ctx.moveTo(this.sx(x), this.sy(y));
        else ctx.lineTo(this.sx(x), this.sy(y));
      });
      ctx.stroke();
    });
  }
}

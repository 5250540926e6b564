// The cost over two parameters as a grey map (white: low, as in the exercise) with
// contour lines (d3-contour, vendored), and the path training took through it.

function toColour(f) {
  const g = Math.round(255 * (1 - f));
  return [g, g, g];
}

export class LandscapeView {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cells = document.createElement("canvas");
    this.base = document.createElement("canvas"); // the map and its contours, drawn once
    this.base.width = canvas.width;
    this.base.height = canvas.height;
    this.land = null;
    this.path = [];
  }

  set(land) {
    this.land = land;
    this.path = land.path.slice();
    this.drawBase();
    this.draw();
  }

  clear() {
    this.land = null;
    this.path = [];
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  extend(points) {
    if (this.land) this.path.push(...points);
  }

  draw() {
    if (!this.land) return;
    this.ctx.drawImage(this.base, 0, 0);
    this.drawPath();
    this.drawLabels();
  }

  drawBase() {
    const land = this.land;
    const canvas = this.base;
    const ctx = canvas.getContext("2d");
    const n = land.n;
    // log of the cost spreads the low valleys where descent ends
    const lo = Math.log10(Math.max(land.min, 1e-12));
    const hi = Math.log10(Math.max(land.max, land.min * 1.0001, 1e-12));
    const values = new Float64Array(n * n);
    const image = new ImageData(n, n);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const c = land.C[j][i];
        const v = c === null ? hi : Math.log10(Math.max(c, 1e-12));
        // row j of C is θ_y = ys[j], bottom up; canvas rows run top down
        const k = (n - 1 - j) * n + i;
        values[k] = v;
        const [r, g, b] = toColour(hi > lo ? (v - lo) / (hi - lo) : 0);
        image.data.set([r, g, b, 255], 4 * k);
      }
    }
    this.cells.width = this.cells.height = n;
    this.cells.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.cells, 0, 0, canvas.width, canvas.height);
    this.drawContours(ctx, values, n, lo, hi);
  }

  drawContours(ctx, values, n, lo, hi) {
    if (!globalThis.d3 || !(hi > lo)) return;
    const scale = this.base.width / n; // d3 puts value (i, j) at (i + ½, j + ½)
    const thresholds = Array.from({length: 12}, (_, i) => lo + (i + 0.5) * (hi - lo) / 12);
    const shapes = globalThis.d3.contours().size([n, n]).smooth(true).thresholds(thresholds)(values);
    ctx.strokeStyle = "rgba(42, 111, 176, 0.55)";
    ctx.lineWidth = 1;
    for (const shape of shapes) {
      for (const polygon of shape.coordinates) {
        for (const ring of polygon) {
          ctx.beginPath();
          ring.forEach(([x, y], i) => {
            const px = x * scale;
            const py = y * scale;
            if (i === 0) ctx.moveTo(px, py);
            else ctx.lineTo(px, py);
          });
          ctx.stroke();
        }
      }
    }
  }

  toCanvas([x, y]) {
    const land = this.land;
    const {width, height} = this.canvas;
    return [(x - land.xs[0]) / (land.xs[1] - land.xs[0]) * width,
            (land.ys[1] - y) / (land.ys[1] - land.ys[0]) * height];
  }

  drawPath() {
    const ctx = this.ctx;
    if (this.path.length === 0) return;
    ctx.strokeStyle = "#e08a1e";
    ctx.lineWidth = 2;
    ctx.beginPath();
    this.path.forEach((p, i) => {
      const [x, y] = this.toCanvas(p);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    const [x, y] = this.toCanvas(this.path[this.path.length - 1]);
    ctx.fillStyle = "#c23b3b";
    ctx.beginPath();
    ctx.arc(x, y, 4, 0, 2 * Math.PI);
    ctx.fill();
  }

  drawLabels() {
    const {ctx, canvas, land} = this;
    ctx.fillStyle = "#000";
    ctx.font = "11px sans-serif";
    ctx.fillText(`${land.label_x} →`, canvas.width - 90, canvas.height - 6);
    ctx.save();
    ctx.translate(12, 90);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(`${land.label_y} →`, 0, 0);
    ctx.restore();
    ctx.fillText(`C from ${land.min.toPrecision(3)} to ${land.max.toPrecision(3)}`, 20, 14);
  }
}

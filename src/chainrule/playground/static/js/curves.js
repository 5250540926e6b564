// Training and test cost per epoch, on a log or linear scale; long runs are thinned to
// about one point per pixel column.

export class CostCurves {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.train = [];
    this.test = [];
    this.log = true;
  }

  reset() {
    this.train = [];
    this.test = [];
    this.draw();
  }

  // start: the epoch index of the first new entry (the server sends only what is new)
  add(start, train, test) {
    this.train.length = start;
    this.test.length = start;
    this.train.push(...train);
    this.test.push(...test);
  }

  y(v, lo, hi) {
    const h = this.canvas.height - 20;
    const f = this.log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
      : (v - lo) / (hi - lo);
    return 8 + (1 - (Number.isFinite(f) ? f : 0)) * (h - 8);
  }

  draw() {
    const {ctx, canvas} = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const all = this.train.concat(this.test).filter((v) => v !== null && v > 0 && isFinite(v));
    if (all.length === 0) return;
    let lo = Math.min(...all.slice(-20000));
    let hi = Math.max(...all.slice(-20000));
    if (!this.log) lo = 0;
    if (hi <= lo) hi = lo * 1.1 + 1e-12;
    ctx.font = "10px sans-serif";
    ctx.fillStyle = "#666";
    ctx.fillText(hi.toPrecision(3), 2, 10);
    ctx.fillText(lo.toPrecision(3), 2, canvas.height - 14);
    ctx.fillText(`epoch ${this.train.length}`, canvas.width - 70, canvas.height - 4);
    for (const [series, colour] of [[this.train, "#2a6fb0"], [this.test, "#e08a1e"]]) {
      const n = series.length;
      const step = Math.max(1, Math.floor(n / canvas.width));
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      for (let i = 0; i < n; i += step) {
        const v = series[i];
        if (v === null || !(v > 0)) continue;
        const x = n > 1 ? i / (n - 1) * (canvas.width - 4) + 2 : 2;
        if (started) ctx.lineTo(x, this.y(v, lo, hi));
        else ctx.moveTo(x, this.y(v, lo, hi));
        started = true;
      }
      ctx.stroke();
    }
  }
}

// The page's whole state as the URL's hash: data=circle&hidden=8,8&act=tanh,tanh&lr=0.03&…
// The server checks every field (protocol.py); this module only reads and writes the text.

export const DEFAULTS = {
  data: "circle", n: 500, noise: 0.05, test: 0.3, seed: 0, target: "",
  hidden: [8, 8], act: ["tanh", "tanh"], out: "softmax", cost: "cross_entropy",
  opt: "adam", lr: 0.03, batch: 10, l2: 0, epoch: 0, px: "", py: "", sel: "", ex: 0,
};

const LISTS = new Set(["hidden", "act"]);
const TEXT = new Set(["data", "target", "out", "cost", "opt", "px", "py", "sel"]);

function decode(key, text) {
  if (LISTS.has(key)) {
    const parts = text === "" ? [] : text.split(",");
    return key === "hidden" ? parts.map(Number) : parts;
  }
  return TEXT.has(key) ? text : Number(text);
}

// The known fields found in a hash (unknown ones are left out: old links keep working).
export function fromHash(hash) {
  const out = {};
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  for (const [key, text] of params) {
    if (key in DEFAULTS) out[key] = decode(key, text);
  }
  return out;
}

export function toHash(config) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const value = config[key];
    params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  // brackets and commas stay readable in a shared link
  return "#" + params.toString().replaceAll("%2C", ",").replaceAll("%5B", "[")
    .replaceAll("%5D", "]");
}

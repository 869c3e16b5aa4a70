// Preloaded into odradek with `node --import ./benchmarks/lib/request-timing.mjs`: subscribes to the
// broker's `odradek:request` diagnostics channel and, on SIGUSR2 or exit, writes per-API-key
// percentiles of the time requests waited behind earlier ones of their connection (wait), were
// handled until the response was encoded (handle) and took to reach the kernel (send), in ms, to the
// file named by ODRADEK_REQUEST_TIMING (JSON). SIGUSR2 also starts a new window.
import { subscribe } from "node:diagnostics_channel";
import { writeFileSync } from "node:fs";

const out = process.env.ODRADEK_REQUEST_TIMING;
let byKey = new Map();
subscribe("odradek:request", (t) => {
  let s = byKey.get(t.apiKey);
  if (!s) byKey.set(t.apiKey, (s = { wait: [], handle: [], send: [] }));
  s.wait.push(t.waitMs);
  s.handle.push(t.handleMs);
  s.send.push(t.sendMs);
});

function pct(xs) {
  const a = Float64Array.from(xs).sort();
  const at = (q) => (a.length ? a[Math.min(a.length - 1, Math.floor(q * a.length))] : 0);
  const sum = a.reduce((x, y) => x + y, 0);
  return { n: a.length, mean: a.length ? sum / a.length : 0, p50: at(0.5), p99: at(0.99), max: a.length ? a[a.length - 1] : 0 };
}

function dump() {
  if (!out) return;
  const res = {};
  for (const [k, s] of byKey) res[k] = { wait: pct(s.wait), handle: pct(s.handle), send: pct(s.send) };
  writeFileSync(out, JSON.stringify(res, null, 1));
}
process.on("SIGUSR2", () => {
  dump();
  byKey = new Map();
});
process.on("exit", dump);

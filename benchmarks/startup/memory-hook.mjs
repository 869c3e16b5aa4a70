// Loaded with `node --import` by startup.mjs --breakdown: prints where the idle process's memory is,
// shortly before startup.mjs reads VmRSS. Not part of the measured runs.
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";

const MB = (n) => `${(n / 1048576).toFixed(1)} MB`;
const delay = Math.max(0, Number(process.env["STARTUP_IDLE_MS"] ?? 5000) - 250);
setTimeout(() => {
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  const lines = [
    `rss ${MB(m.rss)} = V8 heap committed ${MB(h.total_heap_size)} (used ${MB(m.heapUsed)}) + external ${MB(m.external)} (array buffers ${MB(m.arrayBuffers)}) + code/native/libs (the rest)`,
    `V8: malloced ${MB(h.malloced_memory)} (peak ${MB(h.peak_malloced_memory)}), ${h.number_of_native_contexts} native context(s); heap spaces:`,
    ...getHeapSpaceStatistics().map((s) => `  ${s.space_name.padEnd(26)} size ${MB(s.space_size).padStart(9)}  used ${MB(s.space_used_size).padStart(9)}`),
  ];
  process.stderr.write(lines.join("\n") + "\n");
}, delay).unref();

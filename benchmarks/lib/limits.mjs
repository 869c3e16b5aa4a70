// The machine's limits, measured in the same run as the brokers:
//   loopback TCP   iperf3 (Debian package; installed with apt-get when missing and we run as root),
//                  else a Node loopback test (one socket, 1 MiB writes) - the report names which
//   disk           dd bs=1M ... conv=fdatasync (sequential write ending with one fdatasync) and
//                  dd bs=4k oflag=dsync (every write synced: the ceiling for a flush per batch)
// The files go to the directory the brokers' data goes to (same file system).
import { execFileSync } from "node:child_process";
import { createServer, connect } from "node:net";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run, freePort, sleep } from "./proc.mjs";

function have(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function ensureIperf3(log) {
  if (have("iperf3")) return true;
  if (process.getuid?.() !== 0 || !have("apt-get")) return false;
  log("installing iperf3 from Debian's packages (apt-get) for the loopback limit");
  try {
    execFileSync("apt-get", ["install", "-y", "-q", "iperf3"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } catch {
    try {
      execFileSync("apt-get", ["update", "-q"], { stdio: "ignore" });
      execFileSync("apt-get", ["install", "-y", "-q", "iperf3"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    } catch {
      return false;
    }
  }
  return have("iperf3");
}

/** Loopback TCP throughput in MB/s (10^6 bytes) over `seconds`, one stream. */
export async function loopback(seconds, useIperf) {
  if (useIperf) {
    const port = await freePort();
    const server = run("iperf3", ["-s", "-1", "-p", String(port)]);
    await sleep(300);
    const res = await run("iperf3", ["-c", "127.0.0.1", "-p", String(port), "-t", String(seconds), "-J"]);
    await server;
    if (res.code === 0) {
      const j = JSON.parse(res.stdout);
      return { tool: "iperf3", mbPerSec: j.end.sum_received.bits_per_second / 8 / 1e6 };
    }
  }
  return { tool: "node", mbPerSec: await nodeLoopback(seconds) };
}

function nodeLoopback(seconds) {
  return new Promise((resolve, reject) => {
    let received = 0;
    let t0 = 0;
    const srv = createServer((s) => {
      s.on("data", (d) => { received += d.length; });
    });
    srv.listen(0, "127.0.0.1", () => {
      const c = connect(srv.address().port, "127.0.0.1");
      const chunk = Buffer.alloc(1 << 20, 1);
      let stop = false;
      c.on("connect", () => {
        t0 = performance.now();
        const pump = () => {
          while (!stop && c.write(chunk));
          if (!stop) c.once("drain", pump);
        };
        pump();
        setTimeout(() => {
          stop = true;
          const mb = received / ((performance.now() - t0) / 1000) / 1e6;
          c.destroy();
          srv.close();
          resolve(mb);
        }, seconds * 1000);
      });
      c.on("error", reject);
    });
  });
}

/** Sequential write of `mib` MiB with one fdatasync at the end, in MB/s (dd's own figure recomputed). */
export async function sequentialWrite(dir, mib) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "dd-seq.bin");
  const res = await run("dd", ["if=/dev/zero", `of=${file}`, "bs=1M", `count=${mib}`, "conv=fdatasync"]);
  rmSync(file, { force: true });
  const m = /copied, ([\d.]+) s/.exec(res.stderr);
  if (res.code !== 0 || !m) return { mbPerSec: NaN, note: res.stderr.trim() };
  return { mbPerSec: (mib * 1048576) / Number(m[1]) / 1e6 };
}

/** `count` 4 KiB writes, each synced (oflag=dsync): writes per second and ms per synced write. */
export async function syncedWrites(dir, count) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "dd-dsync.bin");
  const res = await run("dd", ["if=/dev/zero", `of=${file}`, "bs=4k", `count=${count}`, "oflag=dsync"]);
  rmSync(file, { force: true });
  const m = /copied, ([\d.]+) s/.exec(res.stderr);
  if (res.code !== 0 || !m) return { perSec: NaN, msEach: NaN };
  const s = Number(m[1]);
  return { perSec: count / s, msEach: (s * 1000) / count };
}

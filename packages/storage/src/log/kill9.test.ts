import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { NodeFileSystem } from "../fs/node-file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import { readBatchHeader } from "../record/batch.js";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "../test-support/append-child.mjs");
const built = existsSync(join(here, "../../dist/index.js"));

describe("real process, kill -9", () => {
  it.skipIf(!built)("every batch acknowledged with flush.messages=1 survives SIGKILL byte for byte", async () => {
    const root = mkdtempSync(join(tmpdir(), "odradek-kill9-"));
    const dir = join(root, "t-0");
    try {
      const acked = new Map<number, string>();
      await new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, [child, dir], { stdio: ["ignore", "pipe", "inherit"] });
        let buf = "";
        p.stdout.on("data", (d: Buffer) => {
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const [o, h] = buf.slice(0, nl).split(" ");
            acked.set(Number(o), h!);
            buf = buf.slice(nl + 1);
          }
          if (acked.size >= 300 && !p.killed) p.kill("SIGKILL");
        });
        p.on("exit", () => resolve());
        p.on("error", reject);
      });
      expect(acked.size).toBeGreaterThanOrEqual(300);
      const log = await UnifiedLog.open({ fs: new NodeFileSystem(), dir, topic: "t", partition: 0, config: defaultLogConfig });
      const found = new Map<number, string>();
      let offset = 0;
      while (offset < log.logEndOffset) {
        const r = await log.read(offset, { maxBytes: 1 << 20 });
        const b = r.records[0]!;
        let pos = 0;
        while (pos < b.length) {
          const h = readBatchHeader(b, pos);
          found.set(h.baseOffset, createHash("sha256").update(b.subarray(pos, pos + h.batchLength + 12)).digest("hex"));
          offset = h.baseOffset + h.lastOffsetDelta + 1;
          pos += h.batchLength + 12;
        }
      }
      for (const [o, h] of acked) expect(found.get(o), `offset ${o}`).toBe(h);
      await log.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

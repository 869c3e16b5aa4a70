/**
 * Apache Kafka's own DumpLogSegments (kafka-tools 4.4, `scripts/kafka/tool.sh`) reads the segments
 * this engine writes: every batch with a valid CRC and the right offsets, every record's key and value,
 * and offset/time indexes that agree with the log. Skipped when Java or Maven is missing (the jars
 * come from Maven Central through scripts/kafka/fetch.sh).
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CompressionCodec, buildRecordBatchAsync } from "@odradek/codec";
import { NodeFileSystem, UnifiedLog, defaultLogConfig } from "../src/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const tool = join(root, "scripts", "kafka", "tool.sh");

function kafkaToolsAvailable(): boolean {
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
    execFileSync(join(root, "scripts", "kafka", "fetch.sh"), { stdio: "ignore", timeout: 600_000 });
    return true;
  } catch {
    return false;
  }
}

const available = kafkaToolsAvailable();

function dump(files: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, ["org.apache.kafka.tools.DumpLogSegments", "--files", files.join(","), "--deep-iteration", "--print-data-log"], { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`DumpLogSegments failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe.skipIf(!available)("Kafka's DumpLogSegments on odradek segments", () => {
  const dir = mkdtempSync(join(tmpdir(), "odradek-dump-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads every batch, record and index entry", async () => {
    const config = { ...defaultLogConfig, segmentBytes: 8 * 1024, indexIntervalBytes: 512 };
    const log = await UnifiedLog.open({ fs: new NodeFileSystem(), dir: join(dir, "dump-0"), topic: "dump", partition: 0, config });
    const codecs = [CompressionCodec.none, CompressionCodec.gzip, CompressionCodec.snappy, CompressionCodec.lz4, CompressionCodec.zstd];
    const t0 = Date.now() - 60_000;
    let offset = 0;
    for (let b = 0; b < 40; b++) {
      const records = Array.from({ length: 5 }, (_, i) => ({ key: `k${offset + i}`, value: `v${offset + i}-${randomBytes(150).toString("hex")}`, timestamp: t0 + offset + i }));
      const r = await log.append(await buildRecordBatchAsync({ records, compression: codecs[b % codecs.length]!, producerId: 42, producerEpoch: 0, baseSequence: offset }), { leaderEpoch: 3 });
      expect(r.baseOffset).toBe(offset);
      offset += 5;
    }
    await log.close();
    const files = readdirSync(join(dir, "dump-0")).filter((f) => /\.(log|index|timeindex)$/.test(f)).sort();
    const segments = files.filter((f) => f.endsWith(".log"));
    expect(segments.length).toBeGreaterThan(2);
    const out = await dump(files.map((f) => join(dir, "dump-0", f)));

    const batches = [...out.matchAll(/^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) .*producerId: (-?\d+) .*partitionLeaderEpoch: (\d+) .*compresscodec: (\w+) crc: \d+ isvalid: (\w+)/gm)];
    expect(batches.map((m) => Number(m[1]))).toEqual(Array.from({ length: 40 }, (_, i) => i * 5));
    expect(batches.every((m) => m[7] === "true" && m[3] === "5" && m[4] === "42" && m[5] === "3")).toBe(true);
    expect(new Set(batches.map((m) => m[6]))).toEqual(new Set(["none", "gzip", "snappy", "lz4", "zstd"]));
    const records = [...out.matchAll(/^\| offset: (\d+) CreateTime: (\d+) .*key: (\S+) payload: (\S+)/gm)];
    expect(records.map((m) => [Number(m[1]), Number(m[2]), m[3], m[4]!.split("-")[0]])).toEqual(
      Array.from({ length: 200 }, (_, i) => [i, t0 + i, `k${i}`, `v${i}`]),
    );
    // Index files: DumpLogSegments checks each entry against the log and reports mismatches.
    expect(out).not.toMatch(/[Mm]ismatch|corrupt|not found/);
    expect((out.match(/^Dumping .*\.index$/gm) ?? []).length).toBe(segments.length);
    expect(out).toMatch(/^offset: \d+ position: \d+$/m);
    expect(out).toMatch(/^timestamp: \d+ offset: \d+$/m);
  }, 180_000);
});

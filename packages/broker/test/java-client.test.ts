/**
 * The Java client (org.apache.kafka:kafka-clients 4.4.0) against an in-process broker: Admin
 * createTopics/describeCluster, a producer with default settings (idempotent, acks=all) for each
 * compression codec, and a group-less consumer (assign + seekToBeginning, Fetch v17 with topic ids,
 * sessionless). Runs test/java/JavaClient.java with `java` (single-file source launch). Skipped
 * when `java` or `mvn` is missing or the classpath cannot be resolved (needs Maven Central once).
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "@odradek/codec";
import { CloseConnection, HANDLERS, defineHandler, findHandler, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";

const javaDir = join(dirname(fileURLToPath(import.meta.url)), "java");

function resolveClasspath(): string | null {
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
  } catch {
    return null;
  }
  const out = join(mkdtempSync(join(tmpdir(), "odradek-cp-")), "cp.txt");
  for (const offline of [true, false]) {
    try {
      execFileSync("mvn", [...(offline ? ["-o"] : []), "-q", "-f", join(javaDir, "pom.xml"), "dependency:build-classpath", `-Dmdep.outputFile=${out}`], { stdio: "ignore", timeout: 300_000 });
      const cp = readFileSync(out, "utf8").trim();
      rmSync(dirname(out), { recursive: true, force: true });
      return cp;
    } catch {
      // offline failed: try online once
    }
  }
  rmSync(dirname(out), { recursive: true, force: true });
  return null;
}

const classpath = resolveClasspath();

function runJava(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("java", ["-cp", classpath!, join(javaDir, "JavaClient.java"), ...args], { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`java failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** JavaClient's output says n records were acknowledged and read back: every key once, offsets dense from 0 per partition. */
function expectExactlyOnce(out: string[], n: number): void {
  expect(out).toContain(`produced ${n}`);
  expect(out).toContain(`consumed ${n}`);
  const records = out.filter((l) => /^\d+:\d+:/.test(l)).map((l) => l.split(":"));
  expect(new Set(records.map((r) => r[2])).size).toBe(n);
  for (const p of ["0", "1"]) {
    const offsets = records.filter((r) => r[0] === p).map((r) => Number(r[1]));
    expect(offsets).toEqual(offsets.map((_, i) => i));
  }
  const end = out.find((l) => l.startsWith("end "))!.split(" ").slice(1).map(Number);
  expect(end[0]! + end[1]!).toBe(n);
}

let broker: RunningBroker;
let sessionsSeen = 0;

describe.skipIf(classpath === null)("Java client 4.4.0", () => {
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  for (const compression of ["none", "gzip", "snappy", "lz4", "zstd"]) {
    it(`idempotent producer (${compression}) and group-less consumer`, async () => {
      const n = 2000;
      const out = (await runJava([broker.bootstrap, `java-${compression}`, String(n), compression])).trim().split("\n");
      expect(out).toContain("cluster 1");
      expectExactlyOnce(out, n);
      if (compression === "none") sessionsSeen = broker.broker.fetchSessions.incrementalFetches;
    }, 180_000);
  }

  it("the consumer used an incremental fetch session", () => {
    expect(sessionsSeen).toBeGreaterThan(0);
  });
});

/**
 * Responses lost on the wire: every other Produce request (up to 4) takes effect and then its
 * connection is dropped before the answer. The idempotent producer retries those batches on a new
 * connection; the broker must recognise them as duplicates, so every record is stored exactly once.
 */
describe.skipIf(classpath === null)("Java client 4.4.0, dropped connections", () => {
  let faulty: RunningBroker;
  let dropped = 0;
  let produces = 0;
  beforeAll(async () => {
    const produce = findHandler(HANDLERS, ApiKey.Produce)!;
    const dropping = defineHandler({
      ...produce,
      apiKey: ApiKey.Produce,
      async handle(ctx, req) {
        const response = await produce.handle(ctx, req);
        if (++produces % 2 === 0 && dropped < 4 && req.acks !== 0) {
          dropped++;
          throw new CloseConnection("test: drop the response");
        }
        return response as never;
      },
    });
    faulty = await startBroker({ handlers: [...HANDLERS.filter((h) => h.apiKey !== ApiKey.Produce), dropping] });
  });
  afterAll(async () => {
    await faulty?.close();
  });

  it("retries after a dropped connection without duplicates or gaps", async () => {
    const n = 3000;
    const out = (await runJava([faulty.bootstrap, "java-dropped", String(n), "lz4"])).trim().split("\n");
    expect(dropped).toBeGreaterThan(0);
    expectExactlyOnce(out, n);
  }, 180_000);
});

/**
 * An acknowledged DeleteRecords stays done: DeleteRecords to offset 50 on 20 partitions of a real broker
 * process, kill -9 at a random point (before or after the answer), restart on the directory: every
 * partition whose deletion was acknowledged starts at 50, none went backwards, and no run logged a
 * checkpoint error. (Before the single-writer checkpoints, 18–19 of 20 came back at 0.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kafka, run, killLeftovers } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "odradek-dr-kill9-"));
afterAll(() => {
  killLeftovers();
  rmSync(root, { recursive: true, force: true });
});

const PARTITIONS = 20;
const ROUNDS = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Log start offset of each partition of `topic`, by ListOffsets (earliest). */
async function logStartOffsets(port: number, topic: string): Promise<number[]> {
  const admin = kafka(port).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.low));
  } finally {
    await admin.disconnect();
  }
}

describe("DeleteRecords, then kill -9 of the broker process", () => {
  it(`${ROUNDS} rounds with the kill at random points: acknowledged log start offsets survive, no checkpoint error`, async () => {
    const stderr: string[] = [];
    let acknowledgedRounds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(root, `round-${round}`);
      const a = run(["--port", "0", "--data-dir", dir]);
      const port = await a.port();
      const admin = kafka(port, 0).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "dr", numPartitions: PARTITIONS }] });
      const producer = kafka(port).producer();
      await producer.connect();
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: "dr", messages: Array.from({ length: PARTITIONS * 100 }, (_, i) => ({ partition: i % PARTITIONS, value: `v${i}` })) }],
      });
      await producer.disconnect();
      // Also loads the topic's leaders into the admin client's metadata.
      expect((await admin.fetchTopicOffsets("dr")).map((o) => o.high)).toEqual(Array(PARTITIONS).fill("100"));

      // Even rounds: the kill lands 0-20 ms after the answer; odd rounds: 0-30 ms after the request
      // is sent, before or after the answer.
      let acked = false;
      const deletion = admin
        .deleteTopicRecords({ topic: "dr", partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: "50" })) })
        .then(() => (acked = true))
        .catch(() => {});
      if (round % 2 === 0) await deletion;
      await sleep(Math.random() * (round % 2 === 0 ? 20 : 30));
      a.child.kill("SIGKILL");
      await a.exit;
      await deletion;
      await admin.disconnect().catch(() => {});
      stderr.push(a.err());
      if (acked) acknowledgedRounds++;

      const b = run(["--port", "0", "--data-dir", dir]);
      const starts = await logStartOffsets(await b.port(), "dr");
      b.child.kill("SIGTERM");
      expect(await b.exit).toBe(0);
      stderr.push(b.err());
      if (acked) expect(starts, `round ${round}`).toEqual(Array(PARTITIONS).fill(50));
      else for (const s of starts) expect([0, 50], `round ${round}`).toContain(s);
    }
    expect(acknowledgedRounds).toBeGreaterThanOrEqual(ROUNDS / 2);
    for (const err of stderr) {
      expect(err).not.toMatch(/checkpoint failed/);
      expect(err).not.toMatch(/"level":50/);
    }
  }, 120_000);
});

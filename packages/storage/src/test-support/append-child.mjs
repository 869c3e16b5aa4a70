// Child process of kill9.test.ts: appends batches with flush.messages=1 and prints each acknowledged
// batch as "<baseOffset> <sha256 of the stored bytes>" once append() has resolved (so after fsync).
import { createHash } from "node:crypto";
import { NodeFileSystem, UnifiedLog, defaultLogConfig, buildRecordBatch } from "../../dist/index.js";

const dir = process.argv[2];
const log = await UnifiedLog.open({
  fs: new NodeFileSystem(),
  dir,
  topic: "t",
  partition: 0,
  config: { ...defaultLogConfig, flushMessages: 1, segmentBytes: 64 * 1024 },
});
for (let i = 0; ; i++) {
  const records = [];
  for (let r = 0; r < 1 + (i % 7); r++) records.push({ key: `k${i}-${r}`, value: Buffer.alloc(100 + ((i * 37) % 900), i & 0xff) });
  const batch = buildRecordBatch(records);
  const res = await log.append(batch);
  process.stdout.write(`${res.baseOffset} ${createHash("sha256").update(batch).digest("hex")}\n`);
}

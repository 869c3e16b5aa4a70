/**
 * The storage port's contract on the file backend: `fileStorage` on a temp directory (NodeFileSystem).
 * A crash is simulated as a killed process: the storage is abandoned unclosed (its lock released as
 * the OS would), so what was written survives and what was not flushed is still in the page cache.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem, fileStorage } from "../../src/index.js";
import { storageContract, tearNewestSegment } from "./contract.js";

storageContract({
  name: "file (NodeFileSystem)",
  create() {
    const dir = mkdtempSync(join(tmpdir(), "odradek-conformance-"));
    const backend = fileStorage(dir);
    return {
      backend,
      async crash(storage, torn) {
        if (torn) await tearNewestSegment(new NodeFileSystem(), dir, torn);
        storage.lock?.release();
        return backend;
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

/**
 * The storage port's contract on the in-memory backend: `memoryStorage` on a MemoryFileSystem that
 * keeps durable copies, so a crash can be simulated as a power loss: only what was synced survives
 * (`afterCrash("strict")`).
 */
import { MEMORY_DATA_DIR, MemoryFileSystem, memoryStorage } from "../../src/index.js";
import { storageContract, tearNewestSegment } from "./contract.js";

storageContract({
  name: "memory (MemoryFileSystem)",
  create() {
    let fs = new MemoryFileSystem(7);
    let backend = memoryStorage({ fs });
    return {
      /** After a crash: the file system a restart finds. */
      get backend() {
        return backend;
      },
      async crash(_storage, torn) {
        if (torn) await tearNewestSegment(fs, MEMORY_DATA_DIR, torn);
        fs.crash();
        fs = fs.afterCrash("strict");
        backend = memoryStorage({ fs });
        return backend;
      },
      cleanup: () => {},
    };
  },
});

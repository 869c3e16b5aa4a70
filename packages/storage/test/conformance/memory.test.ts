/**
 * The storage port's contract on the in-memory backend: `memoryStorage` on a MemoryFileSystem that
 * keeps durable copies, so a crash is simulated as a power loss: only what was synced survives
 * (`afterCrash("strict")`). A torn append is the file system's own injected crash in the middle of the
 * segment write, after which every byte written survives (`afterCrash("lenient")`: the torn prefix too).
 */
import { MemoryFileSystem, memoryStorage } from "../../src/index.js";
import { storageContract } from "./contract.js";

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
        if (torn) {
          fs.injectFault({ kind: "crash", path: /\.log$/, keepBytes: torn.keepBytes });
          const appended = await torn.log.append(torn.batch).then(
            () => true,
            () => false,
          );
          if (appended || !fs.isCrashed) throw new Error("the injected crash did not interrupt the append");
        } else {
          fs.crash();
        }
        fs = fs.afterCrash(torn ? "lenient" : "strict");
        backend = memoryStorage({ fs });
        return backend;
      },
      cleanup: () => {},
    };
  },
});

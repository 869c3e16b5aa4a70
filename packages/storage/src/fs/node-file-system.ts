/** FileSystem over node:fs/promises (fd based). */
import { open, readFile, writeFile, rename, unlink, readdir, mkdir, rm, stat } from "node:fs/promises";
import type { FileHandle as NodeHandle } from "node:fs/promises";
import type { FileHandle, FileSystem, OpenMode } from "./file-system.js";

class NodeFileHandle implements FileHandle {
  constructor(private readonly h: NodeHandle) {}
  get fd(): number {
    return this.h.fd;
  }
  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.h.read(buf, offset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }
  async write(buf: Buffer, offset: number, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await this.h.write(buf, offset + done, length - done, position + done);
      done += bytesWritten;
    }
  }
  async writev(bufs: readonly Buffer[], position: number): Promise<void> {
    if (bufs.length === 1) return this.write(bufs[0]!, 0, bufs[0]!.length, position);
    const total = bufs.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await this.h.writev(bufs as Buffer[], position);
    if (bytesWritten < total) {
      // Short writev: finish the rest with plain writes.
      let skip = bytesWritten;
      let pos = position + bytesWritten;
      for (const b of bufs) {
        if (skip >= b.length) {
          skip -= b.length;
          continue;
        }
        await this.write(b, skip, b.length - skip, pos);
        pos += b.length - skip;
        skip = 0;
      }
    }
  }
  sync(): Promise<void> {
    return this.h.datasync();
  }
  truncate(length: number): Promise<void> {
    return this.h.truncate(length);
  }
  async size(): Promise<number> {
    return (await this.h.stat()).size;
  }
  close(): Promise<void> {
    return this.h.close();
  }
}

export class NodeFileSystem implements FileSystem {
  readonly kind = "node";
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    if (mode === "create") {
      try {
        return new NodeFileHandle(await open(path, "r+"));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        return new NodeFileHandle(await open(path, "w+"));
      }
    }
    return new NodeFileHandle(await open(path, mode === "r" ? "r" : "r+"));
  }
  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }
  writeFile(path: string, data: Buffer | string): Promise<void> {
    return writeFile(path, data);
  }
  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return unlink(path);
  }
  readdir(path: string): Promise<string[]> {
    return readdir(path);
  }
  async mkdir(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }
  rmrf(path: string): Promise<void> {
    return rm(path, { recursive: true, force: true });
  }
  async stat(path: string): Promise<{ size: number; isDirectory: boolean } | null> {
    try {
      const s = await stat(path);
      return { size: s.size, isDirectory: s.isDirectory() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }
  async syncDir(path: string): Promise<void> {
    const h = await open(path, "r");
    try {
      await h.sync();
    } catch (e) {
      // Some platforms refuse fsync on a directory; the rename is then as durable as it gets.
      if (!["EISDIR", "EINVAL", "EPERM"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
    } finally {
      await h.close();
    }
  }
}

import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CompressionError } from "../errors.js";
import { Codec, compress, compressSync, decompress, decompressSync, hasSyncCompression, isXerialFramed, xxh32 } from "./index.js";
import { XERIAL_MAGIC } from "./snappy.js";

/** Byte equality without vitest's per-element deep equality (slow on MiB buffers). */
function same(a: Uint8Array, b: Uint8Array): void {
  expect(a.length).toBe(b.length);
  expect(Buffer.compare(a, b)).toBe(0);
}

/** Fixed, moderately compressible input of `n` bytes. */
function sample(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = i % 7 === 0 ? x >>> 24 : 97 + (i % 13);
  }
  return b;
}

const codecs = [Codec.gzip, Codec.snappy, Codec.lz4, Codec.zstd] as const;
const sizes = [0, 1, 100, 70_000, 1_000_000];

describe("compression round trips", () => {
  for (const codec of codecs) {
    for (const n of sizes) {
      it(`codec ${codec}, ${n} bytes (async)`, async () => {
        const data = sample(n);
        const c = await compress(codec, data);
        same(await decompress(codec, c), data);
        same(decompressSync(codec, c), data);
      });
      if (hasSyncCompression(codec)) {
        it(`codec ${codec}, ${n} bytes (sync)`, () => {
          const data = sample(n);
          same(decompressSync(codec, compressSync(codec, data)), data);
        });
      }
    }
  }
  it("none is the identity", async () => {
    const d = sample(10);
    expect(compressSync(Codec.none, d)).toBe(d);
    expect(await decompress(Codec.none, d)).toBe(d);
  });
  it("zstd has no sync compression", () => {
    expect(() => compressSync(Codec.zstd, sample(10))).toThrow(CompressionError);
  });
  it("unknown codecs fail with CompressionError", async () => {
    expect(() => decompressSync(5, sample(10))).toThrow(CompressionError);
    await expect(compress(7, sample(10))).rejects.toBeInstanceOf(CompressionError);
  });
});

describe("bounded decompression", () => {
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  for (const codec of codecs) {
    it(`codec ${codec} refuses output above maxBytes`, async () => {
      const c = await compress(codec, zeros);
      expect(() => decompressSync(codec, c, { maxBytes: 1024 * 1024 })).toThrow(CompressionError);
      await expect(decompress(codec, c, { maxBytes: 1024 * 1024 })).rejects.toBeInstanceOf(CompressionError);
      expect((await decompress(codec, c, { maxBytes: zeros.length })).length).toBe(zeros.length);
    });
  }
  it("zstd refuses a frame whose declared content size is above the limit", () => {
    // Frame header: magic, FHD = FCS 4 bytes (flag 2) + single segment, FCS = 2^31; then a 1-byte RLE last block.
    const f = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x80, 0x03, 0, 0, 0]);
    expect(() => decompressSync(Codec.zstd, f)).toThrow(/declares/);
  });
  it("zstd without a content size (as streaming encoders write) is stopped as it grows", () => {
    // Window 128 KiB (descriptor 7 << 3), no content size; 100 RLE blocks of 128 KiB of 0x61.
    const blocks: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const h = (131072 << 3) | (1 << 1) | (i === 99 ? 1 : 0);
      blocks.push(Buffer.from([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, 0x61]));
    }
    const bomb = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3]), ...blocks]);
    expect(() => decompressSync(Codec.zstd, bomb, { maxBytes: 1 << 20 })).toThrow(/limit/);
    const out = decompressSync(Codec.zstd, bomb, { maxBytes: 100 * 131072 });
    expect(out.length).toBe(100 * 131072);
    expect(out.every((b) => b === 0x61)).toBe(true);
  });
  it("zstd refuses a window far above the limit", () => {
    const f = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x01, 0x00, 0x00]); // 1 GiB window, empty raw last block
    expect(() => decompressSync(Codec.zstd, f)).toThrow(/window/);
  });
  it("snappy refuses a block whose declared length is above the limit", () => {
    const raw = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]); // declares 2^32-1 bytes
    expect(() => decompressSync(Codec.snappy, raw)).toThrow(/limit/);
  });
});

describe("snappy framings", () => {
  const text = Buffer.from("Kafka Kafka Kafka Kafka Kafka Kafka Kafka odradek odradek odradek");
  // Hand-made raw snappy: varint length 12, literal tag ((12-1) << 2), 12 bytes.
  const hello = Buffer.from("hello, kafka");
  const rawBlock = Buffer.concat([Buffer.from([12, 11 << 2]), hello]);

  it("decodes a hand-made raw snappy block (as librdkafka may send)", () => {
    expect(decompressSync(Codec.snappy, rawBlock)).toEqual(hello);
  });
  it("decodes a hand-made raw block with a copy element", () => {
    // "abcd" literal then copy-1 (len 4..11, offset 4): tag = ((len-4) << 2) | 1 | (offset >> 8 << 5), offset low byte.
    const raw = Buffer.from([12, 3 << 2, 0x61, 0x62, 0x63, 0x64, ((8 - 4) << 2) | 1, 4]);
    expect(decompressSync(Codec.snappy, raw).toString()).toBe("abcdabcdabcd");
  });
  it("decodes a hand-made xerial-framed payload with two blocks (as the Java client sends)", () => {
    const second = Buffer.concat([Buffer.from([3, 2 << 2]), Buffer.from("!!!")]);
    const header = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
    const len = (n: number) => Buffer.from([0, 0, 0, n]);
    const framed = Buffer.concat([header, len(rawBlock.length), rawBlock, len(second.length), second]);
    expect(isXerialFramed(framed)).toBe(true);
    expect(decompressSync(Codec.snappy, framed).toString()).toBe("hello, kafka!!!");
  });
  it("compresses with xerial framing", () => {
    const c = compressSync(Codec.snappy, text);
    expect(c.subarray(0, 8)).toEqual(XERIAL_MAGIC);
    expect(c.readInt32BE(8)).toBe(1);
    expect(c.readInt32BE(12)).toBe(1);
  });
  it("rejects a truncated xerial block", () => {
    const c = compressSync(Codec.snappy, text);
    expect(() => decompressSync(Codec.snappy, c.subarray(0, c.length - 3))).toThrow(CompressionError);
  });
});

describe("lz4 frames", () => {
  it("xxh32 known vectors", () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from("a"))).toBe(0x550d7456);
    expect(xxh32(Buffer.from("abc"))).toBe(0x32d153ff);
    expect(xxh32(Buffer.from("Nobody inspects the spammish repetition"))).toBe(0xe2293b2f);
  });
  it("writes the frame magic and a valid header checksum", () => {
    const c = compressSync(Codec.lz4, Buffer.from("hello hello hello hello"));
    expect(c.readUInt32LE(0)).toBe(0x184d2204);
    expect(c[6]).toBe((xxh32(c, 4, 6) >>> 8) & 0xff);
  });
  it("decodes frames with block and content checksums", () => {
    const lz4 = createRequire(import.meta.url)("lz4-napi") as {
      compressFrameSync(d: Buffer, o: { blockChecksums: boolean; contentChecksum: boolean }): Buffer;
    };
    const data = sample(200_000);
    const c = lz4.compressFrameSync(data, { blockChecksums: true, contentChecksum: true });
    expect(c[4]! & 0x14).toBe(0x14);
    same(decompressSync(Codec.lz4, c), data);
    const bad = Buffer.from(c);
    bad[20] = bad[20]! ^ 1;
    expect(() => decompressSync(Codec.lz4, bad)).toThrow(CompressionError);
  });
  it("rejects a wrong header checksum", () => {
    const c = Buffer.from(compressSync(Codec.lz4, Buffer.from("hello hello hello hello")));
    c[6] = c[6]! ^ 0xff;
    expect(() => decompressSync(Codec.lz4, c)).toThrow(/header checksum/);
  });
  it("decodes a hand-made frame with a stored block, content size and content checksum", () => {
    const content = Buffer.from("stored block");
    const desc = Buffer.from([0x4c, 0x40, content.length, 0, 0, 0, 0, 0, 0, 0]); // FLG: v01, indep, size, checksum
    const hc = (xxh32(desc) >>> 8) & 0xff;
    const blk = Buffer.alloc(4);
    blk.writeUInt32LE((0x80000000 | content.length) >>> 0);
    const cc = Buffer.alloc(4);
    cc.writeUInt32LE(xxh32(content));
    const frame = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([hc]), blk, content, Buffer.alloc(4), cc]);
    expect(decompressSync(Codec.lz4, frame)).toEqual(content);
    const bad = Buffer.from(frame);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    expect(() => decompressSync(Codec.lz4, bad)).toThrow(/content checksum/);
  });
  it("rejects garbage and truncation without RangeError", () => {
    const c = compressSync(Codec.lz4, sample(100_000));
    for (const cut of [1, 4, 7, 20, c.length - 5]) {
      expect(() => decompressSync(Codec.lz4, c.subarray(0, cut))).toThrow(CompressionError);
    }
    const garbled = Buffer.from(c);
    for (let i = 11; i < garbled.length; i += 97) garbled[i] = 0xff;
    expect(() => decompressSync(Codec.lz4, garbled)).toThrow(CompressionError);
  });
});

describe("gzip", () => {
  it("decodes concatenated members like any gzip reader", () => {
    const two = Buffer.concat([gzipSync("ab"), gzipSync("cd")]);
    expect(decompressSync(Codec.gzip, two).toString()).toBe("abcd");
  });
  it("corrupt data is a CompressionError", async () => {
    await expect(decompress(Codec.gzip, Buffer.from("not gzip at all"))).rejects.toBeInstanceOf(CompressionError);
  });
});

/** LogSegments: a log's segments ordered by base offset; the last one is the active segment. */
import type { LogSegment } from "./log-segment.js";

export class LogSegments {
  private segs: LogSegment[] = [];

  get size(): number {
    return this.segs.length;
  }
  values(): readonly LogSegment[] {
    return this.segs;
  }
  get active(): LogSegment {
    const s = this.segs[this.segs.length - 1];
    if (!s) throw new Error("log has no segments");
    return s;
  }
  get first(): LogSegment | undefined {
    return this.segs[0];
  }
  add(seg: LogSegment): void {
    const i = this.segs.findIndex((s) => s.baseOffset >= seg.baseOffset);
    if (i < 0) this.segs.push(seg);
    else if (this.segs[i]!.baseOffset === seg.baseOffset) this.segs[i] = seg;
    else this.segs.splice(i, 0, seg);
  }
  remove(seg: LogSegment): void {
    const i = this.segs.indexOf(seg);
    if (i >= 0) this.segs.splice(i, 1);
  }
  /** The segment with the largest base offset <= offset. */
  floor(offset: number): LogSegment | undefined {
    let lo = 0;
    let hi = this.segs.length - 1;
    let ans: LogSegment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.segs[mid]!;
      if (s.baseOffset <= offset) {
        ans = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
  /** The segment after `seg`. */
  next(seg: LogSegment): LogSegment | undefined {
    return this.segs[this.segs.indexOf(seg) + 1];
  }
  /** Segments from the one holding `from` (inclusive). */
  from(offset: number): LogSegment[] {
    const f = this.floor(offset);
    return f ? this.segs.slice(this.segs.indexOf(f)) : this.segs.slice();
  }
  get sizeInBytes(): number {
    return this.segs.reduce((n, s) => n + s.size, 0);
  }
}

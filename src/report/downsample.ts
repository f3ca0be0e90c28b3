/**
 * Downsampling for charts of any length in flat memory: points fall into at most `buckets`
 * equal-width time buckets; each keeps its first, lowest, highest and last point (M4), which draws
 * the same line as every point would at one bucket per pixel. The width is not known up front (the
 * run is streamed): it starts at 1 ms and doubles, merging neighbouring buckets, whenever a point
 * falls past the last bucket.
 */
export interface Series {
  readonly t: number[];
  readonly v: number[];
}

export class M4 {
  private readonly n: number;
  private origin = NaN;
  private width = 1;
  private readonly has: Uint8Array;
  private readonly f: Float64Array; // per bucket: firstT, firstV, minT, minV, maxT, maxV, lastT, lastV
  count = 0;

  constructor(buckets = 800) {
    this.n = buckets;
    this.has = new Uint8Array(buckets);
    this.f = new Float64Array(buckets * 8);
  }

  add(t: number, v: number): void {
    if (!Number.isFinite(v)) return;
    this.count++;
    if (Number.isNaN(this.origin)) this.origin = t;
    let i = Math.floor((t - this.origin) / this.width);
    while (i >= this.n) {
      this.halve();
      i = Math.floor((t - this.origin) / this.width);
    }
    if (i < 0) return; // earlier than the first point: the inputs are in time order, so never
    const o = i * 8;
    const f = this.f;
    if (!this.has[i]) {
      this.has[i] = 1;
      f[o] = f[o + 2] = f[o + 4] = f[o + 6] = t;
      f[o + 1] = f[o + 3] = f[o + 5] = f[o + 7] = v;
      return;
    }
    if (v < f[o + 3]!) {
      f[o + 2] = t;
      f[o + 3] = v;
    }
    if (v > f[o + 5]!) {
      f[o + 4] = t;
      f[o + 5] = v;
    }
    f[o + 6] = t;
    f[o + 7] = v;
  }

  /** Doubles the width: bucket j takes buckets 2j and 2j + 1. */
  private halve(): void {
    const f = this.f;
    for (let j = 0; j < this.n; j++) {
      const a = 2 * j;
      const b = a + 1;
      const ha = a < this.n && this.has[a] === 1;
      const hb = b < this.n && this.has[b] === 1;
      const o = j * 8;
      if (!ha && !hb) {
        this.has[j] = 0;
        continue;
      }
      const src = ha ? a * 8 : b * 8;
      const first = [f[src]!, f[src + 1]!];
      let min = [f[src + 2]!, f[src + 3]!];
      let max = [f[src + 4]!, f[src + 5]!];
      let last = [f[src + 6]!, f[src + 7]!];
      if (ha && hb) {
        const q = b * 8;
        if (f[q + 3]! < min[1]!) min = [f[q + 2]!, f[q + 3]!];
        if (f[q + 5]! > max[1]!) max = [f[q + 4]!, f[q + 5]!];
        last = [f[q + 6]!, f[q + 7]!];
      }
      f[o] = first[0]!;
      f[o + 1] = first[1]!;
      f[o + 2] = min[0]!;
      f[o + 3] = min[1]!;
      f[o + 4] = max[0]!;
      f[o + 5] = max[1]!;
      f[o + 6] = last[0]!;
      f[o + 7] = last[1]!;
      this.has[j] = 1;
    }
    this.width *= 2;
  }

  /** The kept points in time order, each time once. */
  series(): Series {
    const t: number[] = [];
    const v: number[] = [];
    const f = this.f;
    for (let i = 0; i < this.n; i++) {
      if (!this.has[i]) continue;
      const o = i * 8;
      const pts: Array<[number, number]> = [
        [f[o]!, f[o + 1]!],
        [f[o + 2]!, f[o + 3]!],
        [f[o + 4]!, f[o + 5]!],
        [f[o + 6]!, f[o + 7]!],
      ];
      pts.sort((a, b) => a[0] - b[0]);
      for (const [pt, pv] of pts) {
        if (t.length > 0 && t[t.length - 1] === pt) continue;
        t.push(pt);
        v.push(pv);
      }
    }
    return { t, v };
  }
}

/**
 * The price charts' fill marks, read from the event log's `order` and `fill` lines (both kept by
 * `--events trading`): each fill at its bar's time and its price, by the type of its order (an
 * operator's flatten is its own kind) and its side. Memory stays flat: only working orders are
 * remembered (forgotten once filled or cancelled), and past MAX_MARKS fills a symbol's marks are
 * thinned evenly (every 2nd, then every 4th, … fill kept), so the page says how many it draws.
 */
import { toUnits } from '../stats/decimal.ts';

/** The kinds of mark, in legend order: an order type, an operator's flatten, or an order the log never placed (a bug). */
export const MARK_KINDS = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'flatten', 'unknown'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/** One series of marks: the fills of one kind and side. */
export interface MarkSeries {
  readonly kind: MarkKind;
  readonly side: 'buy' | 'sell';
  readonly t: number[];
  readonly v: number[];
}

/** A symbol's marks: `total` fills, of which the series hold `drawn` (all of them up to the cap). */
export interface SymbolMarks {
  readonly series: MarkSeries[];
  readonly total: number;
  readonly drawn: number;
}

const KIND_INDEX = new Map<string, number>(MARK_KINDS.map((k, i) => [k, i]));

/** Evenly thinned marks of one symbol: fill n is kept while n is a multiple of the stride. */
class MarkSampler {
  private t: number[] = [];
  private v: number[] = [];
  /** kind index × 2 + (1 for a sell). */
  private code: number[] = [];
  private n: number[] = [];
  private stride = 1;
  private readonly cap: number;
  total = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  add(time: number, price: number, code: number): void {
    const n = this.total++;
    if (n % this.stride !== 0) return;
    this.t.push(time);
    this.v.push(price);
    this.code.push(code);
    this.n.push(n);
    if (this.t.length <= this.cap) return;
    this.stride *= 2;
    let w = 0;
    for (let r = 0; r < this.n.length; r++) {
      if (this.n[r]! % this.stride !== 0) continue;
      this.t[w] = this.t[r]!;
      this.v[w] = this.v[r]!;
      this.code[w] = this.code[r]!;
      this.n[w] = this.n[r]!;
      w++;
    }
    this.t.length = this.v.length = this.code.length = this.n.length = w;
  }

  marks(): SymbolMarks {
    const byCode = new Map<number, MarkSeries>();
    for (let i = 0; i < this.t.length; i++) {
      const c = this.code[i]!;
      let s = byCode.get(c);
      if (!s) {
        s = { kind: MARK_KINDS[c >> 1]!, side: (c & 1) === 1 ? 'sell' : 'buy', t: [], v: [] };
        byCode.set(c, s);
      }
      s.t.push(this.t[i]!);
      s.v.push(this.v[i]!);
    }
    const series = [...byCode.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    return { series, total: this.total, drawn: this.t.length };
  }
}

interface Working {
  readonly kind: number;
  /** 1e-8 asset units not yet filled. */
  remaining: bigint;
}

export class FillMarks {
  private readonly working = new Map<string, Working>();
  private readonly bySymbol = new Map<string, MarkSampler>();
  private readonly cap: number;

  constructor(cap: number) {
    this.cap = cap;
  }

  /** An `order` line, parsed, with its quantity as the log wrote it (exact). */
  order(e: { orderId: string; orderType: string; sentBy?: string }, qtyText: string): void {
    const kind = e.sentBy === 'operator' ? KIND_INDEX.get('flatten')! : (KIND_INDEX.get(e.orderType) ?? KIND_INDEX.get('unknown')!);
    this.working.set(e.orderId, { kind, remaining: toUnits(qtyText) });
  }

  cancel(orderId: string): void {
    this.working.delete(orderId);
  }

  fill(e: { orderId: string; symbol: string; openTime: number; side: string; price: number }, qtyText: string): void {
    const w = this.working.get(e.orderId);
    if (w) {
      w.remaining -= toUnits(qtyText);
      if (w.remaining <= 0n) this.working.delete(e.orderId);
    }
    let s = this.bySymbol.get(e.symbol);
    if (!s) {
      s = new MarkSampler(this.cap);
      this.bySymbol.set(e.symbol, s);
    }
    const kind = w?.kind ?? KIND_INDEX.get('unknown')!;
    s.add(e.openTime, e.price, kind * 2 + (e.side === 'sell' ? 1 : 0));
  }

  marks(): Record<string, SymbolMarks> {
    const out: Record<string, SymbolMarks> = {};
    for (const [symbol, s] of this.bySymbol) out[symbol] = s.marks();
    return out;
  }
}

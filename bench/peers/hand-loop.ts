/**
 * Peer: the hand-written loop, the floor for "a loop that does the same job": parses the bench's
 * header CSVs from bytes (timestamp,open,high,low,close,volume; ISO UTC minutes), merges the
 * symbols in time order, runs SMA 10/30 crossings on closes and fills market orders at the close
 * moved by 1 bp of slippage, 1 bp fee, 20 % of equity per entry. Nothing else: no validation, no
 * event log, no risk checks. Prints {bars, fills, equity} as one JSON line.
 *
 * Usage: node bench/peers/hand-loop.ts FILE...
 */
import { closeSync, openSync, readSync } from 'node:fs';

const FAST = 10;
const SLOW = 30;
const CHUNK = 1 << 20;

class Cursor {
  readonly fd: number;
  buf = Buffer.allocUnsafe(CHUNK);
  len = 0;
  pos = 0;
  eof = false;
  time = 0;
  close = 0;
  open = 0;
  high = 0;
  low = 0;
  volume = 0;
  // Strategy state per symbol: a ring of closes and two running sums.
  readonly ring = new Float64Array(SLOW);
  n = 0;
  sumFast = 0;
  sumSlow = 0;
  prevDiff = 0;
  lots = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.fill();
    while (this.buf[this.pos] !== 10) this.pos++; // header
    this.pos++;
  }
  fill(): void {
    const rest = this.len - this.pos;
    this.buf.copy(this.buf, 0, this.pos, this.len);
    const got = readSync(this.fd, this.buf, rest, CHUNK - rest, null);
    this.len = rest + got;
    this.pos = 0;
    if (got === 0) this.eof = true;
  }
  /** Parses the next row into the fields; false at the end of the file. */
  next(): boolean {
    if (this.len - this.pos < 256 && !this.eof) this.fill();
    if (this.pos >= this.len) return false;
    const b = this.buf;
    let i = this.pos;
    const d = (k: number): number => b[i + k]! - 48;
    const day = Date.UTC(d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3), d(5) * 10 + d(6) - 1, d(8) * 10 + d(9));
    this.time = day + ((d(11) * 10 + d(12)) * 60 + d(14) * 10 + d(15)) * 60_000 + (d(17) * 10 + d(18)) * 1000;
    i += 21;
    const num = (): number => {
      // decimal → integer ticks of 1e-8
      let v = 0;
      let frac = -1;
      for (let c = b[i++]!; c !== 44 && c !== 10; c = b[i++]!) {
        if (c === 46) frac = 0;
        else {
          v = v * 10 + (c - 48);
          if (frac >= 0) frac++;
        }
      }
      return frac <= 0 ? v * 1e8 : v * 10 ** (8 - frac);
    };
    this.open = num();
    this.high = num();
    this.low = num();
    this.close = num();
    this.volume = num();
    this.pos = i;
    return true;
  }
}

const cursors = process.argv.slice(2).map((p) => new Cursor(p));
let cash = 100_000;
let bars = 0;
let fills = 0;
const live = cursors.filter((c) => c.next());
while (live.length > 0) {
  let k = 0;
  for (let j = 1; j < live.length; j++) if (live[j]!.time < live[k]!.time) k = j;
  const c = live[k]!;
  bars++;
  const close = c.close;
  const slot = c.n % SLOW;
  c.sumSlow += close - (c.n >= SLOW ? c.ring[slot]! : 0);
  c.sumFast += close - (c.n >= FAST ? c.ring[(c.n - FAST) % SLOW]! : 0);
  c.ring[slot] = close;
  c.n++;
  if (c.n > SLOW) {
    const diff = c.sumFast * SLOW - c.sumSlow * FAST;
    const price = close / 1e8;
    if (c.prevDiff <= 0 && diff > 0 && c.lots === 0) {
      let equity = cash;
      for (const o of cursors) equity += (o.lots * o.close) / 1e8;
      const fillAt = price * 1.0001;
      c.lots = Math.floor(((equity * 0.2) / fillAt) * 1e5) / 1e5;
      cash -= c.lots * fillAt * 1.0001;
      fills++;
    } else if (c.prevDiff >= 0 && diff < 0 && c.lots > 0) {
      cash += c.lots * price * 0.9999 * 0.9999;
      c.lots = 0;
      fills++;
    }
    c.prevDiff = diff;
  }
  if (!c.next()) live.splice(k, 1);
}
let equity = cash;
for (const c of cursors) {
  equity += (c.lots * c.close) / 1e8;
  closeSync(c.fd);
}
process.stdout.write(JSON.stringify({ bars, fills, equity: Math.round(equity * 100) / 100 }) + '\n');

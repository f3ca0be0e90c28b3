/**
 * Peer: the indicatorts library (npm `indicatorts` 2.2.2), as its users run a backtest: each file
 * read whole, closes parsed as floats, `sma` over them with periods 10 and 30, then a pass over the
 * bars in time order that buys on a cross up and sells on a cross down (20 % of equity, market
 * fills at the close moved by 1 bp, 1 bp fee). Prints {bars, fills, equity} as one JSON line.
 *
 * Usage: node bench/peers/indicatorts-sma.ts FILE...
 */
import { readFileSync } from 'node:fs';
import { sma } from 'indicatorts';

interface Series {
  readonly times: number[];
  readonly closes: number[];
  readonly fast: number[];
  readonly slow: number[];
  lots: number;
}

function load(path: string): Series {
  const lines = readFileSync(path, 'utf8').split('\n');
  const times: number[] = [];
  const closes: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    const f = line.split(',');
    times.push(Date.parse(f[0]!));
    closes.push(parseFloat(f[4]!));
  }
  return { times, closes, fast: sma(closes, { period: 10 }), slow: sma(closes, { period: 30 }), lots: 0 };
}

const series = process.argv.slice(2).map(load);
let cash = 100_000;
let bars = 0;
let fills = 0;
const at = series.map(() => 0);
for (;;) {
  let k = -1;
  for (let j = 0; j < series.length; j++) {
    if (at[j]! < series[j]!.times.length && (k < 0 || series[j]!.times[at[j]!]! < series[k]!.times[at[k]!]!)) k = j;
  }
  if (k < 0) break;
  const s = series[k]!;
  const i = at[k]!++;
  bars++;
  if (i < 30) continue;
  const now = s.fast[i]! - s.slow[i]!;
  const prev = s.fast[i - 1]! - s.slow[i - 1]!;
  const price = s.closes[i]!;
  if (prev <= 0 && now > 0 && s.lots === 0) {
    let equity = cash;
    for (let j = 0; j < series.length; j++) equity += series[j]!.lots * series[j]!.closes[Math.max(0, at[j]! - 1)]!;
    const fillAt = price * 1.0001;
    s.lots = Math.floor(((equity * 0.2) / fillAt) * 1e5) / 1e5;
    cash -= s.lots * fillAt * 1.0001;
    fills++;
  } else if (prev >= 0 && now < 0 && s.lots > 0) {
    cash += s.lots * price * 0.9999 * 0.9999;
    s.lots = 0;
    fills++;
  }
}
let equity = cash;
for (const s of series) equity += s.lots * s.closes[s.closes.length - 1]!;
process.stdout.write(JSON.stringify({ bars, fills, equity: Math.round(equity * 100) / 100 }) + '\n');

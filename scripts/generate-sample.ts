/**
 * Writes data/sample/SPY.csv and QQQ.csv: SYNTHETIC 1-minute bars for several US trading sessions,
 * from a seeded generator (same seed, same bytes). Third-party data may not be committed, so the
 * bundled data is made here. Usage: npm run sample:generate [-- --days 5 --seed 20260309 --out DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** mulberry32: a small, well-known seeded PRNG; enough for synthetic prices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal from two uniforms (Box-Muller). */
function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

interface Spec {
  symbol: string;
  start: number;
  vol: number;
  beta: number;
  volume: number;
}

const SPECS: Spec[] = [
  { symbol: 'SPY', start: 512.4, vol: 0.0006, beta: 1, volume: 90_000 },
  { symbol: 'QQQ', start: 438.1, vol: 0.0008, beta: 1.2, volume: 60_000 },
];

/** Session days: weekdays from 2026-03-09 (a Monday), 13:30–19:59 UTC (09:30–15:59 New York, EDT). */
function sessionDays(count: number): number[] {
  const days: number[] = [];
  let d = Date.UTC(2026, 2, 9);
  while (days.length < count) {
    const wd = new Date(d).getUTCDay();
    if (wd !== 0 && wd !== 6) days.push(d);
    d += 86_400_000;
  }
  return days;
}

export function generate(days: number, seed: number): Map<string, string> {
  const rand = mulberry32(seed);
  const prices = SPECS.map((s) => s.start);
  const out = new Map<string, string[]>(SPECS.map((s) => [s.symbol, ['timestamp,open,high,low,close,volume']]));
  for (const day of sessionDays(days)) {
    for (let m = 0; m < 390; m++) {
      const t = day + (13 * 60 + 30 + m) * 60_000;
      const market = normal(rand);
      // A slow intraday drift that changes sign, so moving averages cross a few times a day.
      const drift = 0.00012 * Math.sin((m / 390) * Math.PI * 3 + day / 86_400_000);
      SPECS.forEach((spec, i) => {
        const open = prices[i]!;
        const ret = spec.beta * (market * spec.vol + drift) + normal(rand) * spec.vol * 0.5;
        const close = Math.max(1, open * Math.exp(ret));
        const high = Math.max(open, close) * (1 + Math.abs(normal(rand)) * spec.vol * 0.4);
        const low = Math.min(open, close) * (1 - Math.abs(normal(rand)) * spec.vol * 0.4);
        const u = m === 0 || m === 389 ? 4 : 1;
        const volume = Math.round(spec.volume * u * (0.5 + rand()));
        const c2 = (x: number): string => x.toFixed(2);
        // Round first, then keep high/low outside open/close after rounding.
        const o = c2(open),
          c = c2(close);
        const h = c2(Math.max(Number(c2(high)), Number(o), Number(c)));
        const l = c2(Math.min(Number(c2(low)), Number(o), Number(c)));
        out.get(spec.symbol)!.push(`${new Date(t).toISOString().replace('.000Z', 'Z')},${o},${h},${l},${c},${volume}`);
        prices[i] = Number(c);
      });
    }
  }
  return new Map([...out].map(([k, v]) => [k, v.join('\n') + '\n']));
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { days: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
  const days = Number(values.days ?? 5);
  const seed = Number(values.seed ?? 20260309);
  const dir = values.out ?? join('data', 'sample');
  mkdirSync(dir, { recursive: true });
  for (const [symbol, text] of generate(days, seed)) {
    writeFileSync(join(dir, `${symbol}.csv`), text);
    process.stdout.write(`wrote ${join(dir, `${symbol}.csv`)} (${text.split('\n').length - 2} bars, synthetic)\n`);
  }
}

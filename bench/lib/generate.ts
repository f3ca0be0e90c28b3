/**
 * Streams a large SYNTHETIC set of 1-minute bars to disk: one header CSV per symbol
 * (timestamp,open,high,low,close,volume — the layout of data/sample), 24/7 minutes like a crypto
 * pair, prices on each pair's tick grid and volumes on its lot grid. Seeded: the same options give
 * the same bytes. Rows are written a few thousand at a time, so memory does not grow with the set
 * (the sample generator in scripts/ holds every row, which is fine for 2 × 1,950 bars, not 5M).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../scripts/generate-sample.ts';

export interface PairSpec {
  readonly symbol: string;
  readonly start: number;
  /** Decimals of the price tick (Binance: BTCUSDT 0.01, XRPUSDT 0.0001, DOGEUSDT 0.00001). */
  readonly priceDecimals: number;
  /** Decimals of the volume (the pair's lot step). */
  readonly volumeDecimals: number;
  /** Standard deviation of a one-minute log return. */
  readonly vol: number;
  /** Sensitivity to the common market move. */
  readonly beta: number;
  /** Typical volume per minute, in base units. */
  readonly volume: number;
}

/** Ten USDT pairs at mid-2024-like levels. Order is the --symbols order. */
export const PAIRS: readonly PairSpec[] = [
  { symbol: 'BTCUSDT', start: 61_250.37, priceDecimals: 2, volumeDecimals: 5, vol: 0.0009, beta: 1, volume: 18 },
  { symbol: 'ETHUSDT', start: 3_381.52, priceDecimals: 2, volumeDecimals: 4, vol: 0.0011, beta: 1.1, volume: 260 },
  { symbol: 'SOLUSDT', start: 146.83, priceDecimals: 2, volumeDecimals: 3, vol: 0.0016, beta: 1.3, volume: 4_200 },
  { symbol: 'BNBUSDT', start: 581.4, priceDecimals: 2, volumeDecimals: 3, vol: 0.001, beta: 0.9, volume: 650 },
  { symbol: 'XRPUSDT', start: 0.5432, priceDecimals: 4, volumeDecimals: 0, vol: 0.0013, beta: 1, volume: 310_000 },
  { symbol: 'DOGEUSDT', start: 0.12345, priceDecimals: 5, volumeDecimals: 0, vol: 0.0018, beta: 1.4, volume: 2_100_000 },
  { symbol: 'ADAUSDT', start: 0.4021, priceDecimals: 4, volumeDecimals: 1, vol: 0.0014, beta: 1.1, volume: 420_000 },
  { symbol: 'AVAXUSDT', start: 27.64, priceDecimals: 2, volumeDecimals: 2, vol: 0.0017, beta: 1.3, volume: 5_500 },
  { symbol: 'LINKUSDT', start: 14.218, priceDecimals: 3, volumeDecimals: 2, vol: 0.0015, beta: 1.2, volume: 9_000 },
  { symbol: 'LTCUSDT', start: 72.45, priceDecimals: 2, volumeDecimals: 3, vol: 0.0012, beta: 1, volume: 1_300 },
];

export interface GenerateOptions {
  readonly dir: string;
  readonly pairs: readonly PairSpec[];
  readonly rowsPerSymbol: number;
  readonly seed: number;
  /** First bar's openTime (UTC ms, on a minute). */
  readonly startMs: number;
  /** Row counts at which to report the byte length of each file so far (for prefix subsets). */
  readonly cuts: readonly number[];
}

export interface GeneratedFile {
  readonly symbol: string;
  readonly path: string;
  readonly bytes: number;
  /** Byte length of the header plus the first `cut` rows, for each requested cut. */
  readonly cutBytes: Readonly<Record<string, number>>;
}

export const HEADER = 'timestamp,open,high,low,close,volume\n';
const ROWS_PER_WRITE = 4096;
const MEAN_REVERSION = 1e-5;

function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Integer units of 10^-decimals as decimal text, exactly (no toFixed float artefacts). */
function fixed(units: number, decimals: number, pow: number): string {
  if (decimals === 0) return String(units);
  const whole = Math.floor(units / pow);
  return `${whole}.${String(units - whole * pow).padStart(decimals, '0')}`;
}

const HHMM: string[] = [];
for (let m = 0; m < 1440; m++) HHMM.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);

export function generateSet(options: GenerateOptions): GeneratedFile[] {
  const { dir, pairs, rowsPerSymbol, seed, startMs } = options;
  mkdirSync(dir, { recursive: true });
  const rand = mulberry32(seed);
  const headerBytes = Buffer.byteLength(HEADER);
  const state = pairs.map((p) => {
    const path = join(dir, `${p.symbol}.csv`);
    const fd = openSync(path, 'w');
    writeSync(fd, HEADER);
    const pricePow = 10 ** p.priceDecimals;
    return {
      spec: p,
      path,
      fd,
      pricePow,
      volumePow: 10 ** p.volumeDecimals,
      /** Last close, in ticks: the next bar opens there. */
      close: Math.round(p.start * pricePow),
      startTicks: Math.round(p.start * pricePow),
      pending: [] as string[],
      bytes: headerBytes,
      cutBytes: {} as Record<string, number>,
    };
  });
  const cuts = new Set(options.cuts);
  const flush = (s: (typeof state)[number]): void => {
    if (s.pending.length === 0) return;
    const text = s.pending.join('');
    s.pending.length = 0;
    // Rows are ASCII, so characters are bytes.
    s.bytes += text.length;
    writeSync(s.fd, text);
  };
  let dayPrefix = '';
  let dayIndex = -1;
  try {
    for (let row = 0; row < rowsPerSymbol; row++) {
      const t = startMs + row * 60_000;
      const day = Math.floor(t / 86_400_000);
      if (day !== dayIndex) {
        dayIndex = day;
        dayPrefix = new Date(day * 86_400_000).toISOString().slice(0, 10);
      }
      const minuteOfDay = Math.floor((t - day * 86_400_000) / 60_000);
      const stamp = `${dayPrefix}T${HHMM[minuteOfDay]}:00Z`;
      const market = normal(rand);
      // Slow regime drift that changes sign a few times a day, so moving averages cross.
      const drift = 0.00008 * Math.sin((row / 480) * Math.PI + dayIndex);
      // U-shaped intraday activity: busier at the US open, quieter in the Asian night.
      const activity = 0.7 + 0.6 * Math.abs(Math.sin((minuteOfDay / 1440) * Math.PI * 2));
      for (const s of state) {
        const p = s.spec;
        const openTicks = s.close;
        // Weak pull towards the start price (half-life ~48 days), so a year of minutes stays at
        // plausible levels instead of wandering off by orders of magnitude.
        const pull = -MEAN_REVERSION * Math.log(openTicks / s.startTicks);
        const ret = p.beta * (market * p.vol + drift) + normal(rand) * p.vol * 0.6 + pull;
        const closeTicks = Math.max(1, Math.round(openTicks * Math.exp(ret * activity)));
        const top = Math.max(openTicks, closeTicks);
        const bottom = Math.min(openTicks, closeTicks);
        const high = Math.max(top, Math.round(top * (1 + Math.abs(normal(rand)) * p.vol * 0.4)));
        const low = Math.max(1, Math.min(bottom, Math.round(bottom * (1 - Math.abs(normal(rand)) * p.vol * 0.4))));
        const volumeUnits = Math.round(p.volume * activity * (0.3 + 1.4 * rand()) * s.volumePow);
        s.pending.push(
          `${stamp},${fixed(openTicks, p.priceDecimals, s.pricePow)},${fixed(high, p.priceDecimals, s.pricePow)},` +
            `${fixed(low, p.priceDecimals, s.pricePow)},${fixed(closeTicks, p.priceDecimals, s.pricePow)},` +
            `${fixed(volumeUnits, p.volumeDecimals, s.volumePow)}\n`,
        );
        s.close = closeTicks;
      }
      const written = row + 1;
      if (cuts.has(written)) {
        for (const s of state) {
          flush(s);
          s.cutBytes[String(written)] = s.bytes;
        }
      } else if (written % ROWS_PER_WRITE === 0) {
        for (const s of state) flush(s);
      }
    }
    for (const s of state) flush(s);
  } finally {
    for (const s of state) closeSync(s.fd);
  }
  return state.map((s) => ({ symbol: s.spec.symbol, path: s.path, bytes: s.bytes, cutBytes: s.cutBytes }));
}

/**
 * Realtime run options built as a value, for tests of the loop: they name typed fields
 * (staleAfterMs, not --stale-after), so a renamed flag or a changed flag parser does not reach
 * them. The defaults are the command line's; test/realtime/loop-options.test.ts holds them equal
 * to what parseRunOptions gives.
 */
import { makeInstrument, defaultLotStep, type Instrument } from '../../src/broker/instrument.ts';
import { DEFAULT_MARGIN_FLOOR_PCT_E4 } from '../../src/cli/session-options.ts';
import { DEFAULT_MAX_SKIP_RATIO, type RunOptions } from '../../src/cli/run-options.ts';
import { parseBps } from '../../src/domain/money.ts';
import { DEFAULT_PARTICIPATION_E8 } from '../../src/broker/participation.ts';
import { defaultFeeRates, oneFeeRate } from '../../src/broker/fees.ts';
import { formatMoney, parseMoney } from '../../src/domain/price.ts';
import { DEFAULT_FLEET } from '../../src/fleet/fleet-message.ts';
import { DEFAULT_STREAM } from '../../src/fleet/bar-message.ts';

export type LoopOptionsInput = Partial<Omit<RunOptions, 'instruments' | 'cashText' | 'slippageBps'>> & {
  /** One fee rate, maker and taker, for every symbol (--fee-bps); default: each symbol's own (10 bp for crypto pairs, 1 bp else). */
  readonly feeBpsE4?: bigint;
  readonly wsUrl: string;
  readonly restUrl: string;
  /** Lot steps by symbol (the default for the others: 1 for shares, 0.00001 for crypto pairs). */
  readonly lots?: Readonly<Record<string, string>>;
};

export function loopOptions(o: LoopOptionsInput): RunOptions {
  const { lots, feeBpsE4, ...given } = o;
  const symbols = given.symbols ?? ['BTCUSDT', 'ETHUSDT'];
  const cash = given.cash ?? parseMoney('100000')!;
  const slippageBpsE4 = given.slippageBpsE4 ?? parseBps('1')!;
  const staleAfterMs = given.staleAfterMs ?? 5_000;
  const instruments = new Map<string, Instrument>();
  for (const s of symbols) {
    const step = lots?.[s] ?? defaultLotStep(s);
    const inst = makeInstrument(s, step);
    if (!inst) throw new Error(`loopOptions: lot step ${step} of ${s} is not a power of ten`);
    instruments.set(s, inst);
  }
  return {
    argv: [],
    source: 'realtime',
    interval: '1m',
    minutes: null,
    dataDir: 'data/sample',
    files: new Map(),
    from: null,
    to: null,
    fromText: null,
    tz: null,
    barLabel: 'start',
    strategy: 'sma-cross',
    params: Object.create(null) as Record<string, string>,
    onBadRow: 'fail',
    maxSkipRatio: DEFAULT_MAX_SKIP_RATIO,
    dateFormat: null,
    out: null,
    quiet: false,
    events: 'all',
    network: 'production',
    staleAlertAfterMs: Math.max(10_000, 2 * staleAfterMs),
    latencyAlertMs: 1000,
    sliceGraceMs: 1500,
    queueSize: 10_000,
    pingIntervalMs: 20_000,
    stateDir: null,
    journal: null,
    haltFile: null,
    controlPort: 0,
    maxOrdersPerMinute: null,
    priceBandPctE4: null,
    maxDailyLoss: null,
    maxDrawdownPctE4: null,
    onLossLimit: 'reducing',
    marginFloorPctE4: DEFAULT_MARGIN_FLOOR_PCT_E4,
    maxBarAge: 2,
    alertWebhooks: [],
    cycleTimeoutMs: 30_000,
    maxBackfillBars: 10_000,
    heartbeatMs: null,
    nats: null,
    fleetName: DEFAULT_FLEET,
    fleetToken: null,
    fillModel: 'next-open',
    maxParticipationE8: DEFAULT_PARTICIPATION_E8,
    maxParticipation: 0.1,
    ...given,
    feed: given.feed ?? 'binance',
    stream: given.stream ?? DEFAULT_STREAM,
    symbols,
    cash,
    cashText: formatMoney(cash),
    fees: given.fees ?? (feeBpsE4 !== undefined ? oneFeeRate(symbols, feeBpsE4) : Object.fromEntries(symbols.map((s) => [s, defaultFeeRates(s)]))),
    slippageBpsE4,
    slippageBps: Number(slippageBpsE4) / 10_000,
    staleAfterMs,
    maxPositionNotional: given.maxPositionNotional ?? cash / 2n,
    maxGrossExposure: given.maxGrossExposure ?? cash,
    instruments,
  };
}

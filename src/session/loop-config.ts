/**
 * What the loop's parts are built from: the run options that shape the broker, the gate, the loss
 * limits and run_start. The command line's RunOptions extends it (cli depends on session, never
 * the other way round).
 */
import type { Instrument } from '../broker/instrument.ts';
import type { FeeSchedule } from '../broker/fees.ts';
import type { FillModel } from '../domain/types.ts';
import type { HaltSeverity } from '../events/reasons.ts';

export interface LoopConfig {
  readonly source: 'csv' | 'realtime';
  /** Realtime: where the bars come from, which run_start says (nats: and the stream's name); absent: Binance. */
  readonly feed?: 'binance' | 'nats';
  readonly stream?: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly params: Readonly<Record<string, string>>;
  readonly cash: bigint;
  /** Maker and taker fee rates per symbol (1e-4 bps). */
  readonly fees: FeeSchedule;
  readonly slippageBps: number;
  readonly slippageBpsE4: bigint;
  /** Where a market order fills: the next bar's open (booked in that bar's cycle) or its own bar's close. */
  readonly fillModel: FillModel;
  /** --max-participation in 1e-8 units (0.1 is 10_000_000n): the share of a bar's volume a symbol's orders may fill. */
  readonly maxParticipationE8: bigint;
  /** The same as a number, for run_start and the summary. */
  readonly maxParticipation: number;
  readonly maxPositionNotional: bigint;
  readonly maxGrossExposure: bigint;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly maxOrdersPerMinute: number | null;
  readonly priceBandPctE4: bigint | null;
  readonly maxBarAge: number;
  readonly maxDailyLoss: bigint | null;
  readonly maxDrawdownPctE4: bigint | null;
  readonly onLossLimit: HaltSeverity;
  /** Equity below this share of the gross exposure (1e-4 percent): a `margin` halt; null: only equity ≤ 0. */
  readonly marginFloorPctE4: bigint | null;
  /** The zone of the trading day (daily loss); null is UTC. */
  readonly tz: string | null;
  /** What events.ndjson holds (--events): run_start says so when it is not every event. */
  readonly events: 'all' | 'trading';
}

/**
 * One decision cycle, the same for every mode: the operator commands queued meanwhile apply first
 * (between two cycles, never inside one), the bar's provenance goes to the journal, the watchdog
 * marks the cycle, the engine decides, the mode adds what it measured (realtime: latency), and the
 * cycle ends as one unit on the bus. The static run and the realtime loop both drive bars through
 * this; neither repeats its steps.
 */
import type { Bar } from '../domain/types.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Provenance } from '../journal/journal.ts';
import type { CycleTiming, Engine } from './engine.ts';

export interface CycleRunnerOptions {
  readonly engine: Engine;
  readonly bus: EventBus;
  /** Applies the operator commands queued since the last cycle (the session's inbox). */
  readonly beforeCycle?: () => void;
  /** Where each decided bar came from, for the journal (a replay must see it to decide alike). */
  readonly recorder?: { noteBar(provenance: Provenance): void } | null;
  /** Marks each cycle for the watchdog thread, which ends a process whose strategy never returns. */
  readonly watchdog?: { begin(symbol: string, openTime: number): void; end(): void } | null;
}

export interface CycleHooks {
  readonly enter?: () => void;
  readonly during?: (timing: CycleTiming) => void;
}

export class CycleRunner {
  /** Bars decided per symbol: the summary's barsBySymbol. */
  readonly barsBySymbol: Record<string, number> = {};
  private readonly options: CycleRunnerOptions;

  constructor(options: CycleRunnerOptions) {
    this.options = options;
  }

  /**
   * Decides one closed bar. `enter` runs once the queued commands applied, before the engine (what
   * the gate reads of the bar's delivery); `during` runs after the engine, inside the cycle (its
   * events belong to the same unit), with the cycle's timing.
   */
  run(bar: Bar, provenance: Provenance | null, hooks: CycleHooks = {}): void {
    const { engine, bus, watchdog, recorder } = this.options;
    this.options.beforeCycle?.();
    hooks.enter?.();
    if (provenance !== null) recorder?.noteBar(provenance);
    this.barsBySymbol[bar.symbol] = (this.barsBySymbol[bar.symbol] ?? 0) + 1;
    watchdog?.begin(bar.symbol, bar.openTime);
    const timing = engine.cycle(bar);
    watchdog?.end();
    if (timing !== null) hooks.during?.(timing);
    bus.endCycle();
  }

  /** A replayed cycle (a resume deciding its journal again) counts as decided. */
  countReplayed(bar: Bar): void {
    this.barsBySymbol[bar.symbol] = (this.barsBySymbol[bar.symbol] ?? 0) + 1;
  }
}

/**
 * Trading halts, held as a set: each reason is held once, with the source that raised it, and is
 * lifted only by that source. A feed that recovers lifts its own feed_stale halt, never an
 * operator's halt or FLAG_TRADING_HALTED.
 */
import type { HaltReason, HaltSource } from '../events/types.ts';

export interface Halt {
  readonly reason: HaltReason;
  readonly source: HaltSource;
  readonly detail: string;
}

export class HaltSet {
  private readonly held = new Map<HaltReason, Halt>();

  /** Returns true when the halt is new (the caller emits the halt event), false if already held. */
  raise(reason: HaltReason, source: HaltSource, detail: string): boolean {
    if (this.held.has(reason)) return false;
    this.held.set(reason, { reason, source, detail });
    return true;
  }

  /** Lifts a halt only for the source that raised it. Returns true when something was lifted. */
  lift(reason: HaltReason, source: HaltSource): boolean {
    const halt = this.held.get(reason);
    if (!halt || halt.source !== source) return false;
    this.held.delete(reason);
    return true;
  }

  get halted(): boolean {
    return this.held.size > 0;
  }

  has(reason: HaltReason): boolean {
    return this.held.has(reason);
  }

  list(): Halt[] {
    return [...this.held.values()];
  }
}

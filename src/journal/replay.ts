/**
 * A journal, decided again: the warm-up history, then every unit in order through the same loop
 * parts. A cycle runs the engine on its journaled bar (with the bar age the feed had stamped); a
 * command is applied again with the prices it used; a halt or resume from outside any cycle is
 * raised or lifted again through the trading control. Whatever the replay regenerates gets the same
 * seq as it had; what it cannot regenerate (feed states, latency, skips, the feed's alerts) is
 * re-emitted as recorded. A resume replays into sinks that drop what is already written, and so
 * restores every figure of the run exactly; `tradeloop verify` replays and compares.
 */
import type { Bar } from '../domain/types.ts';
import type { LoopParts } from '../session/loop-parts.ts';
import type { JournalUnit, RecordedCommand, SeqEvent } from './journal.ts';

export interface ReplayHooks {
  readonly parts: LoopParts;
  /** Realtime: the gate's newest-closed map, set before each cycle from the bar's provenance. */
  readonly newest?: Map<string, number>;
  /** Applies a recorded command as the session applies a live one. */
  applyCommand(command: RecordedCommand): void;
  /** Called for each replayed cycle, before it runs, and for each recorded event re-emitted as it was. */
  onCycle?(bar: Bar, unit: JournalUnit): void;
  /** Called before each unit is applied (realtime: to run the control's clock at the unit's journaled time). */
  onUnit?(unit: JournalUnit): void;
  onRecorded?(e: SeqEvent): void;
}

export interface ReplayResult {
  readonly cycles: number;
  readonly skips: number;
  readonly lastSeq: number;
}

export async function replay(units: AsyncIterable<JournalUnit> | Iterable<JournalUnit>, warmup: readonly Bar[], hooks: ReplayHooks): Promise<ReplayResult> {
  const { engine, control, bus } = hooks.parts;
  for (const bar of warmup) engine.warmup({ ...bar });
  let cycles = 0;
  let skips = 0;
  for await (const unit of units) {
    hooks.onUnit?.(unit);
    if (unit.kind === 'cycle' && unit.bar) {
      const bar = { ...unit.bar };
      const newest = unit.provenance?.newestOpenTime;
      if (hooks.newest && newest !== undefined) hooks.newest.set(bar.symbol, newest);
      hooks.onCycle?.(bar, unit);
      engine.cycle(bar);
      cycles++;
    } else if (unit.kind === 'command' && unit.command) {
      hooks.applyCommand(unit.command);
    }
    for (const e of unit.events) {
      if (e.seq <= bus.lastSeq) continue; // regenerated above, with this seq
      const event = e.event;
      if (unit.kind === 'outside' && event.type === 'halt') {
        control.raise(event.reason, event.source, event.severity, event.detail);
        continue;
      }
      if (unit.kind === 'outside' && event.type === 'resume') {
        control.lift(event.reason, event.source);
        continue;
      }
      if (event.type === 'skip') skips++;
      bus.emit(event);
      hooks.onRecorded?.(e);
    }
    bus.endCycle();
  }
  return { cycles, skips, lastSeq: bus.lastSeq };
}

/** The wall time a unit was journaled at (its first event that carries one), or null (static units carry none). */
export function unitTime(unit: JournalUnit): number | null {
  for (const e of unit.events) {
    const at = (e.event as { at?: unknown }).at;
    if (typeof at === 'number') return at;
  }
  return null;
}

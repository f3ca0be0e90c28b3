/**
 * Operator commands and what each does to the session. They enter through the session's inbox and
 * apply between two cycles, never inside one; each is committed as its own unit. A command that
 * changes nothing (halting what is already halted) is a no-op that says so, not a new event pair.
 */
import type { FlattenOutcome } from '../engine/engine.ts';
import type { HaltReason, HaltSeverity, HaltSource, TradingStateName } from '../events/reasons.ts';

export type Command =
  | { readonly kind: 'halt'; readonly detail: string | null; readonly reducing: boolean }
  | { readonly kind: 'resume'; readonly halt: HaltReason | null }
  | { readonly kind: 'flatten'; readonly symbols: readonly string[] | null }
  /**
   * The halt file appeared, changed (present, its first line) or was removed. Its path goes with
   * the command (absent in journals older than it): a replay elsewhere (verify) writes the same detail.
   */
  | { readonly kind: 'halt_file'; readonly present: boolean; readonly line: string; readonly path?: string }
  /**
   * The fleet's kill switch changed (src/fleet/fleet-member.ts): halted or reducing raises the
   * `fleet` halt, null lifts it. Only this command lifts it: an operator's resume of the session
   * alone leaves the fleet's halt in force. The detail (who, when, why) is the signed message's.
   */
  | { readonly kind: 'fleet'; readonly severity: HaltSeverity | null; readonly detail: string };

/** A command as it was applied: what was asked, its operator number, and the prices a flatten filled at (so a replay fills there too). */
export interface RecordedCommand {
  readonly command: Command;
  readonly op: number;
  readonly prices: Readonly<Record<string, { readonly price: number; readonly source: 'last_close' | 'last_update'; readonly time: number }>>;
}

export interface HaltStatus {
  readonly reason: HaltReason;
  readonly source: HaltSource;
  readonly severity: HaltSeverity;
  readonly detail: string;
  /** ISO time it was raised, where the session has a wall clock. */
  readonly since: string | null;
  readonly lifted: string;
}

export interface CommandResult {
  /** false: the session refused (e.g. resume of a halt only its own source may lift). */
  readonly ok: boolean;
  readonly changed: boolean;
  readonly message: string;
  readonly state: TradingStateName;
  readonly halts: readonly HaltStatus[];
  readonly flatten?: readonly FlattenOutcome[];
  /** false: a halt changed but halts.json could not be written (it holds in memory only). */
  readonly persisted?: boolean;
}

/**
 * What each operator command does, on the loop's parts. Runs between cycles (the session's inbox
 * guarantees it); the caller commits the events it emitted as one unit.
 */
import type { FlattenPrice } from '../engine/engine.ts';
import { HALT_REASONS, type HaltReason } from '../events/reasons.ts';
import { howLifted } from '../risk/trading-control.ts';
import { isLatched } from '../risk/trading-state.ts';
import type { LoopParts } from './loop-parts.ts';
import type { Command, CommandResult, HaltStatus } from './commands.ts';

export interface CommandContext {
  readonly parts: LoopParts;
  readonly symbols: readonly string[];
  readonly haltFile: string | null;
  /** Numbers operator orders (flatten ids): the count of flattens so far. */
  nextOp(): number;
  priceOf(symbol: string): FlattenPrice | null;
}

export function haltStatuses(parts: LoopParts): HaltStatus[] {
  return parts.trading.list().map((h) => ({
    reason: h.reason,
    source: h.source,
    severity: h.severity,
    detail: h.detail,
    since: h.since === null ? null : new Date(h.since).toISOString(),
    lifted: howLifted(h.reason),
  }));
}

function result(ctx: CommandContext, ok: boolean, changed: boolean, message: string, extra: Partial<CommandResult> = {}): CommandResult {
  return { ok, changed, message, state: ctx.parts.trading.state, halts: haltStatuses(ctx.parts), ...extra };
}

export function applyCommand(ctx: CommandContext, cmd: Command): CommandResult {
  const { control, trading, engine, loss, broker } = ctx.parts;
  switch (cmd.kind) {
    case 'halt': {
      const severity = cmd.reducing ? 'reducing' : 'halted';
      const detail = cmd.detail ?? (cmd.reducing ? 'reduce-only by an operator (tradeloop halt --reducing)' : 'halted by an operator (tradeloop halt)');
      // Whether this repeats the halt held is the trading state's to say; the answer names the one held.
      if (control.raise('operator', 'operator', severity, detail))
        return result(ctx, true, true, `operator halt (${severity}) raised: trading is ${trading.state}`);
      const held = trading.get('operator');
      return result(
        ctx,
        true,
        false,
        held
          ? `no change: an operator halt (${held.severity}) is already held${held.since ? ` since ${new Date(held.since).toISOString()}` : ''} (${held.detail}); trading is ${trading.state}`
          : `no change: trading is ${trading.state}`,
      );
    }
    case 'resume': {
      const reason: HaltReason = cmd.halt ?? 'operator';
      if (!trading.has(reason)) {
        return result(ctx, true, false, `no change: no ${reason} halt is held; trading is ${trading.state}`);
      }
      if (reason !== 'operator' && !isLatched(reason)) {
        return result(ctx, false, false, `refused: ${reason} cannot be lifted by an operator: ${howLifted(reason)}`);
      }
      control.lift(reason, 'operator');
      // A resumed drawdown is measured afresh from here, or it would trip again on the next bar.
      if (reason === 'drawdown') loss?.resetPeak(broker.equity());
      return result(ctx, true, true, `${reason} lifted: trading is ${trading.state}`);
    }
    case 'flatten': {
      const symbols = cmd.symbols ?? ctx.symbols.filter((s) => broker.position(s) !== 0 || broker.restingOrders(s).length > 0);
      const outcomes = engine.flatten(symbols, ctx.nextOp(), (s) => ctx.priceOf(s));
      const closed = outcomes.filter((o) => o.closed !== '0');
      const refused = outcomes.filter((o) => o.refused);
      const message =
        symbols.length === 0
          ? 'nothing to flatten: no position and no resting order'
          : `flattened ${closed.map((o) => `${o.symbol} ${o.closed} at ${o.price}`).join(', ') || 'no position'}` +
            `${outcomes.some((o) => o.cancelled > 0) ? `; cancelled ${outcomes.reduce((n, o) => n + o.cancelled, 0)} resting order(s)` : ''}` +
            `${refused.length > 0 ? `; NOT closed: ${refused.map((o) => `${o.symbol} (${o.refused})`).join(', ')}` : ''}` +
            (trading.state === 'ACTIVE' ? '. Trading is ACTIVE: the strategy may open positions again (tradeloop halt stops it)' : '');
      return result(ctx, refused.length === 0, outcomes.length > 0, message, { flatten: outcomes });
    }
    case 'halt_file': {
      if (!cmd.present) {
        const changed = control.lift('halt_file', 'file');
        return result(ctx, true, changed, changed ? `halt file removed: trading is ${trading.state}` : 'no change');
      }
      const line = cmd.line.trim().slice(0, 200);
      const reducing = line.toLowerCase() === 'reducing';
      const detail = `${cmd.path ?? ctx.haltFile ?? 'halt file'} is present${line ? `: ${line}` : ''}`;
      const changed = control.raise('halt_file', 'file', reducing ? 'reducing' : 'halted', detail);
      return result(ctx, true, changed, `halt file: trading is ${trading.state}`);
    }
    case 'fleet': {
      if (cmd.severity === null) {
        const changed = control.lift('fleet', 'fleet');
        return result(
          ctx,
          true,
          changed,
          changed ? `fleet halt lifted: trading is ${trading.state}` : `no change: no fleet halt is held; trading is ${trading.state}`,
        );
      }
      const changed = control.raise('fleet', 'fleet', cmd.severity, cmd.detail);
      return result(
        ctx,
        true,
        changed,
        changed ? `fleet halt (${cmd.severity}) raised: trading is ${trading.state}` : `no change: trading is ${trading.state}`,
      );
    }
  }
}

/** Reads a halt reason named by a user (resume --halt), or null if it is not one. */
export function parseHaltReason(text: string): HaltReason | null {
  return (HALT_REASONS as readonly string[]).includes(text) ? (text as HaltReason) : null;
}

/**
 * `tradeloop verify RUN_DIR | --state DIR | --journal URL --session NAME`: the proof of a paper session. The bars the session
 * journaled are decided again, in the order it decided them, through the static loop with the
 * session's own options; every decision, order, fill, cancel and reject (and every halt and state
 * change) must come out as journaled, and every event the replay makes must be in the journal.
 * Exit 0 when they all match; 1 at the first divergence, naming the cycle and the field; 2 when
 * there is nothing to verify; 4 when the journal cannot be read.
 */
import type { LotSteps } from '../events/lot-steps.ts';
import { serializeEvent } from '../events/serialize.ts';
import { lotStepsOf } from '../journal/journal.ts';
import type { TradeEvent } from '../events/types.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags } from './common-flags.ts';
import { replayJournal } from './journal-replay.ts';
import { journalSourceOf, SOURCE_FLAGS } from './journal-source.ts';
import { UsageError } from './usage-error.ts';
import { EXIT } from './exit-codes.ts';

export const VERIFY_USAGE =
  'Usage: tradeloop verify RUN_DIR | --state DIR | --journal URL --session NAME\n  Decide again every bar the session journaled and check each decision, order, fill, cancel and reject against the journal.\n';

/** The events a replay regenerates and that must match; the rest (feed, latency, alerts) is the world's, re-emitted as recorded. */
const CHECKED = new Set(['decision', 'order', 'fill', 'cancel', 'reject', 'halt', 'resume', 'trading_state']);

/** The fields of an event as the log writes them, wall-clock times left out (a replay has its own). */
function fieldsOf(e: TradeEvent, lots: LotSteps): Record<string, unknown> {
  const { at: _at, ...rest } = JSON.parse(serializeEvent(0, e, lots)) as Record<string, unknown>;
  return rest;
}

function firstDifference(a: Record<string, unknown>, b: Record<string, unknown>): string | null {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return k;
  }
  return null;
}

export async function verifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const refuse = (m: string): UsageError => new UsageError(`${m}\n${VERIFY_USAGE}`);
  const { values, positionals } = parseFlagsWithPositionals(argv, refuse);
  if (values.help) {
    io.stdout(VERIFY_USAGE);
    return 0;
  }
  if ((values.state && positionals.length > 0) || positionals.length > 1) throw refuse('name one run folder, or --state DIR, or --journal URL --session NAME.');
  const src = journalSourceOf(values, positionals[0], refuse);
  if (src === null) throw refuse('name one run folder, or --state DIR, or --journal URL --session NAME.');
  const r = await replayJournal(src);
  try {
    const lots = await lotStepsOf(r.journal);
    let cycle = 0;
    let bar = '';
    let checked = 0;
    let journaled = 0;
    /** Each journaled seq's cycle, for naming where the replay made an event the journal lacks. */
    const cycleAt = new Map<number, string>();
    for await (const { seq, event } of r.journal.events(1)) {
      journaled++;
      if (event.type === 'bar') {
        cycle++;
        bar = `${event.symbol} bar ${new Date(event.openTime).toISOString()}`;
      }
      cycleAt.set(seq, `cycle ${cycle}${bar ? ` (${bar})` : ''}`);
      if (!CHECKED.has(event.type)) continue;
      checked++;
      const replayed = r.emitted.get(seq);
      const where = `cycle ${cycle}${bar ? ` (${bar})` : ''}, seq ${seq}`;
      if (!replayed) {
        io.stderr(`tradeloop verify: DIVERGED at ${where}: the journal has a ${event.type}, the replay has nothing there.\n`);
        return EXIT.failed;
      }
      const want = fieldsOf(event, lots);
      const got = fieldsOf(replayed, lots);
      const field = firstDifference(want, got);
      if (field !== null) {
        io.stderr(
          `tradeloop verify: DIVERGED at ${where}: ${event.type}.${field} journaled ${JSON.stringify(want[field])}, replayed ${JSON.stringify(got[field])}.\n`,
        );
        return EXIT.failed;
      }
    }
    // The other way: every event the replay makes must be in the journal at its seq. A row deleted
    // from the journal (a fill, an order, a decision) is found here, not passed over.
    for (const [seq, event] of r.emitted) {
      if (cycleAt.has(seq)) continue;
      const before = [...cycleAt.keys()].filter((s) => s < seq).pop();
      const where = before === undefined ? 'the start' : `${cycleAt.get(before)!}, after seq ${before}`;
      io.stderr(
        `tradeloop verify: DIVERGED at seq ${seq} (${where}): the replay made a ${event.type}${'symbol' in event ? ` (${String(event.symbol)})` : ''}, the journal has nothing there: a row is missing from the journal.\n`,
      );
      return EXIT.failed;
    }
    const last = await r.journal.lastSeq();
    if (r.result.lastSeq !== last || r.emitted.size !== journaled) {
      io.stderr(
        `tradeloop verify: DIVERGED at the end: the replay emitted ${r.emitted.size} events up to seq ${r.result.lastSeq}, the journal holds ${journaled} up to seq ${last}.\n`,
      );
      return EXIT.failed;
    }
    io.stdout(
      `tradeloop verify: ${r.run.runId} verified: ${r.result.cycles} cycles, ${checked} decisions, orders, fills, cancels, rejects and halts, every one as journaled.\n`,
    );
    return EXIT.ok;
  } finally {
    await r.journal.close();
  }
}

function parseFlagsWithPositionals(
  argv: readonly string[],
  refuse: (m: string) => UsageError,
): { values: { state?: string; journal?: string; session?: string; help?: boolean }; positionals: string[] } {
  const parsed = parseFlags(argv, { ...SOURCE_FLAGS, help: { type: 'boolean', short: 'h' } }, refuse, true);
  return { values: parsed.values, positionals: parsed.positionals };
}

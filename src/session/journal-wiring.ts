/**
 * A run's journal in its state folder, and what a resume needs of it: the options that give the run
 * its meaning (a resume that changes one is refused by name), the log brought back in line with the
 * journal (the journal is the record: a line it lacks is cut, a line the log lacks is written from
 * it), and the marker a resumed segment leaves in events.ndjson.
 */
import { closeSync, existsSync, openSync, readSync, ftruncateSync, writeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { InputFile, RunResumeEvent, RunStartEvent } from '../events/types.ts';
import type { Bar } from '../domain/types.ts';
import { formatMoney } from '../domain/price.ts';
import { formatLots } from '../broker/instrument.ts';
import { feeKey } from '../broker/fees.ts';
import type { Flags } from '../config/flags.ts';
import { replay, type ReplayHooks, type ReplayResult } from '../journal/replay.ts';
import type { LoopParts } from './loop-parts.ts';
import type { Session } from './session.ts';
import { applyFlagNow } from './session-shell.ts';
import { redactUrl } from '../config/redact-url.ts';
import { webhookLabel } from '../sinks/webhook-alerts.ts';
import { serializeEvent } from '../events/serialize.ts';
import { JournalSink } from '../journal/journal-sink.ts';
import { JournalError, JournalHeldError, lotStepsOf, type Journal, type JournalRun } from '../journal/journal.ts';
import { openJournalStore } from '../journal/open-journal-store.ts';
import { linkedFile } from './own-folder.ts';
import type { StateDir } from './state-dir.ts';
import type { SessionConfig as RunOptions } from './session-config.ts';
import { UsageError } from '../errors.ts';

export const JOURNAL_FILE = 'journal.sqlite';

/** What a resume must not change, named as the flags that set it. */
export function runMeaning(opts: RunOptions, strategy: string, strategyHash: string | null, inputs: readonly InputFile[]): Record<string, string> {
  const m: Record<string, string> = {
    // A nats session's journal records stream sequences: it resumes on the same stream only, never from Binance.
    '--source': opts.feed === 'nats' ? 'nats' : opts.source,
    '--symbols': opts.symbols.join(','),
    '--interval': opts.interval,
    '--strategy': strategyHash === null ? strategy : `${strategy} (file sha256 ${strategyHash.slice(0, 12)})`,
    '--param': JSON.stringify(Object.entries(opts.params).sort()),
    '--cash': String(opts.cash),
    '--fee-bps': feeKey(opts.fees, opts.symbols),
    '--slippage-bps': String(opts.slippageBpsE4),
    // Absent for close, as in journals written before the flag (they filled at the close): those still resume with --fill-model close.
    ...(opts.fillModel === 'close' ? {} : { '--fill-model': opts.fillModel }),
    '--max-participation': String(opts.maxParticipationE8),
    '--max-position-notional': String(opts.maxPositionNotional),
    '--max-gross-exposure': String(opts.maxGrossExposure),
    '--lot': opts.symbols.map((s) => `${s}=${opts.instruments.get(s)!.lotStep}`).join(','),
    '--max-orders-per-minute': String(opts.maxOrdersPerMinute),
    '--price-band-pct': String(opts.priceBandPctE4),
    '--max-daily-loss': String(opts.maxDailyLoss),
    '--max-drawdown-pct': String(opts.maxDrawdownPctE4),
    '--on-loss-limit': opts.onLossLimit,
    '--margin-floor-pct': String(opts.marginFloorPctE4),
    '--tz': String(opts.tz),
    '--events': opts.events,
  };
  if (opts.source === 'realtime') m['--max-bar-age'] = String(opts.maxBarAge);
  if (opts.feed === 'nats') m['--stream'] = opts.stream;
  else {
    m.inputs = inputs.map((i) => `${i.symbol}:${i.sha256}`).join(',');
    m['--from'] = String(opts.from);
    m['--minutes'] = String(opts.minutes);
    m['--to'] = String(opts.to);
    m['--bar-label'] = opts.barLabel;
    m['--on-bad-row'] = opts.onBadRow;
    // Every option the run's id hashes is part of what it means: a resume may change none of them.
    m['--max-skip-ratio'] = String(opts.maxSkipRatio);
    m['--date-format'] = String(opts.dateFormat);
  }
  return m;
}

const MONEY_KEYS = new Set(['--cash', '--max-position-notional', '--max-gross-exposure', '--max-daily-loss']);
const E4_KEYS = new Set(['--fee-bps', '--slippage-bps', '--price-band-pct', '--max-drawdown-pct', '--margin-floor-pct']);

/** A meaning value as the user wrote it: money from 1e-8 units, bps and percents from 1e-4, params as k=v. */
function shown(key: string, value: unknown): string {
  if (value === undefined) return key === '--fill-model' ? 'close' : key === '--max-participation' ? 'none (a journal from before the flag: no cap)' : 'unset';
  const text = String(value);
  if (text === 'null') return 'unset';
  try {
    if (MONEY_KEYS.has(key)) return formatMoney(BigInt(text));
    if (E4_KEYS.has(key) && /^\d+$/.test(text)) return String(Number(text) / 1e4);
    // Rates that differ: each symbol's maker/taker, in bps.
    if (key === '--fee-bps') return `maker/taker ${text.replace(/=(\d+)\/(\d+)/g, (_m, a: string, b: string) => `=${Number(a) / 1e4}/${Number(b) / 1e4}`)} bps`;
    if (key === '--max-participation') return String(Number(text) / 1e8);
    if (key === '--param') return (JSON.parse(text) as Array<[string, string]>).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
    if (key === '--from' && /^\d+$/.test(text)) return new Date(Number(text)).toISOString();
  } catch {
    // Not in the form this version writes: shown as stored.
  }
  return text;
}

export interface OpenedJournal {
  readonly journal: Journal;
  /** The run the journal already holds: this start is a resume. */
  readonly resume: { readonly run: JournalRun; readonly lastSeq: number } | null;
  readonly sink: JournalSink;
}

/**
 * Where a session's journal lives: SQLite in its state folder (the default), or PostgreSQL under the
 * session's name (--journal URL --session NAME), locked by that name for the session's life.
 */
export type JournalPlace = { readonly kind: 'state'; readonly dir: StateDir } | { readonly kind: 'postgres'; readonly url: string; readonly session: string };

/** The place as the flags that name it, for messages (the URL's password never shown). */
export function placeLabel(place: JournalPlace): string {
  return place.kind === 'state' ? `--state ${place.dir.path}` : `--session ${place.session} (--journal ${redactUrl(place.url)})`;
}

/** Where a new run would go instead: another folder, or another name. */
function anotherPlace(place: JournalPlace): string {
  return place.kind === 'state' ? 'another --state' : 'another --session';
}

/** The run's journal place: PostgreSQL when --journal is given, else the state folder (if any). */
export function journalPlace(opts: RunOptions, stateDir: StateDir | null): JournalPlace | null {
  if (opts.journal !== null) return { kind: 'postgres', url: opts.journal.url, session: opts.journal.session };
  return stateDir === null ? null : { kind: 'state', dir: stateDir };
}

async function openStore(place: JournalPlace, opts: RunOptions, mode: 'static' | 'realtime'): Promise<Journal> {
  const durable = mode === 'realtime';
  if (place.kind === 'postgres') {
    try {
      return await openJournalStore({ kind: 'postgres', url: place.url, session: place.session, durable, instruments: opts.instruments });
    } catch (err) {
      if (err instanceof JournalHeldError) throw new UsageError(err.message);
      if (err instanceof JournalError)
        throw new UsageError(
          `--journal: cannot open the journal: ${err.message}. Check that the server is up and that the URL's host, port, user, password and database are right.`,
        );
      throw err;
    }
  }
  const path = join(place.dir.path, JOURNAL_FILE);
  const linked = linkedFile(path);
  if (linked !== null) throw new UsageError(`--state ${place.dir.path}: ${linked}`);
  try {
    // A static run's appends go to a writer thread (the loop decides on meanwhile); realtime commits each turn on its own thread.
    return await openJournalStore({ kind: 'sqlite', path, durable, instruments: opts.instruments, thread: mode === 'static' });
  } catch (err) {
    if (err instanceof JournalError)
      throw new UsageError(
        `--state ${place.dir.path}: ${err.message}. Free the disk or fix the folder's permissions; a damaged journal can be moved aside to start afresh.`,
      );
    throw err;
  }
}

export async function openJournal(
  place: JournalPlace,
  opts: RunOptions,
  mode: 'static' | 'realtime',
  meaning: Record<string, string>,
  onFailure: (err: Error) => void,
): Promise<OpenedJournal> {
  const journal = await openStore(place, opts, mode);
  const label = placeLabel(place);
  let run: JournalRun | null;
  try {
    run = await journal.readRun();
  } catch (err) {
    await journal.close();
    throw err;
  }
  if (run !== null) {
    if (run.mode !== mode) {
      await journal.close();
      throw new UsageError(`${label} holds a ${run.mode} run (${run.runId}); this is a ${mode} run. Use ${anotherPlace(place)} for a new run.`);
    }
    for (const key of new Set([...Object.keys(run.options), ...Object.keys(meaning)])) {
      if (run.options[key] !== meaning[key]) {
        await journal.close();
        const what = key === 'inputs' ? "the input files' contents" : key;
        throw new UsageError(
          `${label} holds run ${run.runId}, and ${what} differs (journaled ${shown(key, run.options[key])}, now ${shown(key, meaning[key])}). A resume must not change what the run means: use the same options, or ${anotherPlace(place)} for a new run.`,
        );
      }
    }
  }
  const lastSeq = run === null ? 0 : await journal.lastSeq();
  return { journal, resume: run === null ? null : { run, lastSeq }, sink: new JournalSink(journal, onFailure, lastSeq) };
}

/** The seq of a log line, read from its first field: `{"seq":N,`. */
function seqOf(line: Buffer): number {
  const m = /^\{"seq":(\d+),/.exec(line.subarray(0, 32).toString('latin1'));
  return m ? Number(m[1]) : NaN;
}

/**
 * Brings events.ndjson in line with the journal before a resumed segment appends to it: lines past
 * the journal's last seq (written but never committed, or the previous segment's run_end) are cut;
 * lines the journal holds but the log lacks (committed but not yet flushed when the process died)
 * are written from the journal, in the same text.
 */
export async function repairLog(path: string, lastSeq: number, journal: Journal): Promise<void> {
  const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(1 << 20);
    let keep = 0;
    let seen = 0;
    let carry = Buffer.alloc(0);
    let offset = 0;
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n <= 0) break;
      pos += n;
      let data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        const seq = seqOf(data.subarray(start, nl));
        if (!(seq <= lastSeq)) {
          pos = size; // the first line past the journal: cut here
          break;
        }
        seen = seq;
        keep = offset + nl + 1;
        start = nl + 1;
      }
      offset += start;
      data = data.subarray(start);
      carry = Buffer.from(data);
    }
    ftruncateSync(fd, keep);
    let at = keep;
    const lots = await lotStepsOf(journal);
    for await (const { seq, event } of journal.events(seen + 1)) {
      if (seq > lastSeq) break;
      const line = Buffer.from(serializeEvent(seq, event, lots) + '\n');
      at += writeSync(fd, line, 0, line.length, at);
    }
  } finally {
    closeSync(fd);
  }
}

export function resumeMarker(segment: number, afterSeq: number, restored: Record<string, unknown>): RunResumeEvent {
  return { type: 'run_resume', segment, afterSeq, restored };
}

/**
 * The command line as the journal keeps it: URLs (which may carry credentials or tokens) redacted,
 * and of a webhook only its scheme and host, since the path of an incoming webhook is its secret.
 */
function withoutSecrets(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^(--(?:ws-url|rest-url|alert-webhook|journal|nats))(?:=(.*))?$/.exec(a);
    const hide = m?.[1] === '--alert-webhook' ? webhookLabel : redactUrl;
    if (m && m[2] !== undefined) out.push(`${m[1]}=${hide(m[2])}`);
    else if (m && i + 1 < argv.length) out.push(a, hide(argv[++i]!));
    else out.push(a);
  }
  return out;
}

export interface BeginInput {
  readonly journaled: OpenedJournal | null;
  readonly parts: LoopParts;
  readonly session: Session;
  readonly flags: Flags;
  /** Writes the resume marker straight to the log (it takes no seq of its own). */
  readonly mark: (seq: number, event: RunResumeEvent) => void;
  /** A fresh start: emits run_start and raises the start-up halts; returns run_start for the journal. */
  readonly fresh: () => RunStartEvent;
  /** Warm-up bars of a fresh start, for the journal (realtime: loaded over REST). */
  readonly warmupBars?: readonly Bar[];
  readonly mode: 'static' | 'realtime';
  readonly runId: string;
  readonly meaning: Record<string, string>;
  readonly startedAt: number | null;
  /** The run's command line, kept for `tradeloop verify`. */
  readonly argv: readonly string[];
  readonly replay?: Partial<Pick<ReplayHooks, 'newest' | 'onCycle' | 'onRecorded' | 'onUnit'>>;
  /** The operator's terminal: a resume says there which halts it brought back (their events were written before). */
  readonly stderr?: (text: string) => void;
  /** What a resume does next, when the mode's default words do not say it (a session on a stream reads on from its cursor). */
  readonly resumeNext?: string;
}

export interface Begun {
  /** The journal's segment for this start (0 without a journal). */
  readonly segment: number;
  /** What a resume replayed, or null for a fresh start. */
  readonly replayed: ReplayResult | null;
}

/**
 * Starts a session's record: a fresh run writes its run_start and start-up halts (and, journaled,
 * creates the run); a resumed one replays its journal through the loop (its outputs already hold
 * what that regenerates), leaves its marker in the log, and then takes the environment as it is
 * now (the flag, the halt file) — the halts it had come back from the journal, and from halts.json
 * those the journal lacks.
 */
export async function beginOrResume(input: BeginInput): Promise<Begun> {
  const { journaled, parts, session } = input;
  const resume = journaled?.resume && journaled.resume.lastSeq > 0 ? journaled.resume : null;
  if (!resume) {
    const runStart = input.fresh();
    if (journaled) return { segment: await startJournal(journaled, input, runStart), replayed: null };
    return { segment: 0, replayed: null };
  }
  const { journal } = journaled!;
  const replayed = await replay(journal.units(), resume.run.warmupBars, { parts, applyCommand: (c) => session.replayCommand(c), ...input.replay });
  if (replayed.lastSeq !== resume.lastSeq) {
    throw new UsageError(
      `the journal ${journal.location} does not replay to its own end (seq ${replayed.lastSeq} of ${resume.lastSeq}): the code or the inputs changed under it. Run tradeloop verify on it to see where.`,
    );
  }
  const { broker, trading } = parts;
  const restored = {
    cycles: replayed.cycles,
    cash: formatMoney(broker.cash),
    equity: formatMoney(broker.equity()),
    halts: trading.reasons(),
    positions: positionsOf(parts),
  };
  const segment = await journal.beginSegment({ kind: 'resume', afterSeq: resume.lastSeq, startedAt: input.startedAt, restored });
  input.mark(resume.lastSeq, resumeMarker(segment, resume.lastSeq, restored));
  input.stderr?.(resumedLine(input, replayed.cycles, restored.positions));
  // The replay is silent (its lines were shown when they happened): a halt it restores is said again now.
  for (const h of trading.list()) {
    input.stderr?.(
      `tradeloop resume HALT    ${h.reason} (${h.source}, ${h.severity}): ${h.detail} -> trading ${trading.state} (held when the session stopped; restored from the journal)\n`,
    );
  }
  // halts.json may hold an operator's halt the journal never recorded (given after the journal had failed).
  for (const h of session.restore({ persistedHalts: 'missing' })) {
    input.stderr?.(
      `tradeloop resume HALT    ${h.reason} (${h.source}, ${h.severity}): ${h.detail} -> trading ${trading.state} (in halts.json but not in the journal, which had stopped recording when it was given: raised again)\n`,
    );
  }
  applyFlagNow(parts.control, input.flags);
  return { segment, replayed };
}

/** What a resumed session says first on its terminal: what it brought back, and what comes next. */
function resumedLine(input: BeginInput, cycles: number, positions: Record<string, string>): string {
  const { broker, engine } = input.parts;
  const last = Math.max(0, ...broker.symbols().map((s) => engine.barTime(s)));
  const at = last > 0 ? new Date(last).toISOString().replace(/:00\.000Z$/, 'Z') : 'none';
  const held =
    Object.entries(positions)
      .map(([s, q]) => `${s} ${q}`)
      .join(', ') || 'none';
  const next =
    input.resumeNext ??
    (input.mode === 'realtime'
      ? `the bars closed since ${at} are fetched over REST (backfill) and decided before the live ones`
      : 'the files are read on from the bar after it');
  return (
    `tradeloop resume RESUMED ${input.runId} from its journal: ${cycles} cycles replayed, last decided bar ${at}; ` +
    `cash ${formatMoney(broker.cash)}, equity ${formatMoney(broker.equity())}; positions ${held}. Next: ${next}\n`
  );
}

/** A fresh run's identity and first segment in the journal; a journal that cannot take them refuses the start. */
async function startJournal(journaled: OpenedJournal, input: BeginInput, runStart: RunStartEvent): Promise<number> {
  try {
    if (!journaled.resume) {
      await journaled.journal.createRun({
        runId: input.runId,
        mode: input.mode,
        options: input.meaning,
        runStart,
        warmupBars: input.warmupBars ?? [],
        argv: withoutSecrets(input.argv),
        cwd: process.cwd(),
      });
    }
    return await journaled.journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: input.startedAt });
  } catch (err) {
    throw new UsageError(
      `${journaled.journal.location}: cannot start the journal (${(err as Error).message}). Free the disk, or stop whatever holds the file.`,
    );
  }
}

/** The end of a segment; a journal that can no longer take it is said on stderr (the summary is written anyway). */
export async function endJournal(journaled: OpenedJournal, segment: number, status: string, summary: unknown, stderr: (t: string) => void): Promise<void> {
  await journaled.sink.close();
  try {
    if (segment > 0 && !journaled.sink.failed) await journaled.journal.endSegment(segment, status, summary);
  } catch (err) {
    stderr(
      `tradeloop: the journal ${journaled.journal.location} could not record the end of this segment (${(err as Error).message}); a resume replays it all the same.\n`,
    );
  }
  await journaled.journal.close();
}

function positionsOf(parts: LoopParts): Record<string, string> {
  const { broker } = parts;
  const out: Record<string, string> = {};
  for (const s of broker.symbols()) if (broker.position(s) !== 0) out[s] = formatLots(broker.position(s), broker.instrument(s));
  return out;
}

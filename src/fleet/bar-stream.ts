/**
 * The fleet's JetStream stream: created when missing, checked (and widened where that is safe)
 * when it exists. Its duplicate window is what makes a republished history harmless: the server
 * drops a message whose id it saw inside the window, so the window must cover the oldest bar a
 * publisher republishes, `--history` intervals back (JetStream's default of two minutes would let
 * an hour-old history land twice). Retention is bounded both ways, per subject and by age, so
 * the stream does not grow forever and a symbol no publisher sends any more ages out.
 */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  type StreamConfig,
  StorageType,
} from '@nats-io/jetstream';
import { nominalIntervalMs } from '../domain/interval.ts';
import { barSubject, STREAM_SUBJECTS, SUBJECT_ROOT } from './bar-message.ts';

/** Bars kept per subject (one interval of one symbol) at least: 10,000 one-minute bars are about a week. */
export const MIN_BARS_PER_SUBJECT = 10_000;
/** JetStream's own default window: never set a shorter one. */
const MIN_WINDOW_MS = 120_000;
const NS_PER_MS = 1_000_000;

export interface BarStreamLimits {
  /** The server drops a message whose id it saw this recently: (history + 2) intervals, at least 2 minutes. */
  readonly duplicateWindowMs: number;
  /** At most this many bars per subject: max(10,000, 2 × history), room for the longest warm-up and a restart's catch-up. */
  readonly maxMsgsPerSubject: number;
  /** Nothing older than that many intervals: a subject nobody publishes any more ages out; always ≥ the window. */
  readonly maxAgeMs: number;
}

export function barStreamLimits(interval: string, historyBars: number): BarStreamLimits {
  const ms = nominalIntervalMs(interval);
  const maxMsgsPerSubject = Math.max(MIN_BARS_PER_SUBJECT, 2 * historyBars);
  return {
    duplicateWindowMs: Math.max(MIN_WINDOW_MS, (historyBars + 2) * ms),
    maxMsgsPerSubject,
    maxAgeMs: maxMsgsPerSubject * ms,
  };
}

/** What was done to the stream: said on the publisher's terminal. */
export type BarStreamOutcome =
  | { readonly kind: 'created'; readonly limits: BarStreamLimits }
  | { readonly kind: 'kept'; readonly window: number; readonly storage: string }
  | { readonly kind: 'updated'; readonly changes: readonly string[]; readonly storage: string };

export type BarStreamResult = { readonly ok: true; readonly outcome: BarStreamOutcome } | { readonly ok: false; readonly refusal: string };

/** Whether a subject filter (with `*` and `>`) matches every subject `pattern` stands for. */
export function filterCovers(filter: string, pattern: string): boolean {
  const f = filter.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < f.length; i++) {
    const ft = f[i]!;
    if (ft === '>') return i < p.length;
    const pt = p[i];
    if (pt === undefined) return false;
    if (ft === '*') {
      if (pt === '>') return false;
      continue;
    }
    if (ft !== pt) return false;
  }
  return f.length === p.length;
}

const ms = (ns: number): number => Math.round(ns / NS_PER_MS);
/** A duration as an operator reads it: minutes, hours or days. */
function span(m: number): string {
  if (m < 3_600_000) return `${+(m / 60_000).toFixed(1)} min`;
  if (m < 2 * 86_400_000) return `${+(m / 3_600_000).toFixed(1)} h`;
  return `${+(m / 86_400_000).toFixed(1)} days`;
}

/**
 * Makes sure `name` takes this interval's bar subjects with a window and retention that fit a
 * `historyBars` history. A stream of someone else's (subjects outside tradeloop.bars, a
 * work-queue retention that deletes what a session reads) is refused by name, never changed.
 */
export async function ensureBarStream(jsm: JetStreamManager, name: string, interval: string, historyBars: number): Promise<BarStreamResult> {
  const want = barStreamLimits(interval, historyBars);
  const ours = barSubject(interval, '*');
  let config: StreamConfig;
  try {
    config = (await jsm.streams.info(name)).config;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    return create(jsm, name, ours, want);
  }
  if (config.retention !== RetentionPolicy.Limits) {
    return {
      ok: false,
      refusal: `--stream ${name}: the stream exists with ${config.retention} retention, which deletes bars once a consumer takes them; the fleet's stream keeps them by limits. Name another stream with --stream, or delete this one.`,
    };
  }
  const changes: string[] = [];
  const update: Partial<StreamConfig> = {};
  if (!config.subjects.some((s) => filterCovers(s, ours))) {
    // Only our own namespace is widened: a stream that takes other subjects belongs to someone else.
    if (!config.subjects.every((s) => filterCovers(`${SUBJECT_ROOT}.>`, s))) {
      return {
        ok: false,
        refusal: `--stream ${name}: the stream exists with subjects ${config.subjects.join(', ')}, which do not take ${ours}. Name another stream with --stream (default TRADELOOP_BARS), or add ${STREAM_SUBJECTS} to its subjects yourself.`,
      };
    }
    update.subjects = [STREAM_SUBJECTS];
    changes.push(`subjects ${config.subjects.join(', ')} → ${STREAM_SUBJECTS}`);
  }
  if (ms(config.duplicate_window) < want.duplicateWindowMs) {
    update.duplicate_window = want.duplicateWindowMs * NS_PER_MS;
    changes.push(`duplicate window ${span(ms(config.duplicate_window))} → ${span(want.duplicateWindowMs)}`);
  }
  // The server refuses a window longer than max_age (0: no age limit).
  if (config.max_age > 0 && ms(config.max_age) < want.duplicateWindowMs) {
    update.max_age = want.maxAgeMs * NS_PER_MS;
    changes.push(`max age ${span(ms(config.max_age))} → ${span(want.maxAgeMs)}`);
  }
  if (config.max_msgs_per_subject > 0 && config.max_msgs_per_subject < historyBars) {
    update.max_msgs_per_subject = want.maxMsgsPerSubject;
    changes.push(`bars per subject ${config.max_msgs_per_subject} → ${want.maxMsgsPerSubject}`);
  }
  if (changes.length === 0) return { ok: true, outcome: { kind: 'kept', window: ms(config.duplicate_window), storage: config.storage } };
  try {
    await jsm.streams.update(name, update);
  } catch (err) {
    return { ok: false, refusal: `--stream ${name}: cannot update it (${changes.join('; ')}): nats-server says ${(err as Error).message}.` };
  }
  return { ok: true, outcome: { kind: 'updated', changes, storage: config.storage } };
}

async function create(jsm: JetStreamManager, name: string, ours: string, want: BarStreamLimits): Promise<BarStreamResult> {
  try {
    await jsm.streams.add({
      name,
      description: 'tradeloop: closed bars, one subject per interval and symbol (tradeloop publish)',
      subjects: [STREAM_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: want.duplicateWindowMs * NS_PER_MS,
      max_age: want.maxAgeMs * NS_PER_MS,
      max_msgs_per_subject: want.maxMsgsPerSubject,
    });
  } catch (err) {
    const message = (err as Error).message;
    // Two streams cannot take one subject: say which one has it.
    const other = /overlap/i.test(message) ? await jsm.streams.find(ours.replace('*', 'X')).catch(() => null) : null;
    return {
      ok: false,
      refusal:
        other !== null
          ? `--stream ${name}: cannot create it: stream ${other} already takes ${STREAM_SUBJECTS}. Publish into it with --stream ${other}.`
          : `--stream ${name}: cannot create it: nats-server says ${message}.`,
    };
  }
  return { ok: true, outcome: { kind: 'created', limits: want } };
}

/** One line for the terminal: what the stream is and what was done to it. */
export function describeOutcome(name: string, o: BarStreamOutcome): string {
  switch (o.kind) {
    case 'created':
      return `stream ${name} created: ${STREAM_SUBJECTS}, file storage, duplicate window ${span(o.limits.duplicateWindowMs)}, at most ${o.limits.maxMsgsPerSubject} bars per subject and ${span(o.limits.maxAgeMs)} of age`;
    case 'kept':
      return `stream ${name}: as it was (duplicate window ${span(o.window)}, ${o.storage} storage)${memoryNote(o.storage)}`;
    case 'updated':
      return `stream ${name} updated: ${o.changes.join('; ')}${memoryNote(o.storage)}`;
  }
}

function memoryNote(storage: string): string {
  return storage === StorageType.Memory ? '; note: memory storage, so its bars do not survive a restart of nats-server' : '';
}

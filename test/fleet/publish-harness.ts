/**
 * Runs `tradeloop publish` in-process against a fake Binance and a nats-server, and reads back
 * what the stream holds. Each test that creates the bar stream uses a nats-server of its own
 * (startNatsServer): a stream's subjects are the server's, and two streams cannot both take
 * tradeloop.bars.>, so tests running in parallel cannot share one server's bar stream.
 */
import { jetstreamManager, type MsgRequest } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { TestContext } from 'node:test';
import { publishCommand } from '../../src/cli/publish-command.ts';
import { parsePrice } from '../../src/domain/price.ts';
import type { Bar } from '../../src/domain/types.ts';
import { parseVolume } from '../../src/domain/volume.ts';
import { type BarMessage, decodeBarMessage } from '../../src/fleet/bar-message.ts';
import type { Publisher } from '../../src/fleet/publisher.ts';
import type { Clock } from '../../src/telemetry/clock.ts';
import { type FakeBar, type FakeBinance, until } from '../helpers/fake-binance.ts';

export interface RunningPublisher {
  readonly publisher: Publisher;
  /** The terminal: stdout (start line, summary) and stderr (state changes) as written. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code once the command has returned. */
  readonly done: Promise<number>;
  stop(): Promise<number>;
}

export interface PublisherRunOptions {
  readonly fake: FakeBinance;
  readonly nats: string;
  readonly symbols: readonly string[];
  readonly stream?: string;
  readonly id?: string;
  readonly history?: number;
  readonly args?: readonly string[];
  readonly clock?: Clock;
  readonly ackTimeoutMs?: number;
}

/** Starts a publisher and resolves once its start's bars are acked and its feed runs. */
export async function startPublisher(t: TestContext, o: PublisherRunOptions): Promise<RunningPublisher> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let stopNow!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopNow = resolve));
  let started: Publisher | null = null;
  const argv = [
    '--nats',
    o.nats,
    '--ws-url',
    o.fake.wsUrl,
    '--rest-url',
    o.fake.restUrl,
    '--symbols',
    o.symbols.join(','),
    '--stream',
    o.stream ?? 'TL_TEST_BARS',
    '--publisher-id',
    o.id ?? 'test-1',
    '--history',
    String(o.history ?? 10),
    ...(o.args ?? []),
  ];
  const done = publishCommand(
    argv,
    { realtime: false, tradingHalted: false },
    { stdout: (s) => stdout.push(s), stderr: (s) => stderr.push(s) },
    {
      stopSignal,
      random: () => 0.5,
      onStarted: (p) => (started = p),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.ackTimeoutMs !== undefined ? { ackTimeoutMs: o.ackTimeoutMs } : {}),
    },
  );
  let ended = false;
  void done.then(
    () => (ended = true),
    () => (ended = true),
  );
  await until(() => started !== null || ended, 'the publisher started', 15_000);
  if (started === null) throw new Error(`the publisher ended before it started (exit ${await done}): ${stdout.join('')}${stderr.join('')}`);
  const publisher: Publisher = started;
  await publisher.live;
  const run: RunningPublisher = {
    publisher,
    stdout,
    stderr,
    done,
    stop: async () => {
      stopNow();
      return done;
    },
  };
  t.after(() => run.stop());
  return run;
}

/** A connection of the test's own, closed after it. */
export async function testConnection(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
  t.after(() => nc.close());
  return nc;
}

/** Every message on one subject, in stream order, decoded (a message that is not a bar fails the test). */
export async function subjectMessages(nc: NatsConnection, stream: string, subject: string): Promise<Array<BarMessage & { seq: number }>> {
  const jsm = await jetstreamManager(nc);
  const out: Array<BarMessage & { seq: number }> = [];
  for (let seq = 0; ; ) {
    const m = await jsm.streams.getMessage(stream, { seq, next_by_subj: subject } as unknown as MsgRequest);
    if (m === null) return out;
    const d = decodeBarMessage(m.string());
    if (!d.ok) throw new Error(`message ${m.seq} on ${subject} is not a bar: ${d.reason}`);
    out.push({ ...d.message, seq: m.seq });
    seq = m.seq + 1;
  }
}

/** Messages per subject in the stream. */
export async function subjectCounts(nc: NatsConnection, stream: string): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: '>' });
  return { ...(info.state.subjects ?? {}) };
}

/** The bar the feed makes of a fake kline: prices and volume parsed from the same text, by the same functions. */
export function expectedBar(b: FakeBar, source: Bar['source'], interval = '1m'): Bar {
  return {
    symbol: b.symbol,
    interval,
    openTime: b.openTime,
    closeTime: b.openTime + 59_999,
    open: parsePrice(b.open),
    high: parsePrice(b.high),
    low: parsePrice(b.low),
    close: parsePrice(b.close),
    volume: parseVolume(b.volume ?? '1.00000000'),
    source,
  };
}

/** Waits until the publisher's stream has acked `openTime` (or a later bar) for every symbol. */
export async function untilPublished(p: Publisher, symbols: readonly string[], openTime: number, timeoutMs = 10_000): Promise<void> {
  await until(() => symbols.every((s) => (p.lastOpenTime(s) ?? -1) >= openTime), `bars up to ${openTime} acked for ${symbols.join(',')}`, timeoutMs);
}

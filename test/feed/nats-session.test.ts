/**
 * A realtime session on the fleet's stream (`run --source nats`), in this process on a virtual
 * clock, against a real nats-server (the shared one, each test a stream and symbols of its own):
 * what an operator sees when no publisher is heard (the feed_stale halt on the terminal, lifted
 * when one is heard again), a malformed message counted and skipped while the loop goes on, the
 * stream's lag and the publisher's heartbeat age in status and /metrics, and each refusal at
 * start-up by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatStatus } from '../../src/cli/control-commands.ts';
import { main } from '../../src/cli/main.ts';
import { barSubject, encodeBarMessage } from '../../src/fleet/bar-message.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';
import { natsSkip, natsUrl } from '../helpers/nats.ts';
import { parsePromText } from '../helpers/prom-text.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';
import { scratchDir, tempDirSync } from '../helpers/temp-dir.ts';
import { minuteBar, NatsTape } from './nats-tape.ts';

const skip = natsSkip();
const BASE = Date.UTC(2026, 0, 5);
let serial = 0;

/** A stream and two symbols no other test on the shared server uses. */
async function tapeOf(t: import('node:test').TestContext): Promise<{ tape: NatsTape; a: string; b: string; stream: string }> {
  const tag = `${process.pid}X${++serial}`;
  const a = `NSA${tag}USDT`;
  const b = `NSB${tag}USDT`;
  const stream = `TL_SESSION_${tag}`;
  const tape = await NatsTape.start(t, { server: 'shared', stream, subjects: [barSubject('1m', a), barSubject('1m', b)] });
  return { tape, a, b, stream };
}

function io(): { lines: string[]; io: { stdout: (t: string) => void; stderr: (t: string) => void } } {
  const lines: string[] = [];
  return { lines, io: { stdout: (t) => lines.push(t), stderr: (t) => lines.push(t) } };
}

test('no publisher heard for --stale-after: feed_stale halts trading, on the terminal; a heartbeat lifts it; status and /metrics show the lag and the heartbeat age', {
  skip,
}, async (t) => {
  const { tape, a, b, stream } = await tapeOf(t);
  for (const s of [a, b]) await tape.publish(minuteBar(s, 0, 100, BASE));
  const run = await startRealtime({
    sourceArgs: ['--source', 'nats', '--nats', tape.url, '--stream', stream],
    args: ['--symbols', `${a},${b}`, '--stale-after', '5', '--stale-alert-after', '8', '--max-bar-age', '1000000'],
    strategy: await loadStrategy('hold', {}),
  });
  try {
    // Heartbeats are not in the stream: one sent before the session listens is not heard.
    await run.waitFor('the feed reading', (r) => (r.session.status().feed?.stream?.readThrough ?? null) !== null);
    tape.heartbeat('pub-1', [a, b]);
    for (const s of [a, b]) await tape.publish(minuteBar(s, 1, 101, BASE));
    await run.waitFor('minute 1 decided, the publisher heard', (r) => r.of('decision').length === 2 && r.session.status().feed?.stream?.publishers === 1);
    const status = run.session.status();
    assert.equal(status.feed?.state, 'live');
    assert.deepEqual(
      { ...status.feed?.stream, heartbeatAgeSeconds: 0 },
      { name: stream, server: tape.url, readThrough: 4, lag: 0, publishers: 1, heartbeatAgeSeconds: 0, gapBars: 0 },
    );
    const shown = formatStatus(status);
    assert.match(shown, new RegExp(`stream    ${stream} on ${tape.url}: read through seq 4, 0 behind; publishers heard 1, last heartbeat [0-9.]+ s ago`));

    run.clock.advance(4_000);
    assert.equal(run.session.status().state, 'ACTIVE', 'not stale yet');
    assert.equal(run.session.status().feed?.stream?.heartbeatAgeSeconds, 4);
    run.clock.advance(2_000);
    await run.waitFor('feed_stale', (r) => r.session.status().halts.some((h) => h.reason === 'feed_stale'));
    assert.equal(run.session.status().state, 'HALTED');
    assert.equal(run.session.status().feed?.state, 'stale');
    run.clock.advance(3_000);
    await run.waitFor('the stale alert', (r) => r.of('alert').some((e) => e.kind === 'stale'));
    const terminal = run.stdout.join('');
    assert.match(terminal, new RegExp(`HALT {4}feed_stale \\(auto, halted\\): no publisher heard for ${a}, ${b} in \\d+ ms`));
    assert.match(
      terminal,
      new RegExp(`ALERT {3}stale: no publisher heard for ${a}, ${b} in \\d+ s on ${tape.url}: is tradeloop publish running for them into the stream ${stream}`),
    );

    // While halted the metrics say how old the last heartbeat is.
    const res = await fetch(`${run.controlUrl}/metrics`);
    const m = parsePromText(await res.text());
    assert.equal(m.value('tradeloop_stream_lag_messages', { stream }), 0);
    assert.equal(m.value('tradeloop_stream_read_sequence', { stream }), 4);
    assert.equal(m.value('tradeloop_publisher_heartbeat_age_seconds', { stream }), 9);
    assert.equal(m.value('tradeloop_stream_publishers', { stream }), 1);

    // Another stream's publisher says nothing of this one; one publishing only A leaves B silent.
    tape.heartbeat('other', [a, b], { stream: `${stream}_OTHER` });
    tape.heartbeat('pub-a', [a]);
    await run.waitFor('the heartbeat for A', (r) => r.session.status().feed?.stream?.heartbeatAgeSeconds === 0);
    assert.equal(run.session.status().state, 'HALTED', `still halted: nothing heard for ${b}`);
    assert.equal(run.session.status().feed?.stream?.publishers, 2, "pub-1 and pub-a; not the other stream's");
    tape.heartbeat('pub-1', [a, b]);
    await run.waitFor('feed_stale lifted', (r) => !r.session.status().halts.some((h) => h.reason === 'feed_stale'));
    assert.equal(run.session.status().state, 'ACTIVE');
    assert.match(run.stdout.join(''), /RESUME {2}feed_stale lifted \(auto\) -> trading ACTIVE/);
    // The publisher of B dies; A's goes on beating: B's silence halts, naming B alone.
    run.clock.advance(3_000);
    tape.heartbeat('pub-a', [a]);
    await run.waitFor('A heard', (r) => r.session.status().feed?.stream?.heartbeatAgeSeconds === 0);
    run.clock.advance(3_000);
    await run.waitFor('feed_stale for B', (r) => r.session.status().halts.some((h) => h.reason === 'feed_stale'));
    const held = run.session.status().halts.find((h) => h.reason === 'feed_stale')!;
    assert.match(held.detail, new RegExp(`no publisher heard for ${b} in \\d+ ms`));
    assert.doesNotMatch(held.detail, new RegExp(a));
    tape.heartbeat('pub-b', [b]);
    await run.waitFor('lifted again', (r) => !r.session.status().halts.some((h) => h.reason === 'feed_stale'));
  } finally {
    assert.equal(await run.stop(), 0);
  }
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8')) as { stream: unknown; halts: { raised: Record<string, number> } };
  assert.deepEqual(summary.stream, { name: stream, server: tape.url });
  // The terminal says where the bars come from, at the start and in the summary.
  const terminal = run.stdout.join('');
  assert.match(terminal, new RegExp(`tradeloop realtime run rt-\\S+: ${a},${b} 1m from stream ${stream} on ${tape.url} \\(paper only\\)`));
  assert.match(terminal, new RegExp(`stream {8}${stream} on ${tape.url}: read through seq 4 {3}lag 0 {3}publishers heard 3 {3}bars the stream lacked 0`));
  assert.equal(summary.halts.raised.feed_stale, 2);
});

test('a malformed message on a symbol of the session is counted and skipped; the loop decides on; the summary says so', { skip }, async (t) => {
  const { tape, a, b, stream } = await tapeOf(t);
  for (const s of [a, b]) await tape.publish(minuteBar(s, 0, 100, BASE));
  const run = await startRealtime({
    sourceArgs: ['--source', 'nats', '--nats', tape.url, '--stream', stream],
    args: ['--symbols', `${a},${b}`, '--max-bar-age', '1000000'],
    strategy: await loadStrategy('hold', {}),
  });
  try {
    await tape.publishRaw(barSubject('1m', a), '{"symbol":"x"');
    // A bar of another symbol on this symbol's subject is no bar of it either.
    await tape.publishRaw(barSubject('1m', b), encodeBarMessage(minuteBar(a, 1, 101, BASE), BASE, BASE));
    for (const s of [a, b]) await tape.publish(minuteBar(s, 1, 101, BASE));
    await run.waitFor('minute 1 decided', (r) => r.of('decision').length === 2);
  } finally {
    assert.equal(await run.stop(), 0);
  }
  const skips = run.of('skip');
  assert.deepEqual(
    skips.map((e) => [e.symbol, e.reason, e.origin]),
    [
      [a, 'malformed', `stream ${stream} seq 3`],
      [b, 'malformed', `stream ${stream} seq 4`],
    ],
  );
  assert.match(String(skips[0]!.message), /not a bar message \(not JSON\)/);
  assert.match(String(skips[1]!.message), new RegExp(`a ${a} 1m bar on subject tradeloop.bars.1m.${b}`));
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8')) as { feed: Record<string, number>; skipsByReason: Record<string, number> };
  assert.equal(summary.feed.malformed, 2);
  assert.equal(summary.feed.messages, 4);
  assert.equal(summary.feed.closedBars, 2);
  assert.deepEqual(summary.skipsByReason, { malformed: 2 });
});

test('--source nats is refused by name: without --nats, with a Binance flag, --stream without it, a symbol no publisher publishes, a stream that does not exist, a server out of reach', {
  skip,
}, async (t) => {
  const env = { FLAG_REALTIME: '1' };
  const run = async (args: readonly string[]): Promise<{ code: number; text: string }> => {
    const o = io();
    const code = await main(['run', ...args, '--out', scratchDir('tl-nats-refused-'), '--quiet'], o.io, env);
    return { code, text: o.lines.join('') };
  };
  let r = await run(['--source', 'nats', '--symbols', 'BTCUSDT']);
  assert.equal(r.code, 2);
  assert.match(r.text, /--source nats needs --nats URL/);
  r = await run(['--source', 'nats', '--nats', 'nats://127.0.0.1:4222', '--ws-url', 'ws://127.0.0.1:1', '--ping-interval', '5']);
  assert.equal(r.code, 2);
  assert.match(r.text, /--ws-url, --ping-interval: not for --source nats/);
  r = await run(['--source', 'realtime', '--stream', 'TRADELOOP_BARS']);
  assert.equal(r.code, 2);
  assert.match(r.text, /--stream TRADELOOP_BARS: only for --source nats/);
  r = await run(['--source', 'nats', '--nats', 'nats://127.0.0.1:4222', '--stream', 'a.b']);
  assert.equal(r.code, 2);
  assert.match(r.text, /--stream "a.b": not a stream name/);

  const { tape, a, stream } = await tapeOf(t);
  await tape.publish(minuteBar(a, 0, 100, BASE));
  const missing = `NOPE${process.pid}USDT`;
  r = await run(['--source', 'nats', '--nats', natsUrl(), '--stream', stream, '--symbols', `${a},${missing}`]);
  assert.equal(r.code, 2, r.text);
  assert.match(r.text, new RegExp(`--symbols: ${missing} has no 1m bars in the stream ${stream} .*Start a publisher for it \\(tradeloop publish`));
  r = await run(['--source', 'nats', '--nats', natsUrl(), '--stream', `${stream}_NONE`, '--symbols', a]);
  assert.equal(r.code, 1, r.text);
  assert.match(r.text, new RegExp(`--stream ${stream}_NONE: no such stream on .*A publisher makes it`));
  const where = join(tempDirSync(t, 'tl-nats-refused-out-'), 'out');
  assert.equal(
    await main(['run', '--source', 'nats', '--nats', natsUrl(), '--stream', `${stream}_NONE`, '--symbols', a, '--out', where, '--quiet'], io().io, env),
    1,
  );
  assert.equal(existsSync(where), false, 'a refused start leaves no folder behind (no session lock, no empty journal)');
  r = await run(['--source', 'nats', '--nats', 'nats://127.0.0.1:1', '--symbols', a]);
  assert.equal(r.code, 1, r.text);
  // A session with --nats joins the fleet first (its halt state is read before the feed connects): that refusal comes first.
  assert.match(r.text, /--nats nats:\/\/127\.0\.0\.1:1: cannot connect to the fleet's nats-server \(connection refused\)\. Is it running there\?/);
  const gated = io();
  assert.equal(await main(['run', '--source', 'nats', '--nats', natsUrl(), '--stream', stream, '--symbols', a], gated.io, {}), 2);
  assert.match(gated.lines.join(''), /realtime mode is off. It is gated by FLAG_REALTIME/, 'FLAG_REALTIME gates it as any realtime session');
});

/**
 * Alert webhooks against real HTTP servers on 127.0.0.1: one that answers 200, one that answers
 * 500, one that never answers. Every delay (the 2 s timeout, the retry backoff, the fold window)
 * runs on a virtual clock, and write() never waits for any of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookAlerts, webhookLabel, type WebhookPayload } from '../../src/sinks/webhook-alerts.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import type { TradeEvent } from '../../src/events/types.ts';

interface Hook {
  readonly url: string;
  readonly got: WebhookPayload[];
  hits: number;
  readonly server: Server;
  /** 'hang': the requests left unanswered, for the test to answer when it chooses. */
  readonly held: ServerResponse[];
}

async function hook(answer: 'ok' | 'error' | 'hang'): Promise<Hook> {
  const h: Hook = { url: '', got: [], hits: 0, server: createServer(), held: [] };
  h.server.on('request', (req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      h.hits++;
      if (answer === 'hang') {
        h.held.push(res); // not answered unless the test does
        return;
      }
      if (answer === 'error') {
        res.writeHead(500).end('no');
        return;
      }
      h.got.push(JSON.parse(body) as WebhookPayload);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => h.server.listen(0, '127.0.0.1', resolve));
  (h as { url: string }).url = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}/services/T000/B000/SECRET`;
  return h;
}

const stop = (h: Hook) =>
  new Promise<void>((resolve) => {
    h.server.closeAllConnections();
    h.server.close(() => resolve());
  });

/** Lets sockets and promises move (real I/O), without moving the virtual clock. */
async function settle(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const alert = (kind: 'latency' | 'disconnect' | 'stale' | 'backfill', message: string, at = 1_700_000_000_000): TradeEvent => ({
  type: 'alert',
  kind,
  message,
  at,
});

test('each alert is one JSON POST that Slack (text) and Discord (content) accept as it is', async (t) => {
  const ok = await hook('ok');
  t.after(() => stop(ok));
  const clock = new VirtualClock();
  const w = new WebhookAlerts({ urls: [ok.url], runId: 'rt-1', clock });
  w.write(1, { type: 'trading_state', from: 'ACTIVE', to: 'HALTED', halts: ['operator'], source: 'operator' });
  w.write(2, alert('disconnect', 'connection 1 closed (code 1006)'));
  await settle(() => ok.got.length === 1, 'delivery');
  const p = ok.got[0]!;
  assert.deepEqual([p.kind, p.runId, p.state, p.time], ['disconnect', 'rt-1', 'HALTED', new Date(1_700_000_000_000).toISOString()]);
  assert.match(p.text, /HALTED disconnect: connection 1 closed/);
  assert.equal(p.content, p.text);
  await w.close();
  assert.deepEqual({ ...w.stats }, { delivered: 1, retried: 0, dropped: 0, failed: 0, suppressed: 0 });
  assert.equal(webhookLabel(ok.url).includes('SECRET'), false, 'a webhook URL is shown without its secret path');
});

test('a server answering 500 is retried with backoff on the clock, then given up; write() never waits', async (t) => {
  const bad = await hook('error');
  t.after(() => stop(bad));
  const clock = new VirtualClock();
  const w = new WebhookAlerts({ urls: [bad.url], runId: 'r', clock });
  const before = performance.now();
  w.write(1, alert('stale', 'feed stale'));
  assert.ok(performance.now() - before < 50, 'write() only enqueues');
  for (const [wait, hits] of [
    [0, 1],
    [1000, 2],
    [2000, 3],
    [4000, 4],
  ] as const) {
    clock.advance(wait);
    await settle(() => bad.hits === hits, `attempt ${hits}`);
    // The next wait starts when the client has seen the 500, not when the server sent it.
    if (hits < 4) await settle(() => w.stats.retried === hits, `retry ${hits} scheduled`);
  }
  await settle(() => w.stats.failed === 1, 'given up');
  assert.deepEqual([w.stats.retried, w.stats.delivered], [3, 0]);
  await w.close();
});

test('a server that never answers times out after 2 s of the clock and is retried; the queue stays bounded, oldest dropped', async (t) => {
  const slow = await hook('hang');
  t.after(() => stop(slow));
  const clock = new VirtualClock();
  const w = new WebhookAlerts({ urls: [slow.url], runId: 'r', clock, queueMax: 3 });
  w.write(1, alert('stale', 'a'));
  await settle(() => slow.hits === 1, 'first POST in flight');
  // Four more kinds while the first hangs: the queue holds 3, so the oldest waiting one goes.
  w.write(2, alert('latency', 'b'));
  w.write(3, alert('disconnect', 'c'));
  w.write(4, alert('backfill', 'd'));
  w.write(5, { type: 'alert', kind: 'queue_full', message: 'e' });
  assert.equal(w.stats.dropped, 1);
  // At 1999 ms the first POST is still the client's to lose: answered now, it is delivered, not retried.
  clock.advance(1999);
  slow.held[0]!.writeHead(200).end('ok');
  await settle(() => w.stats.delivered === 1, 'the late answer delivered');
  assert.deepEqual([w.stats.retried, w.stats.failed], [0, 0], 'not timed out before 2 s');
  // The next waiting alert goes out and is left unanswered: at 2 s of the clock it times out.
  await settle(() => slow.hits === 2, 'the next POST in flight');
  clock.advance(2000);
  await settle(() => w.stats.retried === 1, 'timed out and scheduled a retry');
  clock.advance(1000);
  await settle(() => slow.hits === 3, 'the retry went out');
  await w.close(0);
  assert.ok(w.stats.dropped >= 1);
});

test('repeats of one kind within a minute fold into one message saying how many were suppressed', async (t) => {
  const ok = await hook('ok');
  t.after(() => stop(ok));
  const clock = new VirtualClock();
  const w = new WebhookAlerts({ urls: [ok.url], runId: 'r', clock });
  for (let i = 0; i < 5; i++) w.write(i, alert('latency', `slow ${i}`));
  w.write(9, alert('disconnect', 'other kind goes at once'));
  // Delivered as the client sees it: a POST still in flight would time out when the clock jumps.
  await settle(() => ok.got.length === 2 && w.stats.delivered === 2, 'first of each kind');
  assert.deepEqual(
    ok.got.map((p) => p.message),
    ['slow 0', 'other kind goes at once'],
  );
  assert.equal(w.stats.suppressed, 4);
  clock.advance(60_000);
  await settle(() => ok.got.length === 3, 'the folded message');
  assert.equal(ok.got[2]!.suppressed, 4);
  assert.match(ok.got[2]!.message, /4 more latency alert\(s\).*slow 4/);
  await w.close();
});

test('a webhook URL with user:pass@ delivers, the credentials sent as Basic auth (fetch refuses them in the URL)', async (t) => {
  const auths: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    auths.push(req.headers.authorization);
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const url = `http://al%40ice:p%3Ass@127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const w = new WebhookAlerts({ urls: [url], runId: 'rt-1', clock: new VirtualClock() });
  w.write(1, alert('disconnect', 'connection 1 closed'));
  await settle(() => auths.length === 1, 'delivery');
  await w.close();
  assert.equal(auths[0], `Basic ${Buffer.from('al@ice:p:ss').toString('base64')}`);
  assert.deepEqual([w.stats.delivered, w.stats.failed], [1, 0]);
});

/**
 * A server that fills the queue again and again raised 113 queue_full lines in 10 s: the terminal
 * now says a noisy kind once a minute and counts the rest on its next line (and at the end); alerts
 * about the account or the kill switch are never folded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleLines } from '../../src/sinks/console-lines.ts';
import { LotSteps } from '../../src/events/lot-steps.ts';

test('queue_full alerts: one line a minute, the rest counted; a loss_limit alert is always said', () => {
  const lines: string[] = [];
  const c = new ConsoleLines((l) => lines.push(l), null, new LotSteps(new Map()));
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < 113; i++) c.write(i, { type: 'alert', kind: 'queue_full', message: 'the bar queue is full', at: t0 + i * 88 });
  for (let i = 0; i < 3; i++) c.write(200 + i, { type: 'alert', kind: 'loss_limit', message: `drawdown ${i}`, at: t0 + i });
  c.write(300, { type: 'alert', kind: 'queue_full', message: 'the bar queue is full', at: t0 + 61_000 });
  c.write(301, { type: 'alert', kind: 'queue_full', message: 'the bar queue is full', at: t0 + 62_000 });
  c.close();
  const queue = lines.filter((l) => l.includes('queue_full'));
  assert.equal(queue.length, 3);
  assert.match(queue[1]!, /and 112 more queue_full alert\(s\) in the minute before/);
  assert.match(queue[2]!, /1 more queue_full alert\(s\) in the last minute, not shown/);
  assert.equal(lines.filter((l) => l.includes('loss_limit')).length, 3);
});

test("a feed back from an outage is said on the terminal even inside the disconnect alert's fold minute; its other states are not lines", () => {
  const lines: string[] = [];
  const c = new ConsoleLines((l) => lines.push(l), null, new LotSteps(new Map()));
  const t0 = 1_700_000_000_000;
  c.write(1, { type: 'feed', state: 'connecting', detail: 'connecting', at: t0 });
  c.write(2, { type: 'feed', state: 'live', detail: 'reading the stream', at: t0 + 1 });
  c.write(3, { type: 'alert', kind: 'disconnect', message: 'lost nats-server', at: t0 + 2 });
  c.write(4, { type: 'feed', state: 'disconnected', detail: 'lost nats-server', at: t0 + 2 });
  c.write(5, { type: 'alert', kind: 'disconnect', message: 'lost nats-server again', at: t0 + 3 });
  c.write(6, { type: 'feed', state: 'live', detail: 'reconnected to nats-server after 14 s away; reading on after seq 812', at: t0 + 14_000 });
  c.write(7, { type: 'feed', state: 'stale', detail: 'no publisher', at: t0 + 20_000 });
  c.close();
  assert.deepEqual(
    lines.map((l) => l.replace(/^tradeloop \S+ /, '')),
    [
      'ALERT   disconnect: lost nats-server\n',
      'FEED    live again: reconnected to nats-server after 14 s away; reading on after seq 812\n',
      lines.at(-1)!.replace(/^tradeloop \S+ /, ''),
    ],
  );
  assert.match(lines.at(-1)!, /1 more disconnect alert/);
});

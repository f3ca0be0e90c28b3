import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NdjsonWriter } from '../../src/sinks/ndjson-writer.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import type { BarEvent } from '../../src/events/types.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const bar = (symbol: string, i: number): BarEvent => ({
  type: 'bar',
  symbol,
  interval: '1m',
  openTime: i * 60_000,
  open: 150_000_000,
  high: 200_000_000,
  low: 100_000_000,
  close: 175_000_000,
  volume: i,
  source: 'ws',
});

test('batched writes from a small pool keep every line, in order, across many buffers', async (t) => {
  const path = join(tempDirSync(t, 'tl-w-'), 'events.ndjson');
  const bus = new EventBus([new NdjsonWriter(path, { batchBytes: 4096, poolSize: 2 })]);
  for (let i = 0; i < 20_000; i++) bus.emit(bar(i % 3 === 0 ? '这是测试币456' : 'BTCUSDT', i));
  await bus.close();
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines.length, 20_000);
  lines.forEach((line, i) => {
    const e = JSON.parse(line);
    assert.equal(e.seq, i + 1);
    assert.equal(e.volume, i);
    assert.equal(e.symbol, i % 3 === 0 ? '这是测试币456' : 'BTCUSDT');
  });
});

test('a durable writer has everything in the file after flush, before the next event', async (t) => {
  const path = join(tempDirSync(t, 'tl-w-'), 'events.ndjson');
  const bus = new EventBus([new NdjsonWriter(path, { durable: true })]);
  bus.emit(bar('ETHUSDT', 1));
  assert.equal(readFileSync(path, 'utf8'), '', 'nothing before the flush');
  bus.flush();
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 2);
  bus.emit({ type: 'alert', kind: 'stale', message: 'line with "quotes" and ünïcode', at: 5 });
  bus.flush();
  const last = JSON.parse(readFileSync(path, 'utf8').trim().split('\n')[1]!);
  assert.equal(last.message, 'line with "quotes" and ünïcode');
  await bus.close();
});

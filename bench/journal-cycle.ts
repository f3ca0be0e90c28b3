/**
 * `node bench/journal-cycle.ts`: the journal's CPU a cycle, without the rest of a run. A JournalSink
 * on a SQLite journal takes cycles as a static run makes them (a bar and its decision; every 16th
 * an order, and a fill at the next bar's open, before its decision), flushed every 1,000 and awaited
 * as the static driver does; the loop's thread's CPU (process.threadCpuUsage) and the whole
 * process's are printed per cycle, for the in-thread store and the one with a writer thread. CPU
 * time moves less than wall time on a shared machine; the harness's own event objects are counted.
 *
 * Usage: node bench/journal-cycle.ts [--cycles 200000] [--reps 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeInstrument } from '../src/broker/instrument.ts';
import type { TradeEvent } from '../src/events/types.ts';
import { JournalSink } from '../src/journal/journal-sink.ts';
import { openJournalStore } from '../src/journal/open-journal-store.ts';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '200000' }, reps: { type: 'string', default: '3' } } });
const cycles = Number(values.cycles);
const instruments = new Map([
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
  ['ETHUSDT', makeInstrument('ETHUSDT', '0.0001')!],
]);

async function once(thread: boolean): Promise<{ loop: number; process: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-bench-journal-cycle-'));
  try {
    const journal = await openJournalStore({ kind: 'sqlite', path: join(dir, 'journal.sqlite'), durable: false, instruments, thread });
    await journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
    const sink = new JournalSink(journal, (err) => {
      throw err;
    });
    let seq = 0;
    const thread0 = process.threadCpuUsage();
    const process0 = process.cpuUsage();
    for (let i = 0; i < cycles; i++) {
      const symbol = i & 1 ? 'ETHUSDT' : 'BTCUSDT';
      const openTime = 1_704_067_200_000 + (i >> 1) * 60_000;
      const open = 5_000_000 + (i % 977) * 13;
      const buys = i % 16 === 4;
      sink.noteBar({ file: `${symbol}.csv`, line: (i >> 1) + 2 });
      const bar: TradeEvent = {
        type: 'bar',
        symbol,
        interval: '1m',
        openTime,
        open,
        high: open + 120,
        low: open - 97,
        close: open + 11,
        volume: 12.5 + (i % 100),
        source: 'csv',
      };
      sink.write(++seq, bar);
      if (i % 16 === 6)
        sink.write(++seq, {
          type: 'fill',
          orderId: `${symbol}-${i - 2}-0`,
          symbol,
          openTime,
          side: 'buy',
          qty: 100,
          price: open,
          fee: 123n,
          realizedPnl: 0n,
          cash: 1_000_000_000n,
          position: 100,
        });
      const decision: TradeEvent = {
        type: 'decision',
        symbol,
        openTime,
        action: buys ? 'buy' : 'hold',
        qty: buys ? 100 : 0,
        intents: buys ? 1 : 0,
        position: (i % 31) * 1000,
        equity: 10_000_000_000_000n + BigInt(i * 7),
      };
      sink.write(++seq, decision);
      if (buys) sink.write(++seq, { type: 'order', orderId: `${symbol}-${i}-0`, symbol, openTime, side: 'buy', orderType: 'market', qty: 100 });
      sink.endCycle();
      if ((i + 1) % 1000 === 0) sink.flush();
      if ((i + 1) % 2000 === 0) await sink.whenInFlightAtMost(1);
    }
    await sink.close();
    const t = process.threadCpuUsage(thread0);
    const p = process.cpuUsage(process0);
    await journal.close();
    return { loop: (t.user + t.system) / cycles, process: (p.user + p.system) / cycles };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let r = 0; r < Number(values.reps); r++) {
  for (const thread of [false, true]) {
    const { loop, process: all } = await once(thread);
    console.log(
      `${thread ? 'writer thread' : 'in-thread    '}  loop's thread ${loop.toFixed(2)} µs a cycle, whole process ${all.toFixed(2)} µs a cycle (${cycles.toLocaleString('en-US')} cycles)`,
    );
  }
}

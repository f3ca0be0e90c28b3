/**
 * `npm run bench:soak`: memory over a long session. 100 symbols over a compressed day (1,440
 * one-minute bars each, played at --speed bar-minutes per wall minute) against the replay server,
 * with faults on a schedule: every connection cut without a close frame, and every connection
 * silent for longer than --stale-after (a stale halt, an alert, a replacement connection). The
 * client's peak RSS over the whole session is the figure (goal: under 200 MiB), with its checks:
 * every bar of the tape decided exactly once (gaps backfilled over REST). Writes the "## Soak"
 * section of docs/benchmarks.md.
 *
 * Usage: npm run bench:soak [-- --symbols 100 --bars 1440 --speed 720 --no-doc]
 */
import { loadavg } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureRealtimeData } from './lib/realtime-data.ts';
import { startServerProcess } from './lib/realtime-procs.ts';
import { runJsonProcess } from './lib/json-process.ts';
import { REALTIME_NODE_FLAGS } from '../src/cli/node-flags.ts';
import type { ClientResult, ClientSpec } from './lib/realtime-client.ts';
import { readSummary } from './lib/realtime-analyse.ts';
import { writeSection } from './lib/doc-section.ts';
import { describeMachine, machine } from './lib/machine.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const GOAL_RSS_MIB = 200;
const HISTORY_BARS = 30;
const { values } = parseArgs({
  allowNegative: true,
  options: { symbols: { type: 'string' }, bars: { type: 'string' }, speed: { type: 'string' }, doc: { type: 'boolean', default: true } },
});
const symbolCount = Number(values.symbols ?? 100);
const liveBars = Number(values.bars ?? 1440);
const speed = Number(values.speed ?? 720);
const code = provenance(REPO);
const loadAtStart = loadavg()[0]!;

const data = ensureRealtimeData(join(REPO, 'bench', '.data'), {
  symbols: symbolCount,
  rowsPerSymbol: HISTORY_BARS + liveBars,
  seed: 20260309,
  startMs: Date.parse('2024-01-01T00:00:00Z'),
});
const startAt = data.startMs + HISTORY_BARS * 60_000;
const server = await startServerProcess({ symbols: data.symbols, dataDir: data.dir, speed, updatesPerBar: 2, startAt });
const outDir = mkdtempSync(join(tmpdir(), 'tradeloop-soak-'));
const expectedBars = symbolCount * liveBars;
const sessionMs = (liveBars * 60_000) / speed;
const faults: string[] = [];
const timers: NodeJS.Timeout[] = [];
try {
  // Faults once the tape runs: a cut every 25 s, and a 12 s silence (past --stale-after 5 s and
  // --stale-alert-after 10 s) every 40 s.
  void server.tapeStarted.then(() => {
    for (let t = 25_000; t < sessionMs; t += 25_000)
      timers.push(
        setTimeout(() => {
          server.fault('drop');
          faults.push(`cut at ${t / 1000} s`);
        }, t),
      );
    for (let t = 40_000; t < sessionMs; t += 40_000) {
      timers.push(
        setTimeout(() => {
          server.fault('stall on');
          faults.push(`silent at ${t / 1000} s`);
        }, t),
      );
      timers.push(setTimeout(() => server.fault('stall off'), t + 12_000));
    }
  });
  const spec: ClientSpec = {
    wsUrl: server.wsUrl,
    restUrl: server.restUrl,
    symbols: data.symbols,
    outDir,
    expectedBars,
    timeoutMs: sessionMs * 2 + 120_000,
    args: [],
  };
  const result = await runJsonProcess<ClientResult>('realtime-client.ts', spec, 'realtime client', REALTIME_NODE_FLAGS);
  for (const t of timers) clearTimeout(t);
  await server.close();
  const summary = readSummary(outDir);
  const rssMib = result.maxRssKb / 1024;
  const ok = !result.timedOut && summary.decisions === expectedBars;
  const f = summary.feed ?? {};
  const line =
    `Peak RSS ${rssMib.toFixed(0)} MiB over a ${(sessionMs / 1000).toFixed(0)} s session of ${symbolCount} symbols × ${liveBars} bars with ${faults.length} faults ` +
    `(goal: under ${GOAL_RSS_MIB} MiB): ${rssMib < GOAL_RSS_MIB ? '**met**' : '**not met**'}. Every bar decided once: ${ok ? '**yes**' : `**no** (${summary.decisions} of ${expectedBars}${result.timedOut ? ', timed out' : ''})`}.`;
  process.stdout.write(`${line.replaceAll('**', '')}\nfeed: ${JSON.stringify(f)}\nfaults: ${faults.join(', ')}\n`);
  if (values.doc) {
    writeSection(
      join(REPO, 'docs', 'benchmarks.md'),
      '## Soak',
      [
        `_Written by \`npm run bench:soak\` (bench/soak.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Rerun the bench rather than editing these figures._`,
        '',
        `**Verdict.** ${line}`,
        '',
        `- Machine: ${describeMachine(machine())}; load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end. Code: ${describeProvenance(code, provenance(REPO))}.`,
        `- Session: the replay server (its own process) plays ${liveBars} one-minute bars of ${symbolCount} synthetic pairs at speed ${speed} (2 updates a bar), to \`run --source realtime\` (sma-cross, default flags, full event log) in a process of its own.`,
        `- Faults: ${faults.join(', ') || 'none'}. Each cut is reconnected and its gap backfilled over REST; each silence raises a stale halt and an alert and replaces the connection.`,
        `- Feed counters: ${Object.entries(f)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}.`,
        `- Peak RSS: \`process.resourceUsage().maxRSS\` of the client, start-up included. CPU: ${(result.cpuUserMs / 1000).toFixed(1)} s user, ${(result.cpuSystemMs / 1000).toFixed(1)} s system.`,
      ].join('\n'),
    );
  }
} finally {
  server.kill();
  rmSync(outDir, { recursive: true, force: true });
}

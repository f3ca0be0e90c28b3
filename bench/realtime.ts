/**
 * `npm run bench:realtime`: the realtime feed against the replay server over loopback, every
 * server and client in a process of its own. Two scenarios:
 *
 * - Throughput: speed max with 1, 100 and 1000 symbols: messages/s and closed bars/s the client
 *   handles (against a bare ws client's floor on the same server), receive→broker p50/p99/max,
 *   peak RSS, and the check that no message was dropped and every bar was decided exactly once.
 * - Live pace: 1, 100 and 1000 symbols each closing a bar once a second (1m bars at speed 60):
 *   receive→broker p50/p99/max and where it goes. 1000 symbols is the goal case (the speed
 *   issue's: receive→broker p99 ≤ 25 ms, a released slice decided within 5 ms).
 *
 * Writes the "## Realtime feed" section of docs/benchmarks.md. Speed is measured here, never
 * timed in tests.
 *
 * Usage: npm run bench:realtime [-- --reps 3 --scale 1 --goal-seconds 25 --pace-seconds 15 --seed 20260309 --no-floor --no-doc]
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSection } from './lib/doc-section.ts';
import { describeMachine, machine } from './lib/machine.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';
import { ensureRealtimeData } from './lib/realtime-data.ts';
import {
  allClients,
  consoleReport,
  goalRun,
  GOAL_SYMBOLS,
  markdownSection,
  ms,
  type PacedRun,
  type RealtimeBenchInput,
  type ThroughputSet,
} from './lib/realtime-report.ts';
import { INTERVAL_MS, runClient, runFloor, type ClientRun, type FloorRun, type RunPlan } from './lib/realtime-scenario.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DATA_BASE = join(REPO, 'bench', '.data');
const DOC = join(REPO, 'docs', 'benchmarks.md');
const START_ISO = '2024-01-01T00:00:00Z';
/** Bars before the tape: sma-cross's warm-up (slow + 1 = 21) and a margin. */
const HISTORY_BARS = 30;
/** Throughput runs: live bars per symbol, before --scale; a few seconds each at the rates seen so far. */
const THROUGHPUT = [
  { symbols: 1, liveBars: 40_000 },
  { symbols: 100, liveBars: 400 },
  { symbols: 1000, liveBars: 60 },
] as const;
/**
 * Live pace: a 1m bar lasts one second of wall time, with one x:false (the bar's open) and the
 * x:true. 1 and 100 symbols show how latency grows with the slice; 1000 is the goal case.
 */
const PACED_SYMBOLS = [1, 100, GOAL_SYMBOLS] as const;
const PACE_SPEED = 60;
const PACE_UPDATES_PER_BAR = 1;
/**
 * Seconds at the start of a paced run left out of its latency figures (still checked): the first
 * slices run on cold code, at two to five times the steady cost, which a session of hours never
 * sees again. The report gives the goal's figure with them too.
 */
const PACE_WARMUP_S = 5;

function fail(message: string): never {
  process.stderr.write(`bench:realtime: ${message}\n`);
  process.exit(2);
}

function numberFlag(flag: string, raw: string | undefined, fallback: number, min: number, max: number, whole: boolean): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (whole && !Number.isInteger(n))) {
    fail(`--${flag} ${raw}: expected ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
  }
  return n;
}

const { values } = parseArgs({
  allowNegative: true,
  options: {
    'goal-seconds': { type: 'string' },
    'pace-seconds': { type: 'string' },
    reps: { type: 'string' },
    scale: { type: 'string' },
    seed: { type: 'string' },
    floor: { type: 'boolean', default: true },
    doc: { type: 'boolean', default: true },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(
    'Usage: npm run bench:realtime [-- --reps N (throughput repetitions, default 3) --scale F (throughput run length, default 1; 0 skips them)\n' +
      '  --goal-seconds N (the 1000-symbol live-pace run, default 25; 0 skips it) --pace-seconds N (the 1- and 100-symbol ones, default 15; 0 skips them)\n' +
      '  --seed N --no-floor --no-doc]\n',
  );
  process.exit(0);
}
const goalSeconds = numberFlag('goal-seconds', values['goal-seconds'], 25, 0, 600, true);
const paceSeconds = numberFlag('pace-seconds', values['pace-seconds'], 15, 0, 600, true);
const reps = numberFlag('reps', values.reps, 3, 1, 20, true);
const scale = numberFlag('scale', values.scale, 1, 0, 100, false);
const seed = numberFlag('seed', values.seed, 20260309, 0, 2 ** 32 - 1, true);

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const startMs = Date.parse(START_ISO);
const startAt = startMs + HISTORY_BARS * INTERVAL_MS;

const m = machine();
const codeBefore = provenance(REPO);
const loadAtStart = loadavg()[0]!;
log(`realtime bench: ${describeMachine(m)}; load average ${loadAtStart.toFixed(2)}`);

function plan(symbols: number, liveBars: number, warmupBars: number, speed: RunPlan['speed'], updatesPerBar: number): RunPlan {
  const started = performance.now();
  const data = ensureRealtimeData(DATA_BASE, { symbols, rowsPerSymbol: HISTORY_BARS + liveBars, seed, startMs });
  if (!data.reused)
    log(`  data: ${symbols} × ${HISTORY_BARS + liveBars} bars generated in ${((performance.now() - started) / 1000).toFixed(1)} s into ${data.dir}`);
  const bars = symbols * liveBars;
  // Generous: a stuck run should fail, not hang; a slow one should finish.
  const timeoutMs = speed === 'max' ? 60_000 + bars * 2 : 60_000 + liveBars * (60_000 / speed) * 2;
  return { symbols: data.symbols, dataDir: data.dir, startAt, liveBars, warmupBars, speed, updatesPerBar, timeoutMs };
}

function describeRun(c: ClientRun): string {
  const a = c.analysis;
  return (
    `${Math.round(c.messagesPerS).toLocaleString('en-US')} msg/s, ${Math.round(c.barsPerS).toLocaleString('en-US')} bars/s, ` +
    `receive→broker p50 ${ms(a.receiveToBroker.p50)} p99 ${ms(a.receiveToBroker.p99)} max ${ms(a.receiveToBroker.max)} ms, ` +
    `peak RSS ${(c.result.maxRssKb / 1024).toFixed(0)} MiB${c.problems.length > 0 ? `; CHECKS FAILED: ${c.problems.join('; ')}` : ''}`
  );
}

const started = performance.now();
const throughput: ThroughputSet[] = [];
if (scale > 0) {
  const sets = THROUGHPUT.map((t) => {
    const liveBars = Math.max(1, Math.round(t.liveBars * scale));
    return { symbols: t.symbols, liveBars, plan: plan(t.symbols, liveBars, 0, 'max', 2), floors: [] as FloorRun[], clients: [] as ClientRun[] };
  });
  for (let rep = 1; rep <= reps; rep++) {
    log(`throughput, repetition ${rep} of ${reps}: speed max`);
    for (const set of sets) {
      if (values.floor) {
        const floor = await runFloor(set.plan);
        set.floors.push(floor);
        log(`  ${String(set.symbols).padStart(4)} symbol(s) × ${set.liveBars} bars  floor  ${Math.round(floor.messagesPerS).toLocaleString('en-US')} msg/s`);
      }
      const client = await runClient(set.plan);
      set.clients.push(client);
      log(`  ${String(set.symbols).padStart(4)} symbol(s) × ${set.liveBars} bars  client ${describeRun(client)}`);
    }
  }
  for (const { plan: _plan, ...set } of sets) throughput.push(set);
}
const paced: PacedRun[] = [];
for (const symbols of PACED_SYMBOLS) {
  const seconds = symbols === GOAL_SYMBOLS ? goalSeconds : paceSeconds;
  if (seconds === 0) continue;
  log(`live pace: ${symbols} symbol(s), each closing a 1m bar once a second (speed ${PACE_SPEED}) for ${PACE_WARMUP_S} + ${seconds} s`);
  const client = await runClient(plan(symbols, PACE_WARMUP_S + seconds, PACE_WARMUP_S, PACE_SPEED, PACE_UPDATES_PER_BAR));
  log(`  client ${describeRun(client)}`);
  paced.push({ symbols, measuredSeconds: seconds, warmupSeconds: PACE_WARMUP_S, speed: PACE_SPEED, updatesPerBar: PACE_UPDATES_PER_BAR, client });
}
log(`measured in ${((performance.now() - started) / 1000).toFixed(0)} s`);

const input: RealtimeBenchInput = {
  date: new Date(),
  machine: m,
  loadAtStart,
  loadAtEnd: loadavg()[0]!,
  code: describeProvenance(codeBefore, provenance(REPO)),
  seed,
  startIso: START_ISO,
  historyBars: HISTORY_BARS,
  reps,
  throughput,
  paced,
};
log(consoleReport(input));
if (values.doc) {
  if (throughput.length === 0 || goalRun(input) === undefined) log('not writing docs/benchmarks.md: a scenario was skipped (--scale 0 or --goal-seconds 0)');
  else {
    writeSection(DOC, '## Realtime feed', markdownSection(input));
    log(`wrote the "## Realtime feed" section of ${DOC}`);
  }
}
process.exit(allClients(input).some((c) => c.problems.length > 0) ? 1 : 0);

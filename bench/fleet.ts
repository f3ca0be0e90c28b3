/**
 * `npm run bench:fleet`: one publisher, N sessions of M symbols each (20 × 10 by default), all on
 * one nats-server of the bench's own, at one bar a second per symbol (1m bars at speed 60 from the
 * replay server). Measures, per session, a bar published → decided (p50/p99, the publisher's
 * `publishedAt` in the stream against the session's `brokerTime`, one machine and one clock); the
 * fleet halt, command → each session HALTED (the halt's signed time in the bucket against the
 * session's `halt` event), over several halts; each session's peak RSS; and that nothing was lost:
 * every session decided every bar of its symbols once. Writes the "## Fleet" section of
 * docs/benchmarks.md. Speed is measured here, never timed in tests.
 *
 * Usage: npm run bench:fleet [-- --sessions 20 --symbols-per-session 10 --live-seconds 60 --halts 5 --no-doc]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { writeSection } from './lib/doc-section.ts';
import { peakRssMiB, type Proc, startNats, startProc } from './lib/fleet-procs.ts';
import { describeMachine, machine } from './lib/machine.ts';
import { describeProvenance, provenance } from './lib/provenance.ts';
import { ensureRealtimeData } from './lib/realtime-data.ts';
import { startServerProcess } from './lib/realtime-procs.ts';
import { DEFAULT_STREAM } from '../src/fleet/bar-message.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DOC = join(REPO, 'docs', 'benchmarks.md');
const MINUTE = 60_000;
/** Bars before the tape: sma-cross's warm-up and a margin, published as history. */
const HISTORY_BARS = 30;
const FLEET = 'tradeloop_fleet';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    sessions: { type: 'string' },
    'symbols-per-session': { type: 'string' },
    'live-seconds': { type: 'string' },
    halts: { type: 'string' },
    seed: { type: 'string' },
    doc: { type: 'boolean', default: true },
  },
});
const SESSIONS = Number(values.sessions ?? 20);
const PER = Number(values['symbols-per-session'] ?? 10);
const LIVE = Number(values['live-seconds'] ?? 60);
const HALTS = Number(values.halts ?? 5);
const seed = Number(values.seed ?? 20260309);
const startMs = Date.parse('2024-01-01T00:00:00Z');
const firstLive = startMs + HISTORY_BARS * MINUTE;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stdout.write(`${line}\n`);

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function eventsOf(dir: string): Array<Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(join(dir, 'events.ndjson'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits (polling: a bench, not a test) until `ok` holds, or fails naming what it waited for. */
async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number, procs: readonly Proc[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    for (const p of procs) if (p.child.exitCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode}) while waiting for ${what}:\n${p.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

const data = ensureRealtimeData(join(REPO, 'bench', '.data'), { symbols: SESSIONS * PER, rowsPerSymbol: HISTORY_BARS + LIVE, seed, startMs });
const loadAtStart = loadavg()[0]!;
const before = provenance(REPO);
const tmp = mkdtempSync(join(tmpdir(), 'tradeloop-bench-fleet-'));
const procs: Proc[] = [];
const nats = await startNats(tmp);
const server = await startServerProcess({ symbols: data.symbols, dataDir: data.dir, speed: 60, updatesPerBar: 1, startAt: firstLive });
try {
  const env = { ...process.env, FLAG_REALTIME: '1', XDG_CONFIG_HOME: join(tmp, 'config') };
  say(`fleet bench: ${SESSIONS} sessions × ${PER} symbols, ${LIVE} s of live bars, ${nats.version}`);
  const publisher = startProc(
    'publisher',
    [
      'publish',
      '--nats',
      nats.url,
      '--ws-url',
      server.wsUrl,
      '--rest-url',
      server.restUrl,
      '--symbols',
      data.symbols.join(','),
      '--history',
      String(HISTORY_BARS),
    ],
    env,
  );
  procs.push(publisher);
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  // Every symbol's history is in the stream before a session asks for its warm-up.
  await until(
    'the publisher to put every symbol’s history in the stream',
    async () => {
      try {
        return (await jsm.streams.info(DEFAULT_STREAM)).state.messages >= data.symbols.length * HISTORY_BARS;
      } catch {
        return false;
      }
    },
    60_000,
    procs,
  );
  const sessionStart = Date.now();
  const outs: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const out = join(tmp, `session-${i + 1}`);
    mkdirSync(out, { recursive: true });
    outs.push(out);
    const symbols = data.symbols.slice(i * PER, (i + 1) * PER);
    procs.push(
      startProc(
        `session ${i + 1}`,
        ['run', '--source', 'nats', '--nats', nats.url, '--symbols', symbols.join(','), '--out', out, '--quiet', '--heartbeat', '0'],
        env,
      ),
    );
  }
  const sessions = procs.slice(1);
  await until(
    'every session to decide a live bar',
    () => outs.every((o) => eventsOf(o).some((e) => e.type === 'decision' && (e.openTime as number) >= firstLive)),
    120_000,
    procs,
  );
  const allLiveAt = Date.now();
  say(`sessions started in ${((allLiveAt - sessionStart) / 1000).toFixed(1)} s`);
  // Bars published from here on are measured: before it, a session was still starting or catching up.
  const measureFrom = allLiveAt + 2_000;
  const lastOpen = firstLive + (LIVE - 1) * MINUTE;
  await until(
    'every session to decide the tape’s last bar',
    () => outs.every((o) => eventsOf(o).filter((e) => e.type === 'decision' && e.openTime === lastOpen).length === PER),
    (LIVE + 60) * 1000,
    procs,
  );

  // The fleet halt, HALTS times: command (the signed time of the halt in the bucket) → each session's halt event.
  const kv = await new Kvm(nc).open(FLEET);
  const haltMs: number[] = [];
  const perSessionHalt: number[][] = outs.map(() => []);
  for (let r = 0; r < HALTS; r++) {
    for (const action of ['halt', 'resume'] as const) {
      const cli = startProc(`${action} --fleet`, [action, '--fleet', '--nats', nats.url, ...(action === 'halt' ? ['--reason', `bench ${r + 1}`] : [])], env);
      const code = await cli.exited;
      if (code !== 0) throw new Error(`tradeloop ${action} --fleet exited ${code}:\n${cli.stderr()}`);
    }
  }
  const haltSigned: number[] = [];
  for await (const e of await kv.history({ key: 'halt' })) {
    const c = JSON.parse(e.string()) as { action?: string; at?: number };
    if (c.action === 'halt' && typeof c.at === 'number') haltSigned.push(c.at);
  }
  outs.forEach((o, i) => {
    const halts = eventsOf(o).filter((e) => e.type === 'halt' && e.reason === 'fleet');
    halts.forEach((h, k) => {
      const signed = haltSigned[k];
      if (signed !== undefined && typeof h.at === 'number') {
        haltMs.push(h.at - signed);
        perSessionHalt[i]!.push(h.at - signed);
      }
    });
  });

  // Memory before the sessions stop.
  const rss = sessions.map((s) => peakRssMiB(s.child.pid!) ?? Number.NaN);
  for (const s of sessions) s.child.kill('SIGINT');
  await Promise.all(sessions.map((s) => s.exited));
  publisher.child.kill('SIGINT');
  await publisher.exited;

  // Published times, from the stream itself.
  const published = new Map<string, number>();
  const js = jetstream(nc);
  const consumer = await js.consumers.get(DEFAULT_STREAM);
  const total = (await jsm.streams.info(DEFAULT_STREAM)).state.messages;
  const iter = await consumer.fetch({ max_messages: total, expires: 10_000 });
  let read = 0;
  for await (const m of iter) {
    const b = JSON.parse(m.string()) as { symbol: string; openTime: number; publishedAt: number };
    published.set(`${b.symbol}:${b.openTime}`, b.publishedAt);
    if (++read >= total) break;
  }
  await nc.close();

  // Per session: every live bar decided once; published → decided on the measured bars.
  const rows = outs.map((o, i) => {
    const events = eventsOf(o);
    // Every bar from the session's first decision on (what came before it was its warm-up, read
    // from the stream's history) to the tape's last, per symbol, decided exactly once.
    const decided = new Map<string, number>();
    const first = new Map<string, number>();
    for (const e of events) {
      if (e.type !== 'decision') continue;
      const key = `${e.symbol}:${e.openTime}`;
      decided.set(key, (decided.get(key) ?? 0) + 1);
      if (!first.has(e.symbol as string)) first.set(e.symbol as string, e.openTime as number);
    }
    let expected = 0;
    let once = 0;
    for (const [symbol, from] of first) {
      for (let t = from; t <= lastOpen; t += MINUTE) {
        expected++;
        if (decided.get(`${symbol}:${t}`) === 1) once++;
      }
    }
    if (first.size !== PER) expected = Number.NaN;
    const lat: number[] = [];
    for (const e of events) {
      if (e.type !== 'latency') continue;
      const at = published.get(`${e.symbol}:${e.openTime}`);
      if (at !== undefined && at >= measureFrom) lat.push((e.brokerTime as number) - at);
    }
    lat.sort((a, b) => a - b);
    return {
      session: i + 1,
      bars: lat.length,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      max: lat.at(-1) ?? Number.NaN,
      rss: rss[i]!,
      complete: once === expected && decided.size === expected,
      decided: decided.size,
      expected,
      halt: perSessionHalt[i]!,
    };
  });
  haltMs.sort((a, b) => a - b);
  const after = provenance(REPO);
  const lost = rows.filter((r) => !r.complete);
  const f = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–');
  const p50s = rows.map((r) => r.p50).sort((a, b) => a - b);
  const p99s = rows.map((r) => r.p99).sort((a, b) => a - b);
  const rssSorted = rows.map((r) => r.rss).sort((a, b) => a - b);
  const haltVerdict = pct(haltMs, 99) <= 100 ? '**met**' : '**not met**';
  const lines = [
    `_Written by \`npm run bench:fleet\` (bench/fleet.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Rerun the bench rather than editing these figures._`,
    '',
    `**Verdict.** ${SESSIONS} sessions × ${PER} symbols on one publisher and one nats-server, every symbol closing a bar once a second: a bar published → decided p50 ${f(pct(p50s, 50))} ms and p99 ${f(pct(p99s, 50))} ms in the median session (the worst session's p99: ${f(p99s.at(-1)!)} ms). The fleet halt reached every session within ${f(pct(haltMs, 50))} ms at p50 and ${f(pct(haltMs, 99))} ms at p99 (max ${f(haltMs.at(-1)!)} ms, ${haltMs.length} session-halts over ${HALTS} halts; goal: within 100 ms: ${haltVerdict}). Peak RSS per session: median ${f(pct(rssSorted, 50))} MiB, max ${f(rssSorted.at(-1)!)} MiB. Nothing lost: ${lost.length === 0 ? `every session decided every bar of its ${PER} symbols from its first decision to the tape's last exactly once (**met**)` : `${lost.length} sessions did not decide every bar once (**not met**)`}.`,
    '',
    `- ${describeMachine(machine())}; load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end.`,
    `- ${describeProvenance(before, after)}`,
    `- ${nats.version} (JetStream, a file store in a temporary folder), the replay server at speed 60 (1m bars, one a second), \`tradeloop publish --history ${HISTORY_BARS}\` of ${SESSIONS * PER} synthetic pairs, and ${SESSIONS} \`tradeloop run --source nats\` sessions (sma-cross, default flags, SQLite journal in each one's folder), every one a process of its own on 127.0.0.1. Sessions started in ${((allLiveAt - sessionStart) / 1000).toFixed(1)} s; bars published in the first 2 s after every session was live and before are left out of the latency figures (still checked).`,
    `- Published → decided: the stream's \`publishedAt\` (the publisher's clock as it published) against the session's \`brokerTime\` in its \`latency\` event, per bar; nearest-rank percentiles. Fleet halt: the halt's signed time in the bucket (\`tradeloop halt --fleet\` signs it as it writes it) against the \`at\` of each session's \`halt\` event (reason \`fleet\`): the bucket's push to the session, its inbox, and the halt applied and journaled. Peak RSS: each session's VmHWM before it stops.`,
    '',
    '| session | bars measured | published → decided p50 ms | p99 ms | max ms | fleet halt ms (each) | peak RSS MiB | every bar once |',
    '|---:|---:|---:|---:|---:|---|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.session} | ${r.bars} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${r.halt.map((h) => f(h)).join(', ')} | ${f(r.rss)} | ${r.complete ? 'yes' : `no (${r.decided} of ${r.expected})`} |`,
    ),
    '',
    "Reproduce: `npm run bench:fleet` (options: `-- --sessions N`, `--symbols-per-session N`, `--live-seconds N`, `--halts N`, `--no-doc` to leave this file alone). Needs Debian's `nats-server` (or `TRADELOOP_NATS_SERVER`).",
  ];
  say(lines.join('\n'));
  if (values.doc) writeSection(DOC, '## Fleet', lines.join('\n'));
} finally {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  server.kill();
  await nats.stop();
  rmSync(tmp, { recursive: true, force: true });
}

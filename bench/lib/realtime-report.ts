/**
 * Turns the realtime bench's runs into figures (medians over repetitions, the goal's verdict), a
 * console table and the "## Realtime feed" section of docs/benchmarks.md.
 */
import { describeMachine, type Machine } from './machine.ts';
import type { Spread } from './realtime-analyse.ts';
import type { ClientRun, FloorRun } from './realtime-scenario.ts';
import { median } from './report.ts';

/**
 * The speed issue's goals at 1000 symbols each closing a bar once a second: receive→broker p99 at
 * most 25 ms, and a released slice decided within 5 ms of its release (the bars ahead of a bar in
 * its slice, p99); at full speed, the client reads at least 0.8× the messages a bare ws client does.
 */
export const GOAL_P99_MS = 25;
export const GOAL_BEHIND_MS = 5;
export const GOAL_TO_FLOOR = 0.8;
export const GOAL_SYMBOLS = 1000;

/** One symbol count at speed max, repeated: floor and client alternate, one pair per repetition. */
export interface ThroughputSet {
  readonly symbols: number;
  readonly liveBars: number;
  readonly floors: readonly FloorRun[];
  readonly clients: readonly ClientRun[];
}

/** One symbol count at a live pace: every symbol's bar closes once a second. */
export interface PacedRun {
  readonly symbols: number;
  /** Seconds in the latency figures (one bar per symbol each), after `warmupSeconds` left out. */
  readonly measuredSeconds: number;
  readonly warmupSeconds: number;
  readonly speed: number;
  readonly updatesPerBar: number;
  readonly client: ClientRun;
}

export interface RealtimeBenchInput {
  readonly date: Date;
  readonly machine: Machine;
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
  readonly code: string;
  readonly seed: number;
  readonly startIso: string;
  readonly historyBars: number;
  readonly reps: number;
  readonly throughput: readonly ThroughputSet[];
  readonly paced: readonly PacedRun[];
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const rssMib = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : 'n/a');
const x = (n: number, digits = 2): string => (Number.isFinite(n) ? `${n.toFixed(digits)}×` : 'n/a');
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Milliseconds with the digits that mean something at that size. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v < 1) return v.toFixed(3);
  if (v < 10) return v.toFixed(2);
  if (v < 100) return v.toFixed(1);
  return v.toFixed(0);
}

const triple = (p: Spread): string[] => [ms(p.p50), ms(p.p99), ms(p.max)];

function checks(runs: readonly ClientRun[]): string {
  const problems = runs.flatMap((r, i) => r.problems.map((p) => (runs.length > 1 ? `run ${i + 1}: ${p}` : p)));
  return problems.length === 0 ? 'ok' : `FAILED: ${problems.join('; ')}`;
}

export function allClients(input: RealtimeBenchInput): ClientRun[] {
  return [...input.throughput.flatMap((t) => t.clients), ...input.paced.map((p) => p.client)];
}

export function goalRun(input: RealtimeBenchInput): PacedRun | undefined {
  return input.paced.find((p) => p.symbols === GOAL_SYMBOLS);
}

/** Medians over the repetitions of one symbol count. */
export interface ThroughputFigures {
  readonly symbols: number;
  readonly bars: number;
  readonly floorMessagesPerS: number;
  readonly messagesPerS: number;
  /** Median of each repetition's client ÷ floor (paired: they shared the machine's conditions). */
  readonly toFloor: number;
  readonly barsPerS: number;
  readonly receiveToBroker: Spread;
  readonly cycleP99: number;
  readonly maxRssKb: number;
  readonly pauses: number;
  readonly startupMs: number;
  readonly subscribeMs: number;
  readonly windowMs: number;
  readonly checks: string;
}

export function throughputFigures(t: ThroughputSet): ThroughputFigures {
  const c = t.clients;
  const med = (f: (r: ClientRun) => number): number => median(c.map(f));
  return {
    symbols: t.symbols,
    bars: c[0]?.expectedBars ?? NaN,
    floorMessagesPerS: median(t.floors.map((f) => f.messagesPerS)),
    messagesPerS: med((r) => r.messagesPerS),
    toFloor: t.floors.length === c.length ? median(c.map((r, i) => r.messagesPerS / t.floors[i]!.messagesPerS)) : NaN,
    barsPerS: med((r) => r.barsPerS),
    receiveToBroker: {
      p50: med((r) => r.analysis.receiveToBroker.p50),
      p99: med((r) => r.analysis.receiveToBroker.p99),
      max: med((r) => r.analysis.receiveToBroker.max),
    },
    cycleP99: med((r) => r.analysis.cycle.p99),
    maxRssKb: med((r) => r.result.maxRssKb),
    pauses: med((r) => r.summary.feed?.pauses ?? NaN),
    startupMs: med((r) => r.result.startupMs),
    subscribeMs: med((r) => r.subscribeMs),
    windowMs: med((r) => r.windowMs),
    checks: checks(c),
  };
}

function goalMet(goal: PacedRun): boolean {
  return goal.client.analysis.receiveToBroker.p99 <= GOAL_P99_MS && goal.client.problems.length === 0;
}

function verdictLine(input: RealtimeBenchInput): string {
  const met = (ok: boolean): string => (ok ? '**met**' : '**not met**');
  const parts: string[] = [];
  const goal = goalRun(input);
  if (goal) {
    const a = goal.client.analysis;
    parts.push(
      `Receive→broker p99 ${ms(a.receiveToBroker.p99)} ms at ${int(goal.symbols)} symbols each closing a bar once a second ` +
        `(goal: at most ${GOAL_P99_MS} ms): ${met(goalMet(goal))}. A released slice is decided within ${ms(a.behindInSlice.p99)} ms of its release at p99 ` +
        `(the bars ahead of a bar in its slice; goal: within ${GOAL_BEHIND_MS} ms): ${met(a.behindInSlice.p99 <= GOAL_BEHIND_MS)}. ` +
        `The engine's own cycle is ${ms(a.cycle.p99)} ms at p99; receipt to the slice's release is p99 ${ms(a.toRelease.p99)} ms.`,
    );
  }
  const big = input.throughput.map(throughputFigures).find((f) => f.symbols === GOAL_SYMBOLS);
  if (big && Number.isFinite(big.toFloor)) {
    parts.push(
      `At full speed with ${int(GOAL_SYMBOLS)} symbols the client reads ${big.toFloor.toFixed(2)}× the messages a bare ws client does (goal ≥ ${GOAL_TO_FLOOR}×): ${met(big.toFloor >= GOAL_TO_FLOOR)}.`,
    );
  }
  parts.push(
    `No message dropped and every closed bar on the tape decided exactly once, in every run: ${met(allClients(input).every((c) => c.problems.length === 0))}.`,
  );
  return parts.join(' ');
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function throughputCells(f: ThroughputFigures): string[] {
  return [
    int(f.symbols),
    int(f.bars),
    int(f.floorMessagesPerS),
    int(f.messagesPerS),
    x(f.toFloor),
    int(f.barsPerS),
    ...triple(f.receiveToBroker),
    ms(f.cycleP99),
    rssMib(f.maxRssKb),
    int(f.pauses),
    f.checks,
  ];
}

function pacedCells(p: PacedRun): string[] {
  const c = p.client;
  const a = c.analysis;
  return [
    int(p.symbols),
    int(a.measuredBars),
    int(c.messagesPerS),
    int(c.barsPerS),
    ...triple(a.receiveToBroker),
    ms(a.toRelease.p99),
    ms(a.behindInSlice.p99),
    ms(a.cycle.p50),
    ms(a.cycle.p99),
    ms(a.network.p50),
    rssMib(c.result.maxRssKb),
    checks([c]),
  ];
}

export function consoleReport(input: RealtimeBenchInput): string {
  const lines = [''];
  if (input.throughput.length > 0) {
    lines.push(
      `Throughput: replay server at speed max, ${input.reps === 1 ? 'one repetition' : `medians of ${input.reps}`} (r→b = receive→broker)`,
      pad([
        ['symbols', 'bars', 'floor msg/s', 'client msg/s', '÷ floor', 'bars/s', 'r→b p50 ms', 'p99 ms', 'max ms', 'cycle p99', 'peak RSS', 'pauses', 'checks'],
        ...input.throughput.map((t) => throughputCells(throughputFigures(t))),
      ]),
      '',
    );
  }
  if (input.paced.length > 0) {
    const p0 = input.paced[0]!;
    lines.push(
      `Live pace: each symbol's 1m bar closes once a second (speed ${p0.speed}, ${p0.updatesPerBar} update per bar); ` +
        `latency after ${p0.warmupSeconds} s of warm-up`,
      pad([
        [
          'symbols',
          'bars',
          'msg/s',
          'bars/s',
          'r→b p50 ms',
          'p99 ms',
          'max ms',
          'to release p99',
          'behind p99',
          'cycle p50',
          'cycle p99',
          'network p50',
          'peak RSS',
          'checks',
        ],
        ...input.paced.map(pacedCells),
      ]),
      '',
    );
  }
  lines.push(
    verdictLine(input).replaceAll('**', ''),
    `Code: ${input.code}. Load average ${input.loadAtStart.toFixed(2)} at the start, ${input.loadAtEnd.toFixed(2)} at the end.`,
    '',
  );
  return lines.join('\n');
}

function mdTable(head: string[], rows: string[][], leftColumns = 0): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < leftColumns ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function markdownSection(input: RealtimeBenchInput): string {
  const when = input.date.toISOString().slice(0, 16).replace('T', ' ');
  const lines: string[] = [
    `_Written by \`npm run bench:realtime\` (bench/realtime.ts) on ${when} UTC. Rerun the bench rather than editing these figures._`,
    '',
    `**Verdict.** ${verdictLine(input)}`,
    '',
    `- Machine: ${describeMachine(input.machine)}; load average ${input.loadAtStart.toFixed(2)} at the start, ${input.loadAtEnd.toFixed(2)} at the end.`,
    `- Code: ${input.code}.`,
    `- Data: synthetic USDT pairs S0001USDT, S0002USDT, … (the price levels, ticks and lots of the static bench's ten pairs, in turn), ` +
      `contiguous 24/7 one-minute bars from ${input.startIso}, seed ${input.seed}, made by \`bench/lib/generate.ts\`. ` +
      `The first ${input.historyBars} bars of each are history, closed before the tape starts: the client's start-up check loads ` +
      "the strategy's warm-up from them and the first live bar follows on, so no run needs a backfill.",
    '- Runs: three processes per run on 127.0.0.1: the replay server (`startReplayServer`); the client under test ' +
      '(`run --source realtime --quiet` through `runRealtime`: sma-cross, default flags, `events.ndjson` and `summary.json`) or the floor client; ' +
      'and the bench. A fresh server for every run (its tape plays once).',
    '',
  ];
  if (input.throughput.length > 0) {
    const figures = input.throughput.map(throughputFigures);
    lines.push(
      '### Throughput: the replay server at full speed',
      '',
      'Speed `max`: the tape sends as fast as the client reads (it waits while the client has over 1 MiB unread), 2 updates per bar, ' +
        'so 3 kline messages per closed bar (two `x:false`, one `x:true`). The client is saturated by design: its latency here is the backlog ' +
        `it carries, which swings from run to run with whether the bar queue filled and paused the socket: not its latency at a live pace (below). ` +
        `${input.reps === 1 ? 'One repetition' : `Medians of ${input.reps} repetitions`}; ` +
        'floor and client alternate, and "client ÷ floor" is the median of each repetition\'s own ratio.',
      '',
      ...mdTable(
        [
          'symbols',
          'closed bars',
          'floor msg/s',
          'client msg/s',
          'client ÷ floor',
          'closed bars/s',
          'receive→broker p50 ms',
          'p99 ms',
          'max ms',
          'cycle p99 ms',
          'client peak RSS',
          'queue-full pauses',
          'checks',
        ],
        figures.map(throughputCells),
      ),
      '',
      ...input.throughput.map((t, i) => {
        const f = figures[i]!;
        return (
          `- ${int(t.symbols)} symbol${t.symbols === 1 ? '' : 's'} × ${int(t.liveBars)} bars: start-up ${sec(f.startupMs)} (a REST check of every ` +
          `symbol, which loads its warm-up), subscribing ${sec(f.subscribeMs)}, then ${sec(f.windowMs)} measured. Every run: client msg/s ` +
          `${t.clients.map((c) => int(c.messagesPerS)).join(', ')}; floor msg/s ${t.floors.map((fl) => int(fl.messagesPerS)).join(', ') || 'not run'}; ` +
          `receive→broker p99 ${t.clients.map((c) => ms(c.analysis.receiveToBroker.p99)).join(', ')} ms with ` +
          `${t.clients.map((c) => int(c.summary.feed?.pauses ?? NaN)).join(', ')} queue-full pauses.`
        );
      }),
      '',
    );
  }
  if (input.paced.length > 0) {
    const p0 = input.paced[0]!;
    const goal = goalRun(input);
    lines.push(
      '### Live pace: every symbol closes a bar once a second',
      '',
      `One-minute bars at speed ${p0.speed}: every second each symbol's bar closes (\`x:true\`) and the next one opens (\`x:false\`, ` +
        `${p0.updatesPerBar} update per bar): per second one closed bar and two messages per symbol, in one burst as the tape sends them. ` +
        `The first ${p0.warmupSeconds} s after the tape starts are warm-up, left out of the latency figures (the first slices run on cold code; ` +
        'a session of hours never sees them again) but checked like the rest. One run per symbol count; the 1000-symbol run is the goal case.',
      '',
      ...mdTable(
        [
          'symbols',
          'bars measured',
          'msg/s',
          'closed bars/s',
          'receive→broker p50 ms',
          'p99 ms',
          'max ms',
          'receipt → slice release p99 ms',
          'behind bars ahead in the slice p99 ms',
          'cycle p50 ms',
          'cycle p99 ms',
          'network p50 ms',
          'client peak RSS',
          'checks',
        ],
        input.paced.map(pacedCells),
      ),
      '',
    );
    if (goal) {
      const a = goal.client.analysis;
      lines.push(
        `**The goal case, ${int(goal.symbols)} symbols** (${goal.measuredSeconds} s measured after ${goal.warmupSeconds} s of warm-up; start-up ` +
          `${sec(goal.client.result.startupMs)} and subscribing ${sec(goal.client.subscribeMs)} before that):`,
        '',
        ...mdTable(
          ['', 'p50 ms', 'p99 ms', 'max ms'],
          [
            ['**Receive→broker** (queue + slice wait + model + broker)', ...triple(a.receiveToBroker)],
            ['… without the slice wait (queue + model + broker: the pipeline itself)', ...triple(a.pipeline)],
            ['… receipt → slice released (bar queue, the rest of the slice)', ...triple(a.toRelease)],
            ['… slice released → cycle starts (the bars ahead in `--symbols` order)', ...triple(a.behindInSlice)],
            ['… the cycle itself (model + broker)', ...triple(a.cycle)],
            ['Receive→broker with the warm-up seconds', ...triple(a.receiveToBrokerAll)],
            ["Network (server's E stamp → receipt; one machine, one clock)", ...triple(a.network)],
          ],
          1,
        ),
        '',
        'Why p99 is where it is: a slice holds one bar per symbol and is decided in `--symbols` order once every symbol has delivered ' +
          '(README, "The loop": one cash account and binding limits make the order of a minute\'s bars matter, so csv and realtime both decide ' +
          'whole slices in `--symbols` order), so a bar that arrives early waits for the last of the burst to be read, and the last bar in the order waits ' +
          `for the ${int(goal.symbols - 1)} cycles ahead of it, each with its own event-log write. Neither wait is the bar's own work, and both grow ` +
          'with the number of symbols, as the smaller runs show. The network column is the server building and sending the burst of ' +
          `${int(2 * goal.symbols)} messages as much as loopback. The client's own \`networkMs\` and \`totalMs\` add its clock-offset estimate, ` +
          `${ms(a.clockOffsetMs)} ms in this run although server and client read one clock: it comes from one \`/api/v3/time\` round trip at start-up, ` +
          "and the first request most likely pays for fetch's lazy set-up and the connection on the way out only; the column above uses `recvTime − eventTime`.",
        '',
      );
    }
  }
  lines.push(
    '### What is measured',
    '',
    '- **Receive→broker**: per closed bar, `queueMs + sliceMs + modelMs + brokerMs` of its `latency` event (live bars only; backfilled ' +
      'bars would be left out, and there were none): from the socket callback that read the closed kline to the paper broker done with the ' +
      'bar. `queueMs` is receipt → taken off the bar queue (in a burst of closing klines, the parsing of the messages before it); `sliceMs` ' +
      'the wait for the rest of its time slice and for the bars ahead of it. "Without the slice wait" leaves `sliceMs` out. Exact ' +
      "nearest-rank percentiles over every bar, read from `events.ndjson`, not the summary's bucketed histograms. The split at the " +
      "slice's release uses the whole-ms `recvTime`, so each part is good to about 1 ms.",
    "- **Messages/s, closed bars/s**: the client's `feed.messages` (kline messages read) and the bars it decided, over the window from " +
      "the tape's start to the last expected bar decided (wall clock, `performance.timeOrigin + performance.now()` in both processes). " +
      'Start-up (a REST klines check of every symbol, 8 at a time) and subscribing (with 1000 symbols the URL names ~420 streams and the ' +
      'rest are SUBSCRIBEd in batches 250 ms apart) come before the window.',
    '- **The tape starts once the client has subscribed every stream.** The replay server starts its tape at the first subscription, ' +
      'as Binance never waits; at speed max the symbols of the later SUBSCRIBE batches would miss the first slices. The bench starts the ' +
      "server with `startAfterStreams` = every symbol, so the tape waits for the client's last subscription; nothing on the per-message path changes.",
    '- **Floor**: a bare `ws` client on a fresh server with the same streams (same URL and SUBSCRIBE batches) that JSON-parses each ' +
      "message and counts closed klines, nothing else. On 2 cores with the server sending, it is the server's pace as much as the socket's: " +
      'what this machine can deliver to any client.',
    "- **No message dropped**: in each run the client's `feed.messages` equals the server's kline messages sent; every (symbol, live bar) " +
      'on the tape has exactly one `decision` event and nothing else was decided; summary `decisions` = symbols × bars; no skips, ' +
      'malformed messages, duplicates, out-of-order or late bars, backfills or disconnects. A queue-full pause stops reading the socket ' +
      '(`--queue-size`: only closed bars are queued, and when it is full the socket is paused, never a bar dropped) and drops nothing.',
    "- **Peak RSS**: `process.resourceUsage().maxRSS` of the client's own process, start-up included.",
    '- The client stops when the expected number of bars has been decided (the runner counts `Engine.cycle` calls), then shuts down ' +
      'as on SIGINT: drain, close, summary.',
    '',
    'Reproduce: `npm run bench:realtime` (options: `-- --reps N`, `--goal-seconds N`, `--pace-seconds N`, `--scale F` for the ' +
      "throughput runs' length, `--no-floor`, `--no-doc` to leave this file alone). The data is generated once into `bench/.data/` " +
      '(git-ignored) and reused.',
  );
  return lines.join('\n');
}

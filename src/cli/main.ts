/**
 * The tradeloop command line. Exit codes: 0 done; 1 a fatal data or strategy error (after the
 * events so far, run_end and summary.json are written); 2 a usage, flag or configuration refusal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readFlags, type Flags } from '../config/flags.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import { isTradeloopError } from '../errors.ts';
import { parseRunOptions, RUN_USAGE } from './run-options.ts';
import { runStatic, type CliIo } from './static-run.ts';
import { sha256File } from '../session/run-id.ts';
import { UsageError } from './usage-error.ts';
import { redactUrl } from '../config/redact-url.ts';
import { EXIT } from './exit-codes.ts';
import { CONTROL_USAGE, controlCommand } from './control-commands.ts';

const USAGE = `tradeloop: a paper-trading runtime. Paper only: no order ever leaves this machine.

Commands:
  tradeloop run --source csv [options]        replay CSV bars through the loop (deterministic)
  tradeloop run --source realtime [options]   paper-trade live Binance klines (needs FLAG_REALTIME=1)
  tradeloop sweep --param fast=5..30:5 ...    run a strategy over a grid of parameters, on every core
  tradeloop replay-server --data DIR ...      serve CSV bars over the Binance market-data protocol
  tradeloop publish --nats URL [options]      publish closed Binance bars into a NATS JetStream stream (the fleet's feed)
  tradeloop status --state DIR [--json]       a running session's state, halts, positions, feed, latency
  tradeloop halt --state DIR [--reducing]     halt a running session now (kill switch)
  tradeloop resume --state DIR [--halt R]     lift the operator halt (or a latched one: drawdown, strategy_error)
  tradeloop flatten --state DIR [--symbols]   cancel resting orders and close positions, even while halted
  tradeloop report RUN_DIR [--out FILE]       write a run's self-contained HTML report (RUN_DIR/report.html)
  tradeloop dashboard --state DIR [--open]    print (and open) the URL of a running session's live dashboard
  tradeloop verify RUN_DIR|--state DIR         decide a journaled session again and check it against its journal
  tradeloop export --state DIR --format F     write the journal's events, trades, equity or bars (ndjson|csv)
    (verify, export and report read a journal in PostgreSQL with --journal URL --session NAME)
  tradeloop help [command]
  tradeloop --version

Environment: FLAG_REALTIME (default off), FLAG_TRADING_HALTED (default off): 1/true/yes/on or 0/false/no/off.
Exit codes: 0 done; 1 a fatal data or strategy error (run), a refused command or a diverged verify; 2 a usage refusal;
3 no session at --state; 4 a journal that cannot be read (damaged, cut short, or from a newer tradeloop).
`;

export type CommandHandler = (argv: readonly string[], flags: Flags, io: CliIo) => Promise<number>;

/** Commands other modules add (replay-server); kept as a table so main stays a dispatcher. */
export const EXTRA_COMMANDS = new Map<string, { usage: string; load: () => Promise<CommandHandler> }>();
EXTRA_COMMANDS.set('replay-server', {
  // A short copy, so that help does not load the server; `replay-server --help` prints the full text.
  usage:
    "Usage: tradeloop replay-server --symbols A,B (--data DIR | --file SYMBOL=PATH ...) [--port 0] [--speed 60|max] [--ping-interval 20s] [--interval 1m] [--start ISO]\nRun 'tradeloop replay-server --help' for every option.\n",
  load: async () => (await import('./replay-server-command.ts')).replayServerCommand,
});
EXTRA_COMMANDS.set('publish', {
  usage:
    "Usage: tradeloop publish --nats URL [--stream NAME] [--history N] [--publisher-id ID] [--symbols A,B] [--interval 1m] [--ws-url URL --rest-url URL]\nRun 'tradeloop publish --help' for every option.\n",
  load: async () => (await import('./publish-command.ts')).publishCommand,
});
EXTRA_COMMANDS.set('report', {
  usage:
    'Usage: tradeloop report RUN_DIR | --journal URL --session NAME [--out FILE]\n  Writes RUN_DIR/report.html (or FILE): one self-contained page of the run; prints its summary.\n',
  load: async () => {
    const { reportCommand } = await import('./report-command.ts');
    return (argv, _flags, io) => reportCommand(argv, io);
  },
});
EXTRA_COMMANDS.set('dashboard', {
  usage: "Usage: tradeloop dashboard --state DIR [--open]\n  Prints (and with --open opens) the URL of the running session's live dashboard.\n",
  load: async () => {
    const { dashboardCommand } = await import('./dashboard-command.ts');
    return (argv, _flags, io) => dashboardCommand(argv, io);
  },
});
EXTRA_COMMANDS.set('verify', {
  usage:
    'Usage: tradeloop verify RUN_DIR | --state DIR | --journal URL --session NAME\n  Decide again every bar the session journaled and check each decision, order, fill, cancel and reject.\n',
  load: async () => {
    const { verifyCommand } = await import('./verify-command.ts');
    return (argv, _flags, io) => verifyCommand(argv, io);
  },
});
EXTRA_COMMANDS.set('export', {
  usage: 'Usage: tradeloop export (--state DIR | --journal URL --session NAME) --format ndjson|csv [--what events|trades|equity|bars] [--out FILE]\n',
  load: async () => {
    const { exportCommand } = await import('./export-command.ts');
    return (argv, _flags, io) => exportCommand(argv, io);
  },
});
EXTRA_COMMANDS.set('sweep', {
  usage:
    "Usage: tradeloop sweep --param NAME=FROM..TO:STEP|A,B,C ... [run options] [--jobs N] [--rank STAT] [--top N] [--out DIR] [--keep-runs]\nRun 'tradeloop sweep --help' for every option.\n",
  load: async () => (await import('../sweep/sweep-command.ts')).sweepCommand,
});
for (const name of ['status', 'halt', 'resume', 'flatten']) {
  EXTRA_COMMANDS.set(name, {
    usage: CONTROL_USAGE[name]!,
    load: async () => (argv, _flags, io) => controlCommand(name, argv, io),
  });
}

/** An argument as a shell would need it quoted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

async function runCommand(argv: readonly string[], flags: Flags, io: CliIo): Promise<number> {
  const opts = parseRunOptions(argv);
  if (opts === 'help') {
    io.stdout(RUN_USAGE);
    return 0;
  }
  if (opts.source === 'realtime' && !flags.realtime) {
    throw new UsageError(
      'realtime mode is off. It is gated by FLAG_REALTIME (default off); enable it for this command with\n' +
        // The user's own command, every flag kept (a dropped --ws-url would send it to Binance instead), secrets hidden.
        `  FLAG_REALTIME=1 npx tradeloop run ${argv.map((a) => shellWord(redactUrl(a))).join(' ')}`,
    );
  }
  const strategy = await loadStrategy(opts.strategy, opts.params);
  const strategyPath = resolve(process.cwd(), opts.strategy);
  const strategyHash = existsSync(strategyPath) ? await sha256File(strategyPath) : null;
  if (opts.source === 'realtime') {
    const { runRealtime } = await import('./realtime-run.ts');
    return runRealtime(opts, flags, strategy, io, {}, strategyHash);
  }
  const result = await runStatic(opts, flags, strategy, strategyHash, io);
  return result.exitCode;
}

export async function main(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = rest[0];
      if (topic === 'run') io.stdout(RUN_USAGE);
      else if (topic && EXTRA_COMMANDS.has(topic)) io.stdout(EXTRA_COMMANDS.get(topic)!.usage);
      else if (topic !== undefined) throw new UsageError(`help ${topic}: no such command. Commands: run, ${[...EXTRA_COMMANDS.keys()].join(', ')}.`);
      else io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === 'version') {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      io.stdout(`tradeloop ${pkg.version ?? 'unknown'} (Node ${process.versions.node})\n`);
      return EXIT.ok;
    }
    const flags = readFlags(env);
    if (command === 'run') return await runCommand(rest, flags, io);
    const extra = EXTRA_COMMANDS.get(command);
    if (extra) return await (await extra.load())(rest, flags, io);
    throw new UsageError(`unknown command ${JSON.stringify(command).slice(0, 40)}. Commands: run, ${[...EXTRA_COMMANDS.keys()].join(', ')}, help.`);
  } catch (err) {
    // Every refusal carries its code, and the code its exit status (src/errors.ts); anything else is a bug.
    if (isTradeloopError(err)) {
      io.stderr(`tradeloop: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

if (import.meta.main) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const code = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrTTY: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}

/**
 * `tradeloop report RUN_DIR [--out FILE]`: prints the run's summary and writes report.html (by
 * default RUN_DIR/report.html), one self-contained page: equity against buy and hold, drawdown,
 * each symbol's price with its fills marked by order type, the trades (with their exit order types
 * and slippage), the statistics, the latency
 * distribution of a realtime run, and the halts, skips, cancels and rejects by reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags } from './common-flags.ts';
import { JOURNAL_FLAGS } from './journal-flags.ts';
import { writeJournalRunFolder } from './journal-run-folder.ts';
import { type JournalSource, journalSourceOf, sourceLabel } from './journal-source.ts';
import { formatSummary } from './run-summary.ts';
import type { CliIo } from './cli-io.ts';
import { UsageError } from './usage-error.ts';
import { htmlPage, PAGE_DIR, pageScript } from '../report/html-page.ts';
import { readReport, type ReportData } from '../report/report-data.ts';
import { RunFolder, RunInputError } from '../report/run-source.ts';

export const REPORT_USAGE = `Usage: tradeloop report RUN_DIR [--out FILE]
       tradeloop report --journal URL --session NAME [--out FILE]   (a session's journal in PostgreSQL; default ./report.html)
  Prints the run's summary and writes one self-contained HTML page (default RUN_DIR/report.html):
  equity against buy and hold, drawdown, prices with fills by order type, trades, statistics,
  latency (realtime), and halts, skips, cancels and rejects by reason. It opens offline.
`;

export function reportHtml(data: ReportData): string {
  return htmlPage({
    title: 'tradeloop report',
    subtitle: data.title,
    body: '<main id="app"></main>',
    data: { id: 'report-data', value: data },
    script: pageScript(PAGE_DIR, 'report.js'),
  });
}

export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const refuse = (m: string): UsageError => new UsageError(`${m}\n${REPORT_USAGE}`);
  // RUN_DIR is the one argument that is neither a flag nor a flag's value.
  const flags: string[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--out' || a === '--journal' || a === '--session') && i + 1 < argv.length) flags.push(a, argv[++i]!);
    else if (a.startsWith('-')) flags.push(a);
    else dirs.push(a);
  }
  const parsed = parseFlags(flags, { help: { type: 'boolean', short: 'h' }, out: { type: 'string' }, ...JOURNAL_FLAGS }, refuse);
  if (parsed.values.help) {
    io.stdout(REPORT_USAGE);
    return 0;
  }
  const journal = journalSourceOf(parsed.values, dirs[0], refuse);
  if (journal?.kind === 'postgres') return reportJournal(journal, parsed.values.out ?? 'report.html', io, refuse);
  if (dirs.length !== 1)
    throw refuse(
      dirs.length === 0
        ? "tradeloop report needs RUN_DIR: a run's artifacts folder (its --out, e.g. runs/<run-id>), or --journal URL --session NAME."
        : `tradeloop report takes one RUN_DIR, got ${dirs.length}.`,
    );
  const dir = dirs[0]!;
  if (!RunFolder.looksLikeRun(dir)) throw refuse(`${dir}: no events.ndjson there. Name a run's artifacts folder (its --out, e.g. runs/<run-id>).`);
  return reportFolder(dir, null, parsed.values.out ?? join(dir, 'report.html'), io, refuse);
}

/** A session's journal in PostgreSQL, laid out as a run folder in a temporary folder (removed after). */
async function reportJournal(src: JournalSource, out: string, io: CliIo, refuse: (m: string) => UsageError): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tradeloop-report-'));
  try {
    await writeJournalRunFolder(src, dir);
    return await reportFolder(dir, sourceLabel(src), out, io, refuse);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `journal`: the run came from that journal (its folder is a temporary one, not to be named). */
async function reportFolder(dir: string, journal: string | null, out: string, io: CliIo, refuse: (m: string) => UsageError): Promise<number> {
  const source = new RunFolder(dir);
  let data: Awaited<ReturnType<typeof readReport>>;
  try {
    data = await readReport(source);
  } catch (err) {
    if (err instanceof RunInputError) throw new UsageError(err.message);
    // A line that parses but is not what this version writes (a hand-made or foreign file).
    if (err instanceof SyntaxError || err instanceof TypeError)
      throw new UsageError(`${journal ?? join(dir, 'events.ndjson')} is not a log tradeloop wrote (${err.message.slice(0, 120)}). Nothing was reported.`);
    throw err;
  }
  if (data.summary) {
    const text = formatSummary(data.summary, `tradeloop run ${data.title}`, dir);
    // From a journal there is no run folder to point at: the journal is where the run is.
    io.stdout(journal === null ? text : text.replace(/^ {2}(tables|artifacts) .*\n/gm, '') + `  journal       ${journal}\n`);
  } else if (journal !== null)
    io.stdout(`tradeloop report: ${journal} has no summary: its last segment never ended (a crash); the report shows what the journal holds.\n`);
  try {
    writeFileSync(out, reportHtml(data));
  } catch (err) {
    throw refuse(`--out ${out}: cannot write the report (${(err as Error).message}). Choose a writable file.`);
  }
  io.stdout(`  report        ${resolve(out)}\n`);
  return 0;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, linkSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { scratchDir, tempDir } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'data', 'sample');
const tmp = (): string => scratchDir('tradeloop-cli-');

async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }, env);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

test('two runs on the same inputs are byte-identical, from another folder, another path and another TZ', () => {
  const a = tmp();
  const b = tmp();
  const copy = join(tmp(), 'elsewhere');
  cpSync(SAMPLE, copy, { recursive: true });
  const node = process.execPath;
  const cli = join(ROOT, 'src', 'cli', 'main.ts');
  const r1 = spawnSync(node, [cli, 'run', '--data', SAMPLE, '--minutes', '240', '--out', a], {
    cwd: ROOT,
    env: { ...process.env, TZ: 'UTC' },
    encoding: 'utf8',
  });
  const r2 = spawnSync(node, [cli, 'run', '--data', copy, '--minutes', '240', '--out', b], {
    cwd: tmpdir(),
    env: { ...process.env, TZ: 'Asia/Kolkata' },
    encoding: 'utf8',
  });
  assert.equal(r1.status, 0, r1.stderr);
  assert.equal(r2.status, 0, r2.stderr);
  for (const f of ['events.ndjson', 'summary.json']) assert.equal(readFileSync(join(a, f), 'utf8'), readFileSync(join(b, f), 'utf8'), f);
  const text = readFileSync(join(a, 'events.ndjson'), 'utf8');
  assert.ok(!text.includes(ROOT) && !text.includes(tmpdir()), 'no machine paths in the log');
});

test('the run id hashes options and input contents; the default folder is runs/<run-id>', async () => {
  const aOut = tmp();
  const a = await run(['run', '--data', SAMPLE, '--minutes', '30', '--out', aOut]);
  const b = await run(['run', '--data', SAMPLE, '--minutes', '31', '--out', tmp()]);
  const id = (s: string) => /tradeloop run (\S+)/.exec(s)![1];
  assert.notEqual(id(a.stdout), id(b.stdout));
  assert.match(a.stdout, /bars\s+60 \(SPY 30, QQQ 30\)|bars\s+60\s+\(SPY 30, QQQ 30\)/);
  // The same bytes in another folder: the same id (no path is hashed).
  const same = join(tmp(), 'same');
  cpSync(SAMPLE, same, { recursive: true });
  const c = await run(['run', '--data', same, '--minutes', '30', '--out', tmp()]);
  assert.equal(id(c.stdout), id(a.stdout), 'same bytes, same id');
  // One byte changed on the last row, far past the 30 minutes read: the run is the same, its inputs are not.
  const changed = join(tmp(), 'changed');
  cpSync(SAMPLE, changed, { recursive: true });
  const spy = readFileSync(join(changed, 'SPY.csv'), 'utf8');
  assert.match(spy, /,285037\n$/, 'the sample ends as this test expects');
  writeFileSync(join(changed, 'SPY.csv'), spy.replace(/,285037\n$/, ',285038\n'));
  const dOut = tmp();
  const d = await run(['run', '--data', changed, '--minutes', '30', '--out', dOut]);
  assert.equal(d.code, 0, d.stderr);
  const outcome = (dir: string) => ({ ...JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')), runId: null });
  assert.deepEqual(outcome(dOut), outcome(aOut), 'the same bars, trades and summary');
  assert.notEqual(id(d.stdout), id(a.stdout), "the inputs' contents enter the id");
  // Without --out, the artifacts go to runs/<run-id> under the working folder.
  const cwd = tmp();
  const child = spawnSync(process.execPath, [join(ROOT, 'src', 'cli', 'main.ts'), 'run', '--data', SAMPLE, '--minutes', '30'], { cwd, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(id(child.stdout), id(a.stdout));
  assert.ok(existsSync(join(cwd, 'runs', id(a.stdout)!, 'summary.json')), 'runs/<run-id>/summary.json');
});

test('--minutes keeps bars with openTime in [from, from + N min); --from warms up on the bars before it', async () => {
  const out = tmp();
  const r = await run(['run', '--data', SAMPLE, '--from', '2026-03-10T14:00:00Z', '--minutes', '15', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const events = readFileSync(join(out, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const bars = events.filter((e) => e.type === 'bar');
  assert.equal(bars.length, 30);
  assert.equal(bars[0].openTime, Date.UTC(2026, 2, 10, 14, 0));
  assert.equal(bars.at(-1).openTime, Date.UTC(2026, 2, 10, 14, 14));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.warmupBars, { SPY: 390 + 30, QQQ: 390 + 30 });
});

test('FLAG_TRADING_HALTED=1 blocks every new order: decisions still made and logged, each order a trading_halted reject', async () => {
  const free = tmp();
  const halted = tmp();
  await run(['run', '--data', SAMPLE, '--out', free]);
  const r = await run(['run', '--data', SAMPLE, '--out', halted], { FLAG_TRADING_HALTED: ' Yes ' });
  assert.equal(r.code, 0);
  const read = (d: string) =>
    readFileSync(join(d, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const a = read(free);
  const b = read(halted);
  const intents = a.filter((e) => e.type === 'decision').reduce((n, d) => n + d.intents, 0);
  assert.ok(intents > 0);
  assert.equal(b.filter((e) => e.type === 'decision').length, a.filter((e) => e.type === 'decision').length);
  assert.equal(b.filter((e) => e.type === 'order' || e.type === 'fill').length, 0);
  const rejects = b.filter((e) => e.type === 'reject');
  assert.ok(rejects.length > 0 && rejects.every((x) => x.reason === 'trading_halted'));
  assert.deepEqual(
    b.filter((e) => e.type === 'halt').map((h) => [h.reason, h.source]),
    [['flag', 'flag']],
  );
});

test('--source realtime without FLAG_REALTIME=1 exits 2 and says how to enable it', async () => {
  const r = await run(['run', '--source', 'realtime']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /FLAG_REALTIME=1/);
  // The command to paste is the user's own, every flag kept: without --ws-url it would reach Binance itself.
  const local = await run([
    'run',
    '--source',
    'realtime',
    '--symbols',
    'BTCUSDT',
    '--ws-url',
    'ws://127.0.0.1:4000/?token=s3cret',
    '--rest-url',
    'http://127.0.0.1:4000',
  ]);
  assert.match(
    local.stderr,
    /FLAG_REALTIME=1 npx tradeloop run --source realtime --symbols BTCUSDT --ws-url 'ws:\/\/127\.0\.0\.1:4000\/\?token=\*\*\*' --rest-url http:\/\/127\.0\.0\.1:4000\n/,
  );
  const bad = await run(['run'], { FLAG_REALTIME: 'sometimes' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /FLAG_REALTIME="sometimes" is not a valid value/);
});

test('usage refusals name the flag and exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['run', '--source', 'parquet'], /--source parquet: expected csv, realtime \(Binance, or any --ws-url\) or nats/],
    [['run', '--minutes', 'ten'], /--minutes ten/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['run', '--symbls', 'SPY'], /Unknown option '--symbls'\. Did you mean --symbols\?/],
    [['run', '--from', 'yesterday'], /--from yesterday/],
    [['run', '--tz', 'Mars/Olympus'], /--tz Mars\/Olympus: not a time zone/],
    [['run', '--cash', '-5'], /--cash/],
    [['run', '--cash', '0'], /--cash 0: expected a positive amount/],
    [['run', '--fee-bps', 'lots'], /--fee-bps lots/],
    [['run', '--param', 'fast'], /--param fast: expected KEY=VALUE/],
    [['run', '--param', 'fast=50'], /fast=50 must be less than slow=20/],
    [['run', '--strategy', 'moonshot'], /--strategy moonshot: no built-in strategy/],
    [['run', '--strategy', './nope.ts'], /--strategy \.\/nope\.ts: file not found/],
    [['run', '--symbols', 'SPY', '--file', 'TSLA=x.csv'], /--file TSLA=x.csv: TSLA is not in --symbols/],
    [['run', '--lot', 'SPY=0.3'], /--lot SPY=0.3: the lot step must be a power of ten/],
    [['run', '--symbols', 'SPY,NOPE', '--data', SAMPLE], /no data for NOPE: file not found/],
    [['run', '--data', join(ROOT, 'README.md')], /--data .*README\.md is a file, not a folder.*--file SPY=/],
    [['run', '--data', join(ROOT, 'no-such-folder')], /--data .*no-such-folder: no such folder/],
    [['run', '--symbols', 'SPY', '--file', 'SPY=/nope/spy.csv'], /--file SPY=\/nope\/spy.csv: file not found\. Check the path/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['run', '--data', SAMPLE, '--out', join(ROOT, 'README.md', 'runs')], /README\.md\/runs: cannot create the artifacts folder/],
  ];
  for (const [args, message] of cases) {
    const r = await run([...args, ...(args[0] === 'run' && !args.includes('--out') ? ['--out', tmp()] : [])]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('a user strategy loads from a file with parameters; a throwing one ends the run with exit 1, naming it', async () => {
  const dir = tmp();
  const file = join(dir, 'every-nth.ts');
  writeFileSync(
    file,
    `
    export default (params: Record<string, string>) => {
      const n = Number(params.n ?? 10);
      let seen = 0;
      return {
        name: 'every-nth', warmup: 0,
        onBar(bar: { close: number }, ctx: { position: number }) {
          seen++;
          if (params.explode && seen === 5) throw new Error('boom at five');
          if (seen % n !== 0) return [];
          return [{ side: ctx.position > 0 ? 'sell' : 'buy', qty: 1 }];
        },
      };
    };`,
  );
  const out = tmp();
  const ok = await run(['run', '--data', SAMPLE, '--minutes', '60', '--strategy', file, '--param', 'n=20', '--out', out]);
  assert.equal(ok.code, 0, ok.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.orders, 6); // 120 bars, every 20th
  const boomOut = tmp();
  const boom = await run(['run', '--data', SAMPLE, '--strategy', file, '--param', 'explode=1', '--out', boomOut]);
  assert.equal(boom.code, 1);
  assert.match(boom.stderr, /strategy every-nth threw .* boom at five/);
  const s = JSON.parse(readFileSync(join(boomOut, 'summary.json'), 'utf8'));
  assert.equal(s.status, 'error');
  assert.equal(s.decisions, 4, 'decisions before the throw are kept');
  assert.ok(existsSync(join(boomOut, 'events.ndjson')));
  assert.match(readFileSync(join(boomOut, 'events.ndjson'), 'utf8').trim().split('\n').at(-1)!, /"type":"run_end"/);
});

test('npx tradeloop works through the package bin', () => {
  const r = spawnSync('npx', ['--no-install', 'tradeloop', 'help'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /tradeloop: a paper-trading runtime/);
});

test('the README example strategy runs and trades on the bundled data', async () => {
  const out = tmp();
  const r = await run(['run', '--data', SAMPLE, '--strategy', join(ROOT, 'examples', 'breakout.ts'), '--param', 'lookback=30', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.decisions, summary.bars);
  assert.ok(summary.fills > 0);
  const typo = await run(['run', '--data', SAMPLE, '--strategy', join(ROOT, 'examples', 'breakout.ts'), '--param', 'lokback=30', '--out', tmp()]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /--param lokback: breakout has no such parameter/);
});

test('an empty run window is an error, not a silent empty run; an unknown help topic is refused', async () => {
  const out = tmp();
  const r = await run(['run', '--data', SAMPLE, '--from', '2030-01-01T00:00:00Z', '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no bar in the run window \(from 2030-01-01T00:00:00Z\)/);
  assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).status, 'error');
  const h = await run(['help', 'runn']);
  assert.equal(h.code, 2);
  assert.match(h.stderr, /help runn: no such command/);
});

test('bin/tradeloop.js on an old Node says how to run it instead of failing on a .ts import', () => {
  // This Node, told it is 22 before the bin runs: the version gate itself, on any machine.
  const older = 'data:text/javascript,Object.defineProperty(process.versions, "node", { value: "22.12.0" });';
  const r = spawnSync(process.execPath, ['--import', older, join(ROOT, 'bin', 'tradeloop.js'), 'help'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /tradeloop needs Node 24 \(this is Node 22\.12\.0\)\. Run it as "npx tradeloop/);
  assert.equal(r.stdout, '', 'nothing of the CLI ran');
});

test('bin/tradeloop.js under a real older Node (the system one) parses and refuses the same way', (t) => {
  // Where the system Node is older, the file must also parse there: a newer syntax would fail before the gate.
  const PATH = '/usr/local/bin:/usr/bin:/bin';
  const system = spawnSync('/usr/bin/env', ['node', '--version'], { encoding: 'utf8', env: { PATH } });
  const version = system.status === 0 ? system.stdout.trim() : null;
  if (version === null || Number(version.slice(1).split('.')[0]) >= 24) {
    t.skip(`no Node older than 24 on ${PATH} (${version ?? 'none'}): the gate is tested above with a faked version`);
    return;
  }
  const r = spawnSync('/usr/bin/env', ['node', join(ROOT, 'bin', 'tradeloop.js'), 'help'], { encoding: 'utf8', env: { ...process.env, PATH } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`tradeloop needs Node 24 \\(this is Node ${version.slice(1).replaceAll('.', '\\.')}\\)\\. Run it as "npx tradeloop`));
});

test('--to ends the run window (exclusive): with --from, one hour is 60 bars a symbol; --to with --minutes, or before --from, is refused', async () => {
  const out = tmp();
  const r = await run(['run', '--data', SAMPLE, '--from', '2026-03-09T14:00:00Z', '--to', '2026-03-09T15:00:00Z', '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { bars: number };
  assert.equal(summary.bars, 120);
  const both = await run(['run', '--data', SAMPLE, '--to', '2026-03-09T15:00:00Z', '--minutes', '30', '--out', tmp()]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--to .* with --minutes 30: give one end of the window/);
  const before = await run(['run', '--data', SAMPLE, '--from', '2026-03-09T15:00:00Z', '--to', '2026-03-09T14:00:00Z', '--out', tmp()]);
  assert.equal(before.code, 2);
  assert.match(before.stderr, /--to 2026-03-09T14:00:00Z: must be after --from/);
});

test('tradeloop --version says the version and the Node it runs on', async () => {
  const r = await run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^tradeloop \d+\.\d+\.\d+ \(Node 24\.\d+\.\d+\)\n$/);
});

test('a run into a folder with an earlier run replaces its files, never truncating them in place: a hard link to the earlier log keeps it', async (t) => {
  // ext4 flushes a file truncated to nothing when it is closed (auto_da_alloc): truncating the old log
  // made closing the new one wait for its hundreds of megabytes to reach the disk. A new file does not.
  const out = join(await tempDir(t, 'tl-rerun-'), 'out');
  const first = await run(['run', '--data', SAMPLE, '--minutes', '60', '--out', out, '--quiet']);
  assert.equal(first.code, 0, first.stderr);
  const files = ['events.ndjson', 'equity.csv', 'trades.csv'];
  const before = files.map((f) => readFileSync(join(out, f), 'utf8'));
  for (const f of files) linkSync(join(out, f), join(out, `${f}.earlier`));
  const second = await run(['run', '--data', SAMPLE, '--minutes', '120', '--out', out, '--quiet']);
  assert.equal(second.code, 0, second.stderr);
  for (const [i, f] of files.entries()) {
    assert.equal(readFileSync(join(out, `${f}.earlier`), 'utf8'), before[i], `${f}: the earlier run's file is left whole`);
    assert.notEqual(readFileSync(join(out, f), 'utf8'), before[i], `${f}: the new run's`);
  }
});

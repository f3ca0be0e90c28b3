/**
 * tradeloop as a package, tried as a strategy author would: `npm pack`, the tarball unpacked into
 * a fresh project outside the repository (its dependencies linked from this checkout's, since tests
 * reach no registry), a TypeScript strategy importing from 'tradeloop', type-checked against the
 * package's declarations, run with backtest() and with the installed CLI: both give the summary
 * the checkout's own CLI gives for the same options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'data', 'sample');

const STRATEGY = `import { checkKnownParams, intParam, type StrategyFactory } from 'tradeloop';

/** Buys one lot every n-th bar, sells it the n-th bar after. */
const create: StrategyFactory = (params) => {
  checkKnownParams(params, ['n'], 'every-n');
  const n = intParam(params, 'n', 20, 1, 1000);
  let seen = 0;
  return {
    name: 'every-n',
    warmup: 0,
    onBar(_bar, ctx) {
      seen++;
      if (seen % n !== 0) return [];
      return [{ side: ctx.position > 0 ? 'sell' : 'buy', qty: 1 }];
    },
  };
};

export default create;
`;

const PROGRAM = `import { backtest, type RunSummary } from 'tradeloop';

const events: string[] = [];
const r = await backtest({
  symbols: ['SPY', 'QQQ'], data: process.argv[2]!, strategy: './my-strategy.ts', params: { n: 20 }, out: 'out-api',
  onEvent: (e) => { if (e.type === 'fill') events.push(e.type); },
});
const summary: RunSummary = r.summary;
process.stdout.write(JSON.stringify({ summary, fillsSeen: events.length, exitCode: r.exitCode }));
`;

test("npm pack installs into a project outside the repo: a TS strategy type-checks, backtest() and the installed CLI give the checkout's summary", async (t) => {
  const work = await tempDir(t, 'tl-pack-');
  const packed = execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .trim()
    .split('\n')
    .pop()!;
  const proj = join(work, 'proj');
  const modules = join(proj, 'node_modules');
  mkdirSync(modules, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed), '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'tradeloop'));
  assert.deepEqual(
    readdirSync(join(modules, 'tradeloop')).sort(),
    ['README.md', 'bin', 'data', 'dist', 'package.json'],
    'the package ships compiled code, not sources',
  );
  // What npm install would bring from the registry, linked from this checkout instead.
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === '.bin' || name === 'tradeloop' || name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'my-strategies', private: true, type: 'module' }));
  writeFileSync(join(proj, 'my-strategy.ts'), STRATEGY);
  writeFileSync(join(proj, 'run.ts'), PROGRAM);
  writeFileSync(
    join(proj, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: false,
        types: ['node'],
      },
      include: ['*.ts'],
    }),
  );
  // Types: the author's code checks against the package's declarations.
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', proj], { cwd: proj, encoding: 'utf8' });

  const api = JSON.parse(execFileSync(process.execPath, ['run.ts', SAMPLE], { cwd: proj, encoding: 'utf8' })) as {
    summary: Record<string, unknown>;
    fillsSeen: number;
    exitCode: number;
  };
  assert.equal(api.exitCode, 0);
  assert.ok(api.fillsSeen > 0 && api.fillsSeen === api.summary.fills, 'onEvent saw every fill');
  const args = ['run', '--source', 'csv', '--symbols', 'SPY,QQQ', '--data', SAMPLE, '--strategy', './my-strategy.ts', '--param', 'n=20', '--quiet'];
  execFileSync(process.execPath, [join(modules, 'tradeloop', 'bin', 'tradeloop.js'), ...args, '--out', 'out-cli'], { cwd: proj, encoding: 'utf8' });
  execFileSync(process.execPath, [join(ROOT, 'bin', 'tradeloop.js'), ...args, '--out', 'out-checkout'], { cwd: proj, encoding: 'utf8' });
  const summaryOf = (dir: string): unknown => JSON.parse(readFileSync(join(proj, dir, 'summary.json'), 'utf8'));
  assert.deepEqual(api.summary, summaryOf('out-checkout'), "backtest() gives what the checkout's CLI gives");
  assert.deepEqual(summaryOf('out-cli'), summaryOf('out-checkout'), 'the installed CLI too');
  assert.equal(readFileSync(join(proj, 'out-api', 'events.ndjson'), 'utf8'), readFileSync(join(proj, 'out-checkout', 'events.ndjson'), 'utf8'));
});

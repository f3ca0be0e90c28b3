import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { scratchDir } from '../helpers/temp-dir.ts';

const dir = () => scratchDir('tl-edge-');
async function run(args: string[]) {
  const err: string[] = [];
  const code = await main(args, { stdout: () => {}, stderr: (t) => err.push(t) }, {});
  return { code, stderr: err.join('') };
}

test('a headerless file with ISO timestamps is read as timestamp,open,high,low,close,volume', async () => {
  const d = dir();
  writeFileSync(join(d, 'X.csv'), '2026-01-05 00:00:00,10,11,9,10.5,3\n2026-01-05 00:01:00,10.5,12,10,11,4\n');
  const out = dir();
  const r = await run(['run', '--symbols', 'X', '--data', d, '--strategy', 'hold', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const bars = readFileSync(join(out, 'events.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"bar"'))
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    bars.map((b) => [b.openTime, b.close]),
    [
      [Date.UTC(2026, 0, 5), 10.5],
      [Date.UTC(2026, 0, 5, 0, 1), 11],
    ],
  );
});

test('a header with no rows is an error, not an empty run', async () => {
  const d = dir();
  writeFileSync(join(d, 'X.csv'), 'timestamp,open,high,low,close,volume\n\n');
  const r = await run(['run', '--symbols', 'X', '--data', d, '--out', dir()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /X\.csv: the file has a header but no rows/);
});

test('a folder given as --file is named as a folder', async () => {
  const d = dir();
  const r = await run(['run', '--symbols', 'X', '--file', `X=${d}`, '--out', dir()]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is a folder, not a file/);
});

test('bars closer together than --interval stop the run naming the file, line and flag', async () => {
  const d = dir();
  writeFileSync(
    join(d, 'X.csv'),
    'timestamp,open,high,low,close,volume\n2026-01-05T00:00:00Z,1,1,1,1,1\n2026-01-05T00:05:00Z,1,1,1,1,1\n2026-01-05T00:06:00Z,1,1,1,1,1\n',
  );
  const r = await run(['run', '--symbols', 'X', '--data', d, '--interval', '5m', '--out', dir()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /X\.csv:4: bars 60 s apart are closer than --interval 5m/);
  const ok = await run(['run', '--symbols', 'X', '--data', d, '--interval', '1m', '--out', dir()]);
  assert.equal(ok.code, 0, 'gaps wider than the interval are fine');
});

/**
 * `tradeloop report` reads a folder someone else may have filled: an events.ndjson that is a link
 * to /dev/zero, or one endless line, once grew memory without bound. Each is refused by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../helpers/temp-dir.ts';

async function report(dir: string): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(['report', dir, '--out', join(dir, 'r.html')], { stdout: () => {}, stderr: (t) => (err += t) }, {});
  return { code, err };
}

test('an events.ndjson that links to /dev/zero, or holds a 10 MB line, is refused (exit 2), not read into memory', async (t) => {
  const zero = await tempDir(t, 'tl-rep-zero-');
  symlinkSync('/dev/zero', join(zero, 'events.ndjson'));
  const a = await report(zero);
  assert.equal(a.code, 2);
  assert.match(a.err, /events\.ndjson is not a regular file/);
  const long = await tempDir(t, 'tl-rep-long-');
  writeFileSync(join(long, 'events.ndjson'), `${'x'.repeat(100)}\n${'x'.repeat(10 << 20)}`);
  const b = await report(long);
  assert.equal(b.code, 2);
  assert.match(b.err, /events\.ndjson:2: a line longer than 8388608 characters/);
  const odd = await tempDir(t, 'tl-rep-odd-');
  writeFileSync(join(odd, 'events.ndjson'), '{"seq":1,"type":"run_start"}\n');
  const c = await report(odd);
  assert.equal(c.code, 2);
  assert.match(c.err, /events\.ndjson is not a log tradeloop wrote/);
});

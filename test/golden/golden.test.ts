import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { validateEventLine } from '../../src/events/schema.ts';
import { GOLDEN_DIR, goldenArgs } from './golden-args.ts';

const io = { stdout: () => {}, stderr: (t: string) => process.stderr.write(t) };

/** The golden job, run once for both tests: they look at what this code writes, not at the committed files alone. */
let out = '';
before(async () => {
  out = mkdtempSync(join(tmpdir(), 'tradeloop-golden-'));
  assert.equal(await main(goldenArgs(out), io, {}), 0);
});
after(() => rmSync(out, { recursive: true, force: true }));

test('the golden run is byte-identical to the committed snapshot (npm run golden:update rewrites it on purpose)', () => {
  for (const file of ['events.ndjson', 'summary.json', 'trades.csv', 'equity.csv']) {
    const got = readFileSync(join(out, file), 'utf8');
    const want = readFileSync(join(GOLDEN_DIR, file), 'utf8');
    if (got !== want) {
      const a = got.split('\n');
      const b = want.split('\n');
      const at = a.findIndex((line, i) => line !== b[i]);
      assert.fail(`${file} differs from the golden at line ${at + 1}:\n  got  ${a[at]}\n  want ${b[at]}\nIf the change is meant, run npm run golden:update and review the diff.`);
    }
  }
});

test('CI gate: exactly one decision per accepted bar on the golden run, every line valid', () => {
  const lines = readFileSync(join(out, 'events.ndjson'), 'utf8').trim().split('\n');
  const events = lines.map((l) => JSON.parse(l) as { type: string; symbol?: string; openTime?: number; seq: number });
  const bars = events.filter((e) => e.type === 'bar');
  const decisions = events.filter((e) => e.type === 'decision');
  assert.ok(bars.length > 3000);
  assert.equal(decisions.length, bars.length);
  assert.deepEqual(decisions.map((d) => `${d.symbol}@${d.openTime}`), bars.map((b) => `${b.symbol}@${b.openTime}`));
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  for (const line of lines) assert.deepEqual(validateEventLine(line), [], line);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.bars, bars.length);
  assert.equal(summary.decisions, decisions.length);
  assert.ok(summary.fills > 0, 'the golden run trades');
  // What the gate passed is what is committed: a snapshot rewritten from a broken run would fail the first test.
  assert.equal(readFileSync(join(out, 'events.ndjson'), 'utf8'), readFileSync(join(GOLDEN_DIR, 'events.ndjson'), 'utf8'));
});

/**
 * The sweep's grid: ranges (integers and exact decimals, inclusive ends), lists, one value, a JSON
 * file, the order of the product, and each refusal naming the flag and the value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeGrid, pointAt, parseAxis, readGridFile } from '../../src/sweep/grid.ts';
import { UsageError } from '../../src/errors.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';

const values = (spec: string): readonly string[] => parseAxis(spec, 10_000).values;

function refused(fn: () => unknown, ...named: string[]): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `a UsageError, got ${String(err)}`);
    for (const part of named) assert.ok(err.message.includes(part), `names ${JSON.stringify(part)}: ${err.message}`);
    return err.message;
  }
  assert.fail('accepted');
}

test('an integer range includes both ends when the steps land on them, and stops below TO when they do not', () => {
  assert.deepEqual(values('fast=5..30:5'), ['5', '10', '15', '20', '25', '30']);
  assert.deepEqual(values('fast=5..12:5'), ['5', '10']);
  assert.deepEqual(values('fast=3..6'), ['3', '4', '5', '6'], 'no step: 1');
  assert.deepEqual(values('x=-2..2:2'), ['-2', '0', '2']);
  assert.deepEqual(values('x=7..7:3'), ['7'], 'one value');
});

test('a decimal range is exact (no 0.30000000000000004) and written shortest', () => {
  assert.deepEqual(values('z=0.1..0.3:0.1'), ['0.1', '0.2', '0.3']);
  assert.deepEqual(values('z=0.5..2:0.25'), ['0.5', '0.75', '1', '1.25', '1.5', '1.75', '2']);
  assert.deepEqual(values('z=-0.5..0.5:0.5'), ['-0.5', '0', '0.5']);
  assert.deepEqual(values('z=1.10..1.3:0.1'), ['1.1', '1.2', '1.3']);
});

test('a list keeps its values as given, in order; one value is an axis of one', () => {
  assert.deepEqual(values('slow=20, 50 ,100'), ['20', '50', '100']);
  assert.deepEqual(values('mode=fast'), ['fast']);
  assert.deepEqual(parseAxis(' slow = 20,50', 10).name, 'slow');
});

test('each malformed axis is refused naming the parameter and the value', () => {
  refused(() => parseAxis('fast', 10), '--param fast');
  refused(() => parseAxis('=5', 10), '--param =5');
  refused(() => parseAxis('fast=', 10), 'fast');
  refused(() => parseAxis('9x=1', 10), '--param 9x=1');
  refused(() => parseAxis('fast=30..5:5', 10), 'fast=30..5:5', 'empty');
  refused(() => parseAxis('fast=5..30:0', 10), 'fast=5..30:0', 'above 0');
  refused(() => parseAxis('fast=5..30:-5', 10), 'fast=5..30:-5', '-5');
  refused(() => parseAxis('fast=5..30:x', 10), '"x"');
  refused(() => parseAxis('fast=a..30:5', 10), 'fast=a..30:5', '"a"');
  refused(() => parseAxis('z=0.5..2', 10), 'z=0.5..2', 'step');
  refused(() => parseAxis('slow=20,,50', 10), 'slow=20,,50', 'empty');
  refused(() => parseAxis('slow=20,50,20', 10), 'slow=20,50,20', '20 is listed twice');
  refused(() => parseAxis('fast=1..100000', 1000), 'fast=1..100000', '100000 values', '--max-runs 1000');
});

test('the grid is the product in the order given, the last parameter varying fastest', () => {
  const grid = makeGrid([parseAxis('fast=5,10', 100), parseAxis('slow=20..40:10', 100), parseAxis('pct=1', 100)], 100);
  assert.equal(grid.size, 6);
  const points = Array.from({ length: grid.size }, (_, i) => ({ ...pointAt(grid, i) }));
  assert.deepEqual(points, [
    { fast: '5', slow: '20', pct: '1' },
    { fast: '5', slow: '30', pct: '1' },
    { fast: '5', slow: '40', pct: '1' },
    { fast: '10', slow: '20', pct: '1' },
    { fast: '10', slow: '30', pct: '1' },
    { fast: '10', slow: '40', pct: '1' },
  ]);
  assert.deepEqual(Object.keys(pointAt(grid, 4)), ['fast', 'slow', 'pct'], 'keys in axis order');
  assert.equal(Object.getPrototypeOf(pointAt(grid, 0)), null, 'a name such as constructor is a plain key');
});

test('a grid is refused when empty, above --max-runs, or with a parameter twice', () => {
  refused(() => makeGrid([], 10), '--param', '--grid');
  const big = [parseAxis('a=1..100', 1000), parseAxis('b=1..100', 1000)];
  assert.equal(makeGrid(big, 10_000).size, 10_000, 'at the limit');
  refused(() => makeGrid([...big, parseAxis('c=1,2', 10)], 10_000), '20,000 runs', 'a 100 × b 100 × c 2', '--max-runs 10000');
  refused(() => makeGrid([parseAxis('a=1', 10), parseAxis('a=2', 10)], 10), '--param a is given twice');
});

test('--grid FILE.json: axes in the file key order, numbers and strings as text; bad files refused by path and key', async (t) => {
  const dir = await tempDir(t, 'tl-sweep-grid-');
  const ok = await fixture(dir, 'grid.json', '{"fast": [5, 10.5], "mode": ["a", " b "]}');
  assert.deepEqual(readGridFile(ok), [
    { name: 'fast', values: ['5', '10.5'] },
    { name: 'mode', values: ['a', 'b'] },
  ]);
  refused(() => readGridFile(join(dir, 'missing.json')), 'missing.json', 'ENOENT');
  const bad: ReadonlyArray<readonly [string, string, string]> = [
    ['syntax.json', '{fast: [5]}', 'not JSON'],
    ['list.json', '[1, 2]', 'object'],
    ['empty.json', '{"fast": []}', '"fast"'],
    ['scalar.json', '{"fast": 5}', '"fast"'],
    ['null.json', '{"fast": [5, null]}', 'null'],
    ['blank.json', '{"fast": [5, " "]}', '" "'],
    ['dup.json', '{"fast": [5, 5]}', '5 is listed twice'],
    ['name.json', '{"a b": [5]}', '"a b"'],
  ];
  for (const [name, text, part] of bad) {
    const path = await fixture(dir, name, text);
    refused(() => readGridFile(path), name, part);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TradingState } from '../../src/risk/trading-state.ts';

const h = (
  reason: 'flag' | 'operator' | 'feed_stale' | 'drawdown' | 'daily_loss',
  source: 'flag' | 'operator' | 'auto',
  severity: 'halted' | 'reducing' = 'halted',
  detail = 'x',
) => ({ reason, source, severity, detail, since: null }) as const;

test('the state is the worst severity held: ACTIVE, REDUCING, HALTED', () => {
  const s = new TradingState();
  assert.equal(s.state, 'ACTIVE');
  assert.deepEqual(s.raise(h('daily_loss', 'auto', 'reducing')) && { from: 'ACTIVE', to: s.state }, { from: 'ACTIVE', to: 'REDUCING' });
  const c = s.raise(h('feed_stale', 'auto'));
  assert.deepEqual([c?.from, c?.to], ['REDUCING', 'HALTED']);
  const lifted = s.lift('feed_stale', 'auto');
  assert.deepEqual([lifted?.from, lifted?.to], ['HALTED', 'REDUCING']);
});

test('halts are a set: each is lifted only by the source that raised it; a repeat is a no-op', () => {
  const s = new TradingState();
  assert.ok(s.raise(h('feed_stale', 'auto')));
  assert.equal(s.raise(h('feed_stale', 'auto')), null, 'the same halt again changes nothing');
  assert.ok(s.raise(h('operator', 'operator')));
  assert.equal(s.lift('operator', 'auto'), null, 'the feed cannot lift an operator halt');
  assert.ok(s.lift('feed_stale', 'auto'));
  assert.equal(s.state, 'HALTED');
  assert.ok(s.lift('operator', 'operator'));
  assert.equal(s.state, 'ACTIVE');
});

test("an operator changing their own halt's severity updates it in place; another source cannot", () => {
  const s = new TradingState();
  s.raise(h('operator', 'operator', 'halted'));
  const c = s.raise(h('operator', 'operator', 'reducing'));
  assert.deepEqual([c?.from, c?.to], ['HALTED', 'REDUCING']);
  assert.equal(s.list().length, 1);
  assert.equal(s.raise(h('operator', 'auto', 'halted')), null);
  assert.equal(s.state, 'REDUCING');
});

test('a latched drawdown halt is raised by the loop and lifted only by an operator', () => {
  const s = new TradingState();
  s.raise(h('drawdown', 'auto', 'reducing'));
  assert.equal(s.canLift('drawdown', 'auto'), false, 'not even by the loop that raised it: the latch holds');
  assert.equal(s.lift('drawdown', 'auto'), null);
  assert.equal(s.state, 'REDUCING');
  assert.equal(s.canLift('drawdown', 'flag'), false);
  assert.equal(s.canLift('drawdown', 'operator'), true, 'an operator may');
  assert.ok(s.lift('drawdown', 'operator'));
  assert.equal(s.state, 'ACTIVE');
  s.raise(h('flag', 'flag'));
  assert.equal(s.canLift('flag', 'operator'), false, 'the flag is lifted only by a restart without it');
});

test("an operator's halt repeated with the same severity is a no-op whatever its detail; the halt file's new line updates it", () => {
  const s = new TradingState();
  s.raise(h('operator', 'operator', 'halted', 'checking the feed'));
  assert.equal(s.raise(h('operator', 'operator', 'halted', 'still checking')), null, 'a second reason is not a second halt');
  assert.equal(s.get('operator')?.detail, 'checking the feed', 'the halt held keeps its own reason');
  const file = { reason: 'halt_file', source: 'file', severity: 'halted', since: null } as const;
  s.raise({ ...file, detail: 'halt present' });
  const c = s.raise({ ...file, detail: 'halt present: maintenance' });
  assert.ok(c, "the file's line is what the file says now");
  assert.equal(s.get('halt_file')?.detail, 'halt present: maintenance');
});

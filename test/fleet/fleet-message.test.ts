/**
 * The fleet's control messages: signed, they read back as sent; any field changed, another token,
 * no MAC or another fleet, and they are refused with the reason. The halt key's entries are judged
 * the same way, newest signed time first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeHaltEntry } from '../../src/fleet/fleet-bucket.ts';
import { checkControl, describeControl, fleetNameProblem, fleetSubject, signControl } from '../../src/fleet/fleet-message.ts';
import { formatFleetTable, type MemberStatus } from '../../src/fleet/fleet-status.ts';
import { FleetKey } from '../../src/fleet/fleet-token.ts';

const key = new FleetKey('a-secret-long-enough-for-a-fleet');
const at = Date.UTC(2026, 0, 5, 12, 0);

test('a signed message reads back as sent; each field changed, another token, no MAC or another fleet is refused', () => {
  const { text, control } = signControl(key, { fleet: 'f1', action: 'halt', severity: 'reducing', reason: 'r'.repeat(300), by: 'ops@desk', at });
  assert.equal(control.reason!.length, 200, 'the reason is cut, not refused');
  assert.match(control.nonce, /^[0-9a-f]{32}$/);
  assert.deepEqual(checkControl(key, text, 'f1'), { ok: true, control });
  assert.equal(describeControl(control), `fleet halt (reducing) by ops@desk at 2026-01-05T12:00:00.000Z: ${'r'.repeat(200)}`);
  const sent = JSON.parse(text) as Record<string, unknown>;
  for (const [field, value] of Object.entries({
    fleet: 'f2',
    action: 'resume',
    severity: 'halted',
    reason: 'other',
    by: 'x@y',
    at: at + 1,
    nonce: '0'.repeat(32),
  })) {
    const altered = { ...sent, [field]: value, ...(field === 'action' ? { severity: null } : {}) };
    const r = checkControl(key, JSON.stringify(altered), 'f1');
    assert.equal(r.ok, false, field);
    assert.match((r as { why: string }).why, /wrong MAC/, field);
  }
  assert.match((checkControl(new FleetKey('another-secret-of-another-fleet'), text, 'f1') as { why: string }).why, /wrong MAC/);
  assert.match((checkControl(key, JSON.stringify({ ...sent, mac: undefined }), 'f1') as { why: string }).why, /no MAC/);
  assert.match((checkControl(key, text, 'f2') as { why: string }).why, /signed for fleet f1, not this one \(f2\)/);
  assert.match((checkControl(key, 'halt!', 'f1') as { why: string }).why, /not JSON/);
  assert.match((checkControl(key, '[1]', 'f1') as { why: string }).why, /not a JSON object/);
  for (const bad of [
    { at: 'soon' },
    { action: 'explode' },
    { severity: 'sideways' },
    { severity: null },
    { by: 7 },
    { reason: 3 },
    { fleet: null },
    { nonce: 1 },
    { at: 1.5 },
  ])
    assert.match(
      (checkControl(key, JSON.stringify({ ...sent, ...bad }), 'f1') as { why: string }).why,
      /a field is missing or of the wrong type/,
      JSON.stringify(bad),
    );
  // A resume with a severity is malformed too.
  const resume = JSON.parse(signControl(key, { fleet: 'f1', action: 'resume', by: 'a@b', at }).text) as Record<string, unknown>;
  assert.match((checkControl(key, JSON.stringify({ ...resume, severity: 'halted' }), 'f1') as { why: string }).why, /wrong type/);
  const resumed = checkControl(key, JSON.stringify(resume), 'f1');
  assert.ok(resumed.ok);
  assert.equal(describeControl(resumed.control), 'fleet resume by a@b at 2026-01-05T12:00:00.000Z');
});

test('halt key entries: the newest valid signed time is the state; an older one is a replay; a delete, a flatten or a forged one is refused', () => {
  const entry = (text: string, revision: number, operation: 'PUT' | 'DEL' | 'PURGE' = 'PUT') => ({ operation, revision, string: () => text });
  const halt = signControl(key, { fleet: 'f1', action: 'halt', severity: 'halted', by: 'a@b', at }).text;
  const first = judgeHaltEntry(key, 'f1', entry(halt, 1), null);
  assert.equal(first.kind, 'newer');
  const state = (first as { state: { control: { at: number }; revision: number } }).state;
  assert.equal(state.revision, 1);
  const resume = signControl(key, { fleet: 'f1', action: 'resume', by: 'a@b', at: at + 1 }).text;
  assert.equal(judgeHaltEntry(key, 'f1', entry(resume, 2), state as never).kind, 'newer');
  const replay = judgeHaltEntry(key, 'f1', entry(halt, 3), state as never);
  assert.equal(replay.kind, 'older');
  assert.match((replay as { why: string }).why, /revision 3: a halt signed at 2026-01-05T12:00:00.000Z, not newer than the state in force .*a replay/);
  assert.match((judgeHaltEntry(key, 'f1', entry('', 4, 'DEL'), null) as { why: string }).why, /a DEL of the halt key \(revision 4\), which carries no MAC/);
  const flatten = signControl(key, { fleet: 'f1', action: 'flatten', by: 'a@b', at }).text;
  assert.match((judgeHaltEntry(key, 'f1', entry(flatten, 5), null) as { why: string }).why, /a flatten message is no halt state/);
  assert.match((judgeHaltEntry(key, 'f1', entry('{}', 6), null) as { why: string }).why, /revision 6: no MAC/);
  const unreadable = { operation: 'PUT' as const, revision: 7, string: (): string => assert.fail('not text') };
  assert.match((judgeHaltEntry(key, 'f1', unreadable, null) as { why: string }).why, /revision 7 is not text/);
});

test('fleet names are bucket names and subject tokens', () => {
  assert.equal(fleetNameProblem('desk-1_paper'), null);
  for (const bad of ['', 'a.b', 'a b', 'a*', 'x'.repeat(65)]) assert.match(fleetNameProblem(bad)!, /letters, digits, _ or -/);
  assert.equal(fleetSubject('desk', 'status'), 'tradeloop.fleet.desk.status');
});

test('fleet status prints one line a session, by name, with what is unknown as -', () => {
  const base: MemberStatus = {
    name: 'b-sess',
    runId: 'rt-1',
    strategy: 'sma-cross',
    symbols: ['BTCUSDT'],
    host: 'h1',
    pid: 11,
    state: 'HALTED',
    halts: ['fleet', 'operator'],
    lastBar: '2026-01-05T00:01:00.000Z',
    lastBarAgeSeconds: 3,
    lagBars: 2,
    equity: '100123.456',
    fleet: { name: 'f', connected: true, state: 'halted', by: 'a@b', reason: null, at: 1, revision: 1, applied: 1, refused: 0 },
  };
  const other: MemberStatus = {
    ...base,
    name: 'a-sess',
    state: 'ACTIVE',
    halts: [],
    lastBar: null,
    lastBarAgeSeconds: null,
    lagBars: null,
    equity: 'n/a',
    pid: 12,
  };
  const lines = formatFleetTable([base, other]).trimEnd().split('\n');
  assert.deepEqual(
    lines.map((l) => l.split(/ {2,}/)),
    [
      ['NAME', 'STRATEGY', 'STATE', 'HALTS', 'LAST BAR', 'AGE', 'LAG', 'EQUITY', 'HOST'],
      ['a-sess', 'sma-cross', 'ACTIVE', '-', '-', '-', '-', 'n/a', 'h1:12'],
      ['b-sess', 'sma-cross', 'HALTED', 'fleet,operator', '2026-01-05T00:01Z', '3s', '2', '100,123.46', 'h1:11'],
    ],
  );
});

/**
 * The README's events.ndjson table is the contract users read: every event type and every reason,
 * kind and state the code can write must be in it. Checked against the vocabulary in
 * src/events/reasons.ts, so a new reason cannot land undocumented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALERT_KINDS, CANCEL_REASONS, FEED_STATES, HALT_REASONS, HALT_SOURCES, REJECT_REASONS, SKIP_REASONS } from '../../src/events/reasons.ts';
import { EVENT_SCHEMA } from '../../src/events/schema.ts';

const README = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The README table row of an event type: `| \`type\` | fields |`. */
function row(type: string): string {
  const line = README.split('\n').find((l) => l.startsWith(`| \`${type}\` |`));
  assert.ok(line, `README's events.ndjson table has a row for ${type}`);
  return line;
}

/** The values listed in a row's `name (a\|b\|c…)` group. */
function listed(type: string, field: string): string[] {
  const m = new RegExp(`${field} \\(([^)]*)\\)`).exec(row(type));
  assert.ok(m, `${type}: ${field} (…) is listed`);
  return m[1]!.split('\\|').map((v) => v.split(':')[0]!.trim());
}

test('every event type has a row in the README table', () => {
  for (const type of Object.keys(EVENT_SCHEMA)) row(type);
});

test('every reason, kind, source and feed state the code writes is listed in the README table', () => {
  const want: Array<[string, string, readonly string[]]> = [
    ['halt', 'reason', HALT_REASONS],
    ['halt', 'source', HALT_SOURCES],
    ['reject', 'reason', REJECT_REASONS],
    ['cancel', 'reason', CANCEL_REASONS],
    ['skip', 'reason', SKIP_REASONS],
    ['alert', 'kind', ALERT_KINDS],
    ['feed', 'state', FEED_STATES],
  ];
  for (const [type, field, values] of want) assert.deepEqual(listed(type, field).sort(), [...values].sort(), `${type}.${field}`);
});

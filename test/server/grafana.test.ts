import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/shared-data.ts';
import { SessionMetrics } from '../../src/server/metrics.ts';

test('the Grafana dashboard reads only metrics the session exports', async () => {
  const dash = JSON.parse(readFileSync(join(repoRoot, 'docs', 'grafana', 'tradeloop.json'), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };
  const metrics = new SessionMetrics(
    {
      status: () => ({ state: 'ACTIVE', halts: [], equity: '1', cash: '1', grossExposure: '0', feed: null }) as never,
      counts: { of: () => 0, byReason: () => ({}) },
      feedState: () => 'live',
      drawdown: () => 0,
    },
    { runId: 'x', mode: 'realtime' },
  );
  const exported = new Set(
    (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
      String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`] : [m.name],
    ),
  );
  const used = dash.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\btradeloop_[a-z_]+/g)].map((m) => m[0])));
  assert.ok(used.length > 10);
  for (const name of used) assert.ok(exported.has(name), `${name} is not exported`);
  for (const title of ['Trading state', 'Equity', 'Drawdown', 'Latency p50 by segment', 'Latency p99 by segment', 'Alerts by kind (last hour)']) {
    assert.ok(
      dash.panels.some((p) => p.title === title),
      title,
    );
  }
});

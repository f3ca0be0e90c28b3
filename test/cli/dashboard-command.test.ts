import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { onPath } from '../../src/cli/dashboard-command.ts';
import { dashboardHtml } from '../../src/server/dashboard-routes.ts';
import { tempDir } from '../helpers/temp-dir.ts';

function io(): { text: () => string; io: { stdout: (t: string) => void; stderr: (t: string) => void } } {
  let all = '';
  return {
    text: () => all,
    io: {
      stdout: (t) => {
        all += t;
      },
      stderr: (t) => {
        all += t;
      },
    },
  };
}

test('tradeloop dashboard: --state is required (exit 2); no session there is exit 3, as for status', async (t) => {
  const a = io();
  assert.equal(await main(['dashboard'], a.io), 2);
  assert.match(a.text(), /--state/);
  const b = io();
  assert.equal(await main(['dashboard', '--state', await tempDir(t)], b.io), 3);
  assert.match(b.text(), /control\.json/);
});

test('--open looks for xdg-open on PATH', async (t) => {
  const dir = await tempDir(t);
  assert.equal(onPath('xdg-open', dir), null);
  writeFileSync(join(dir, 'xdg-open'), '#!/bin/sh\n');
  chmodSync(join(dir, 'xdg-open'), 0o755);
  assert.equal(onPath('xdg-open', dir), join(dir, 'xdg-open'));
});

test('the dashboard page is self-contained: no external script, style or font, and its CSP allows requests to itself only', () => {
  const html = dashboardHtml();
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|url\(http|@import/i);
  assert.match(html, /default-src 'none'.*connect-src 'self'/);
  assert.doesNotMatch(html, /token=[A-Za-z0-9_-]{20}/, 'no token is baked into the page');
});

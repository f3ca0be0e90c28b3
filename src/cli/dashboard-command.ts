/**
 * `tradeloop dashboard --state DIR [--open]`: the URL of the running session's dashboard, with
 * the control token in its fragment (#token=…): a browser sends neither the fragment to the
 * server nor into a log, and the page keeps the token in memory only. --open hands xdg-open a URL
 * with a one-time code instead (#code=…): an opener's command line is readable by every local user,
 * and the code is spent the moment the page trades it for a token of its own (or after a minute).
 * Exit 3 when no session runs at DIR, as for tradeloop status.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parseFlags } from './common-flags.ts';
import { NO_SESSION_EXIT } from './control-commands.ts';
import type { CliIo } from './cli-io.ts';
import { UsageError } from './usage-error.ts';
import { pidAlive, readControlInfo, StateDirError } from '../session/state-dir.ts';

export const DASHBOARD_USAGE = `Usage: tradeloop dashboard --state DIR [--open]
  Prints the URL of the live dashboard of the session running at DIR (the token is in the URL's
  #fragment, which the browser never sends); --open opens it with xdg-open.
`;

/** The first executable `name` on PATH, or null. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** A one-time code from the session, for a URL that may be seen on a command line. */
export async function oneTimeCode(url: string, token: string): Promise<string | null> {
  try {
    const res = await fetch(`${url}/control/dashboard-code`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => null)) as { code?: unknown } | null;
    return res.status === 200 && typeof body?.code === 'string' ? body.code : null;
  } catch {
    return null;
  }
}

export async function dashboardCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const refuse = (m: string): UsageError => new UsageError(`${m}\n${DASHBOARD_USAGE}`);
  const v = parseFlags(argv, { help: { type: 'boolean', short: 'h' }, state: { type: 'string' }, open: { type: 'boolean' } }, refuse).values;
  if (v.help) {
    io.stdout(DASHBOARD_USAGE);
    return 0;
  }
  const dir = v.state;
  if (!dir) throw refuse("tradeloop dashboard needs --state DIR: the state folder of the running session (its --state, or a realtime run's --out folder).");
  let info: ReturnType<typeof readControlInfo>;
  try {
    info = readControlInfo(dir);
  } catch (err) {
    if (err instanceof StateDirError) throw new UsageError(err.message);
    throw err;
  }
  if (info === null || !pidAlive(info.pid)) {
    io.stderr(
      `tradeloop: no session is running at --state ${dir}${info === null ? ' (no control.json there)' : ` (pid ${info.pid} is not running)`}. Start one with tradeloop run ... --state ${dir}.\n`,
    );
    return NO_SESSION_EXIT;
  }
  const url = `${info.url}/#token=${encodeURIComponent(info.token)}`;
  io.stdout(`${url}\n`);
  if (v.open) {
    const opener = onPath('xdg-open');
    if (opener === null) {
      io.stderr('tradeloop: --open: xdg-open is not installed; open the URL above in a browser.\n');
      return 0;
    }
    const code = await oneTimeCode(info.url, info.token);
    if (code === null) {
      io.stderr('tradeloop: --open: the session gave no one-time code (an older tradeloop?); open the URL above in a browser.\n');
      return 0;
    }
    spawn(opener, [`${info.url}/#code=${encodeURIComponent(code)}`], { detached: true, stdio: 'ignore' }).unref();
  }
  return 0;
}

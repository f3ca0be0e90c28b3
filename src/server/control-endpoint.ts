/**
 * Starts the session's control endpoint: a bearer token made at start, the HTTP server on
 * 127.0.0.1, and DIR/control.json (mode 0600) with the URL, the token and the pid, which the
 * CLI's status/halt/resume/flatten read. Refused requests raise a control_auth alert at most once
 * a minute, with the count since the last one.
 */
import { randomBytes } from 'node:crypto';
import type { Session } from '../session/session.ts';
import type { StateDir } from '../session/state-dir.ts';
import type { Clock } from '../telemetry/clock.ts';
import { DashboardCodes, handleControl } from './control-routes.ts';
import { startHttpServer, type RunningServer } from './control-server.ts';
import type { HttpAnswer, HttpRequest } from './http-types.ts';

const AUTH_ALERT_EVERY_MS = 60_000;

export interface ControlEndpoint extends RunningServer {
  readonly token: string;
  /** Requests refused for their token so far. */
  readonly refused: () => number;
}

/** `extra` answers the read-only routes (metrics, health, dashboard) first; null passes a request on to control. */
export type ExtraRoute = (req: HttpRequest) => Promise<HttpAnswer | null>;

export async function startControlEndpoint(session: Session, stateDir: StateDir, port: number, clock: Clock, extra?: ExtraRoute): Promise<ControlEndpoint> {
  const token = randomBytes(32).toString('base64url');
  let refused = 0;
  let unreported = 0;
  let lastAlert = -Infinity;
  let latest = '';
  let why = 'a missing or wrong token';
  const report = (): void => {
    const n = unreported;
    unreported = 0;
    session.outOfCycle(() =>
      session.parts.bus.emit({
        type: 'alert',
        kind: 'control_auth',
        message: `${n} control request(s) refused, the latest for ${why} (from ${latest}); the token is in ${stateDir.controlPath}`,
        ...(session.options.mode === 'realtime' ? { at: clock.now() } : {}),
      }),
    );
  };
  const codes = new DashboardCodes();
  const auth = {
    token,
    now: () => clock.monotonic(),
    onRefused(remote: string, reason = 'a missing or wrong token'): void {
      refused++;
      unreported++;
      latest = remote;
      why = reason;
      const now = clock.monotonic();
      if (now - lastAlert < AUTH_ALERT_EVERY_MS) return;
      lastAlert = now;
      report();
    },
  };
  const server = await startHttpServer(port, async (req, remote) => (await extra?.(req)) ?? handleControl(req, session, auth, remote, codes));
  stateDir.writeControl({
    url: server.url,
    token,
    pid: process.pid,
    runId: session.options.runId,
    mode: session.options.mode,
    startedAt: new Date(session.startedAt).toISOString(),
  });
  return {
    ...server,
    token,
    refused: () => refused,
    // Refusals folded since the last alert are reported as the session ends, not lost with it.
    async close(): Promise<void> {
      if (unreported > 0) report();
      await server.close();
    },
  };
}

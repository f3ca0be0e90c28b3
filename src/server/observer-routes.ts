/**
 * The read-only routes beside /status, open to anyone on this machine like /status itself (they
 * show, they never act): GET /metrics (Prometheus text) and GET /healthz. Control stays behind
 * the token in control-routes.ts. The dashboard (GET / and its stream, GET /events) is read-only
 * too; its buttons send the same token-bearing POST /control/* as the CLI.
 */
import type { SessionObservers } from './observers.ts';
import { json, type HttpAnswer, type HttpRequest } from './http-types.ts';
import { dashboardRoute } from './dashboard-routes.ts';

export async function observerRoute(req: HttpRequest, obs: SessionObservers): Promise<HttpAnswer | null> {
  if (req.path === '/' || req.path === '/events') return dashboardRoute(req, obs);
  if (req.path !== '/metrics' && req.path !== '/healthz') return null;
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: `GET ${req.path}` });
  if (req.path === '/metrics') {
    return { status: 200, headers: { 'content-type': obs.metrics.contentType, 'cache-control': 'no-store' }, body: await obs.metrics.text() };
  }
  const h = obs.health.check();
  return json(h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unhealthy', mode: obs.options.mode, reasons: h.reasons });
}

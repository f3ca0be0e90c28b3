/**
 * GET / : the live dashboard, one self-contained page (the report's charting library and styles,
 * inline); GET /events: its Server-Sent Events stream. The page reads the control token from its
 * URL's fragment (#token=…, which browsers never send to a server or put in a log), keeps it in
 * memory, and sends it only with the buttons' POST /control/* requests.
 */
import { join } from 'node:path';
import { htmlPage, pageScript } from '../report/html-page.ts';
import { json, type HttpAnswer, type HttpRequest } from './http-types.ts';
import type { SessionObservers } from './observers.ts';

const DASHBOARD_DIR = join(import.meta.dirname, 'dashboard');
let page: string | null = null;

export function dashboardHtml(): string {
  page ??= htmlPage({
    title: 'tradeloop dashboard',
    subtitle: 'live session (paper only)',
    connect: true,
    body: pageScript(DASHBOARD_DIR, 'dashboard.html'),
    script: pageScript(DASHBOARD_DIR, 'dashboard.js'),
  });
  return page;
}

export function dashboardRoute(req: HttpRequest, obs: SessionObservers): HttpAnswer {
  if (req.method !== 'GET') return json(405, { error: `GET ${req.path}` });
  if (req.path === '/') {
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      },
      body: dashboardHtml(),
    };
  }
  return {
    status: 200,
    body: '',
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' },
    stream: (out) => obs.stream.attach(out),
  };
}

/**
 * One self-contained HTML page: the charting library (uPlot, from node_modules), the shared chart
 * helpers, the page's own script and styles, and its data, all inline. A Content-Security-Policy
 * of default-src 'none' makes the browser refuse any request the page might try, so it works
 * offline and nothing it shows can leave the machine.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const PAGE_DIR = join(import.meta.dirname, 'page');

let assets: { uplotJs: string; uplotCss: string; charts: string; css: string } | null = null;
function loadAssets(): NonNullable<typeof assets> {
  assets ??= {
    uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    charts: readFileSync(join(PAGE_DIR, 'charts.js'), 'utf8'),
    css: readFileSync(join(PAGE_DIR, 'page.css'), 'utf8'),
  };
  return assets;
}

/** JSON that is safe inside <script>: no "</script", no "<!--". */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export interface PageParts {
  readonly title: string;
  readonly subtitle: string;
  /** Elements after the header (a <main id="app"> at least). */
  readonly body: string;
  /** JSON data for the page, in <script type="application/json" id="…">. */
  readonly data?: { readonly id: string; readonly value: unknown };
  /** The page's own script (its text). */
  readonly script: string;
  /** connect-src for the dashboard's stream and controls ('self'); the report makes no request at all. */
  readonly connect?: boolean;
}

export function htmlPage(p: PageParts): string {
  const a = loadAssets();
  const csp = `default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src ${p.connect ? "'self'" : "'none'"}; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(p.title)}</title>
<style>${a.uplotCss}</style>
<style>${a.css}</style>
</head>
<body>
<header><h1>${escapeHtml(p.title)}</h1><span class="sub">${escapeHtml(p.subtitle)}</span></header>
${p.body}
${p.data ? `<script type="application/json" id="${p.data.id}">${scriptJson(p.data.value)}</script>` : ''}
<!-- uPlot ${'v1.6'}: MIT License, (c) Leon Sorokin, https://github.com/leeoniya/uPlot -->
<script>${a.uplotJs}</script>
<script>${a.charts}</script>
<script>${p.script}</script>
</body>
</html>
`;
}

export function pageScript(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

export { PAGE_DIR };

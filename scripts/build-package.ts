/**
 * `npm pack` (prepack): the installable package. Node does not strip types under node_modules, so
 * the package carries the sources compiled to JavaScript with their declarations (dist/), beside
 * the page assets they read at run time. The repository itself keeps running the sources.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = join(ROOT, 'dist');
rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
// Read with readFileSync beside the compiled modules: the report's page and the dashboard.
for (const dir of ['report/page', 'server/dashboard']) cpSync(join(ROOT, 'src', dir), join(DIST, dir), { recursive: true });
process.stdout.write(`built ${DIST}\n`);

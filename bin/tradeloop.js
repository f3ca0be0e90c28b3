#!/usr/bin/env node
// npx tradeloop: node_modules/.bin comes first on PATH, so "node" is the pinned Node 24, which
// runs the TypeScript sources directly (type stripping): there is no build step.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});

#!/usr/bin/env node
// npx tradeloop: node_modules/.bin comes first on PATH, so "node" is the pinned Node 24, which
// runs the TypeScript sources directly (type stripping): there is no build step. Run by hand
// with an older Node, say so plainly instead of failing on the first .ts import.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`tradeloop needs Node 24 (this is Node ${process.versions.node}). Run it as "npx tradeloop ..." from the project folder: npm install brings Node 24 and npx uses it.\n`);
  process.exit(2);
}
// A reader that stops early (| head) is not an error of ours: stop writing, quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});

#!/usr/bin/env node
// npx tradeloop: node_modules/.bin comes first on PATH, so "node" is the pinned Node 24, which
// runs the TypeScript sources directly (type stripping): in the repository there is no build step.
// Installed as a package, there are no sources: the compiled dist/ runs instead (Node strips no
// types under node_modules). Run by hand with an older Node, say so plainly.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `tradeloop needs Node 24 (this is Node ${process.versions.node}). Run it as "npx tradeloop ..." from the project folder: npm install brings Node 24 and npx uses it.\n`,
  );
  process.exit(2);
}
// Stripping the types of ~100 modules took ~0.3 s of every start: Node's compile cache keeps the
// result (keyed by each file's content, in the OS temp folder), and the event-log writer thread
// reads it too through the environment. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const { default: module } = await import('node:module');
const { join } = await import('node:path');
const { tmpdir } = await import('node:os');
if (!process.env.NODE_DISABLE_COMPILE_CACHE) {
  process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'node-compile-cache');
  module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE);
}
const argv = process.argv.slice(2);
const { existsSync } = await import('node:fs');
const fromSource = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const cli = (name) => new URL(fromSource ? `../src/cli/${name}.ts` : `../dist/cli/${name}.js`, import.meta.url).href;
const { nodeFlagsFor } = await import(cli('node-flags'));
const flags = process.env.TRADELOOP_NODE_DEFAULTS ? [] : nodeFlagsFor(argv);
if (flags.length > 0 && !flags.every((f) => process.execArgv.includes(f))) {
  // A run's heap flags, a sweep's GC flag (src/cli/node-flags.ts) are read by Node only at start: run this file
  // again with them. Signals go to the run, whose shutdown decides the exit code.
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { fstatSync } = await import('node:fs');
  // Descriptors past stderr go to the run too (a benchmark reads fd 3); this process is only a wrapper.
  const extra = [];
  for (let fd = 3; fd < 10; fd++) {
    try {
      fstatSync(fd);
      extra.push(fd);
    } catch {
      break;
    }
  }
  const env = { ...process.env };
  process.env.TRADELOOP_WRAPPER = '1';
  // The IPC channel is how the run learns that this wrapper died (kill -9 of the pid the operator
  // sees): it closes, and the run stops as on SIGTERM instead of trading on, orphaned.
  const child = spawn(process.execPath, [...flags, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', ...extra, 'ipc'],
    env,
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  // Killed by a signal (SIGKILL, an OOM kill, a crash): the shell's 128 + its number, as if run directly.
  const { constants } = await import('node:os');
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 15)));
} else {
  // A reader that stops early (| head) is not an error of ours: stop writing, quietly.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  if (process.channel) {
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    process.channel.unref();
  }
  const { main } = await import(cli('main'));
  process.exitCode = await main(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    // A terminal gets the progress bars (run, sweep) and realtime's default heartbeat.
    stderrTTY: process.stderr.isTTY === true,
  });
}

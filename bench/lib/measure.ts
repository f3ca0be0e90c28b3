/** Runs bench/lib/run-once.ts in a fresh Node process and returns what it measured. */
import { runJsonProcess } from './json-process.ts';
import type { RunResult, RunSpec } from './run-once.ts';

export function measure(spec: RunSpec): Promise<RunResult> {
  return runJsonProcess<RunResult>('run-once.ts', spec, `bench run (${spec.mode}, ${spec.dataDir})`);
}

/**
 * The session's state folder (--state DIR, mode 0700): a lock naming the process that owns it,
 * the persisted halts (operator halts and latched loss-limit halts, so a restart cannot quietly
 * trade again), control.json (the control endpoint's URL and token, mode 0600) and the default
 * halt file. Two processes on one folder are refused at start, naming the other's pid.
 */
import { chmodSync, closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { makeDirs } from './make-dirs.ts';
import { join } from 'node:path';
import { HALT_REASONS, HALT_SEVERITIES, HALT_SOURCES, type HaltReason, type HaltSeverity, type HaltSource } from '../events/reasons.ts';
import { writeFileAtomic } from './atomic-file.ts';

export class StateDirError extends Error {
  override readonly name = 'StateDirError';
}

export interface PersistedHalt {
  readonly reason: HaltReason;
  readonly source: HaltSource;
  readonly severity: HaltSeverity;
  readonly detail: string;
  readonly since: number | null;
}

export interface ControlInfo {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly runId: string;
  readonly mode: 'static' | 'realtime';
  readonly startedAt: string;
}

/** Whether a process with this pid is alive (EPERM: it is, but not ours to signal). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet still answers signal 0: a zombie holds no lock.
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export class StateDir {
  readonly path: string;
  private locked = false;

  private constructor(path: string) {
    this.path = path;
  }

  /** Creates the folder if missing (0700) and takes its lock. */
  static open(path: string): StateDir {
    try {
      if (!existsSync(path)) makeDirs(path, 0o700);
      else if (!statSync(path).isDirectory()) throw new StateDirError(`--state ${path}: not a folder. Name a folder for the session's state (created if missing).`);
    } catch (err) {
      if (err instanceof StateDirError) throw err;
      throw new StateDirError(`--state ${path}: cannot create the state folder (${(err as Error).message}). Choose a writable folder.`);
    }
    const dir = new StateDir(path);
    dir.lock();
    return dir;
  }

  get lockPath(): string {
    return join(this.path, 'lock');
  }

  get haltsPath(): string {
    return join(this.path, 'halts.json');
  }

  get controlPath(): string {
    return join(this.path, 'control.json');
  }

  get defaultHaltFile(): string {
    return join(this.path, 'HALT');
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx', 0o600);
        writeSync(fd, JSON.stringify({ pid: process.pid }) + '\n');
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StateDirError(`--state ${this.path}: cannot take the session lock (${(err as Error).message}).`);
        }
      }
      let pid = NaN;
      try {
        pid = Number((JSON.parse(readFileSync(this.lockPath, 'utf8')) as { pid?: unknown }).pid);
      } catch {
        // A lock that cannot be read was left half-written by a crash: it is stale.
      }
      if (pidAlive(pid) && pid !== process.pid) {
        throw new StateDirError(`--state ${this.path}: another tradeloop session (pid ${pid}) is using this folder. Stop it first (tradeloop status --state ${this.path}), or choose another --state.`);
      }
      rmSync(this.lockPath, { force: true });
    }
    throw new StateDirError(`--state ${this.path}: cannot take the session lock (it keeps reappearing).`);
  }

  /** Halts persisted by an earlier session; refuses a damaged file rather than trading on without them. */
  loadHalts(): PersistedHalt[] {
    if (!existsSync(this.haltsPath)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.haltsPath, 'utf8'));
    } catch (err) {
      throw new StateDirError(`${this.haltsPath}: cannot be read (${(err as Error).message}). It holds the halts an operator or a loss limit left; inspect it, and delete it only if no halt should hold.`);
    }
    const list = (parsed as { halts?: unknown })?.halts;
    if (!Array.isArray(list)) throw new StateDirError(`${this.haltsPath}: no "halts" list. Inspect it, and delete it only if no halt should hold.`);
    return list.map((h, i) => {
      const x = h as Record<string, unknown>;
      if (!(HALT_REASONS as readonly unknown[]).includes(x.reason) || !(HALT_SOURCES as readonly unknown[]).includes(x.source)
        || !(HALT_SEVERITIES as readonly unknown[]).includes(x.severity) || typeof x.detail !== 'string') {
        throw new StateDirError(`${this.haltsPath}: halt ${i + 1} is not a valid halt (reason, source, severity, detail). Inspect it, and delete it only if no halt should hold.`);
      }
      return { reason: x.reason as HaltReason, source: x.source as HaltSource, severity: x.severity as HaltSeverity, detail: x.detail, since: typeof x.since === 'number' ? x.since : null };
    });
  }

  saveHalts(halts: readonly PersistedHalt[]): void {
    writeFileAtomic(this.haltsPath, JSON.stringify({ version: 1, halts }, null, 2) + '\n');
  }

  writeControl(info: ControlInfo): void {
    writeFileAtomic(this.controlPath, JSON.stringify(info, null, 2) + '\n', 0o600);
    // writeFileAtomic creates with 0600; an older file of another mode was replaced, not reused.
    chmodSync(this.controlPath, 0o600);
  }

  /** Removes control.json and the lock, if they are still this process's. */
  release(): void {
    try {
      const info = JSON.parse(readFileSync(this.controlPath, 'utf8')) as { pid?: unknown };
      if (info.pid === process.pid) rmSync(this.controlPath, { force: true });
    } catch {
      // No control.json (or not ours): nothing to remove.
    }
    if (this.locked) rmSync(this.lockPath, { force: true });
    this.locked = false;
  }
}

/** Reads DIR/control.json for the CLI's control commands; null when there is none. */
export function readControlInfo(dir: string): ControlInfo | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'control.json'), 'utf8')) as ControlInfo;
  } catch {
    return null;
  }
}

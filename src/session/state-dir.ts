/**
 * The session's state folder (--state DIR, mode 0700, this user's alone): the session lock, the
 * persisted halts (operator halts and latched loss-limit halts, so a restart cannot quietly trade
 * again), control.json (the control endpoint's URL and token, mode 0600) and the default halt file.
 *
 * The lock is the operating system's: an exclusive SQLite lock (fcntl) on DIR/session.lock, held
 * for the session's life. The kernel lets go of it when the process ends, however it ends, so no
 * lock is ever stale, a pid reused by another program cannot hold a folder, and of two sessions
 * that start at once exactly one gets it. DIR/lock names the holder's pid, for messages only.
 */
import { TradeloopError } from '../errors.ts';
import { closeSync, constants, existsSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { makeDirs } from './make-dirs.ts';
import { foreignFile, foreignFolder, linkedFile, NOFOLLOW } from './own-folder.ts';
import { join } from 'node:path';
import { HALT_REASONS, HALT_SEVERITIES, HALT_SOURCES, type HaltReason, type HaltSeverity, type HaltSource } from '../events/reasons.ts';
import { writeFileAtomic } from './atomic-file.ts';

export class StateDirError extends TradeloopError {
  override name = 'StateDirError';
  constructor(message: string) {
    super('TL_STATE_DIR', message);
  }
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

/** Lock connections held, so that a StateDir nobody references any more cannot drop its lock to the GC. */
const HELD = new Set<DatabaseSync>();

export class StateDir {
  readonly path: string;
  /** The connection holding the OS lock on session.lock; null once released. */
  private db: DatabaseSync | null = null;

  private constructor(path: string) {
    this.path = path;
  }

  /** Creates the folder if missing (0700), refuses one another user could write, and takes its lock. */
  static open(path: string): StateDir {
    try {
      if (!existsSync(path)) makeDirs(path, 0o700);
      else if (!statSync(path).isDirectory())
        throw new StateDirError(`--state ${path}: not a folder. Name a folder for the session's state (created if missing).`);
    } catch (err) {
      if (err instanceof StateDirError) throw err;
      throw new StateDirError(`--state ${path}: cannot create the state folder (${(err as Error).message}). Choose a writable folder.`);
    }
    const foreign = foreignFolder(path, '--state');
    if (foreign !== null) throw new StateDirError(foreign);
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

  get sessionLockPath(): string {
    return join(this.path, 'session.lock');
  }

  private lock(): void {
    const linked = linkedFile(this.sessionLockPath);
    if (linked !== null) throw new StateDirError(linked);
    let db: DatabaseSync;
    try {
      // Made here first (never through a link), so that a folder that cannot take it is named with its cause (EROFS, EACCES).
      closeSync(openSync(this.sessionLockPath, constants.O_RDWR | constants.O_CREAT | NOFOLLOW, 0o600));
      // A short busy wait: two starters racing on a fresh file can each hold the shared lock the
      // other needs gone; with none, both could give up. SQLite lets exactly one through.
      db = new DatabaseSync(this.sessionLockPath, { timeout: 250 });
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
    } catch (err) {
      throw new StateDirError(`--state ${this.path}: cannot take the session lock (${(err as Error).message}).`);
    }
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { errcode?: number }).errcode !== 5)
        throw new StateDirError(`--state ${this.path}: cannot take the session lock (${(err as Error).message}).`);
      const holder = this.holderPid();
      throw new StateDirError(
        `--state ${this.path}: another tradeloop session${holder === null ? '' : ` (pid ${holder})`} holds this folder's lock. ` +
          `Stop it first (tradeloop status --state ${this.path}; tradeloop halt, then end it), or choose another --state. The lock is the system's: it goes when that process ends, however it ends.`,
      );
    }
    this.db = db;
    HELD.add(db);
    // For messages and people: who holds the lock. The lock itself is the one above.
    try {
      writeFileAtomic(this.lockPath, JSON.stringify({ pid: process.pid }) + '\n');
    } catch {
      // The pid note is a courtesy; the OS lock is held all the same.
    }
  }

  private holderPid(): number | null {
    try {
      const pid = Number((JSON.parse(readFileSync(this.lockPath, 'utf8')) as { pid?: unknown }).pid);
      return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** Halts persisted by an earlier session; refuses a damaged file rather than trading on without them. */
  loadHalts(): PersistedHalt[] {
    if (!existsSync(this.haltsPath)) return [];
    const linked = linkedFile(this.haltsPath);
    if (linked !== null) throw new StateDirError(linked);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.haltsPath, 'utf8'));
    } catch (err) {
      throw new StateDirError(
        `${this.haltsPath}: cannot be read (${(err as Error).message}). It holds the halts an operator or a loss limit left; inspect it, and delete it only if no halt should hold.`,
      );
    }
    const list = (parsed as { halts?: unknown })?.halts;
    if (!Array.isArray(list)) throw new StateDirError(`${this.haltsPath}: no "halts" list. Inspect it, and delete it only if no halt should hold.`);
    return list.map((h, i) => {
      const x = h as Record<string, unknown>;
      if (
        !(HALT_REASONS as readonly unknown[]).includes(x.reason) ||
        !(HALT_SOURCES as readonly unknown[]).includes(x.source) ||
        !(HALT_SEVERITIES as readonly unknown[]).includes(x.severity) ||
        typeof x.detail !== 'string'
      ) {
        throw new StateDirError(
          `${this.haltsPath}: halt ${i + 1} is not a valid halt (reason, source, severity, detail). Inspect it, and delete it only if no halt should hold.`,
        );
      }
      return {
        reason: x.reason as HaltReason,
        source: x.source as HaltSource,
        severity: x.severity as HaltSeverity,
        detail: x.detail,
        since: typeof x.since === 'number' ? x.since : null,
      };
    });
  }

  saveHalts(halts: readonly PersistedHalt[]): void {
    writeFileAtomic(this.haltsPath, JSON.stringify({ version: 1, halts }, null, 2) + '\n');
  }

  writeControl(info: ControlInfo): void {
    // Created 0600 under a fresh name and renamed over the old one: no chmod after the rename,
    // which would act on whatever another process had put there meanwhile.
    writeFileAtomic(this.controlPath, JSON.stringify(info, null, 2) + '\n', 0o600);
  }

  /** Removes control.json and the lock, if they are still this process's. */
  release(): void {
    try {
      const info = JSON.parse(readFileSync(this.controlPath, 'utf8')) as { pid?: unknown };
      if (info.pid === process.pid) rmSync(this.controlPath, { force: true });
    } catch {
      // No control.json (or not ours): nothing to remove.
    }
    if (this.db !== null) {
      if (this.holderPid() === process.pid) rmSync(this.lockPath, { force: true });
      HELD.delete(this.db);
      this.db.close();
    }
    this.db = null;
  }
}

/**
 * Reads DIR/control.json for the CLI's control commands; null when there is none. One that another
 * user could have written, or that sends the token anywhere but this machine's loopback, is refused:
 * the CLI would hand its bearer token to whoever planted it.
 */
export function readControlInfo(dir: string): ControlInfo | null {
  const path = join(dir, 'control.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const doubt = foreignFolder(dir, '--state') ?? linkedFile(path) ?? foreignFile(path);
  if (doubt !== null) throw new StateDirError(`${doubt} The control command was not sent.`);
  let info: ControlInfo;
  try {
    info = JSON.parse(text) as ControlInfo;
  } catch {
    return null;
  }
  if (!isLoopbackUrl(info.url)) {
    throw new StateDirError(
      `${path} names ${JSON.stringify(String(info.url).slice(0, 80))}, not this machine's loopback: a session only ever listens on 127.0.0.1, so the token was not sent.`,
    );
  }
  return info;
}

export function isLoopbackUrl(url: unknown): boolean {
  try {
    const u = new URL(String(url));
    return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]');
  } catch {
    return false;
  }
}

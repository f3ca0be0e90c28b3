/**
 * The fleet token: a random secret every machine of a fleet shares in a file of mode 0600, by
 * default `$XDG_CONFIG_HOME/tradeloop/fleet-token` (or `~/.config/tradeloop/fleet-token`), made on
 * first use. Control messages carry an HMAC-SHA256 made with it, never the token itself, so a
 * client on the same nats-server without the file can neither forge nor alter one. A file that
 * group or others can read is refused by name, as ssh refuses a private key: a secret anyone on the
 * machine may read proves nothing. The secret stays inside FleetKey: it has no getter, and printing
 * the key (a log line, util.inspect, JSON) shows a placeholder.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import { UsageError } from '../errors.ts';

/** Below this, a hand-made token file is too easy to guess (the one made here has 43 characters). */
const MIN_SECRET_CHARS = 16;

/** The default token file for this environment, or null when neither XDG_CONFIG_HOME nor HOME says where the config folder is. */
export function defaultTokenPath(env: Readonly<Record<string, string | undefined>>): string | null {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and is to be ignored.
  if (xdg?.startsWith('/')) return join(xdg, 'tradeloop', 'fleet-token');
  const home = env.HOME?.trim();
  return home ? join(home, '.config', 'tradeloop', 'fleet-token') : null;
}

/** The shared secret, usable only to sign and check. */
export class FleetKey {
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  /** HMAC-SHA256 of `data` under the token, hex. */
  mac(data: string): string {
    return createHmac('sha256', this.#secret).update(data, 'utf8').digest('hex');
  }

  /** Whether `mac` is this token's MAC of `data`, compared in constant time. */
  verify(data: string, mac: string): boolean {
    if (!/^[0-9a-f]{64}$/.test(mac)) return false;
    return timingSafeEqual(Buffer.from(this.mac(data), 'hex'), Buffer.from(mac, 'hex'));
  }

  toString(): string {
    return '[fleet token]';
  }

  toJSON(): string {
    return '[fleet token]';
  }

  [inspect.custom](): string {
    return 'FleetKey [fleet token]';
  }
}

export interface LoadedToken {
  readonly key: FleetKey;
  readonly path: string;
  /** The file did not exist and was made now: the caller says so, for it must be copied to the fleet's other machines. */
  readonly created: boolean;
}

/**
 * Reads the token file (`--fleet-token FILE`, else the default), making it with a new secret when
 * it does not exist yet, if `make`. A fleet command on a fleet that exists does not make one
 * (`make: false`): a token made then is no session's, so a halt signed with it would halt nothing;
 * it is refused instead, naming the file and where the fleet's comes from. Refuses by name
 * (UsageError, exit 2): no config folder, a file others may read, one owned by another user, not
 * a file, unreadable, or too short to be a secret.
 */
export function loadFleetToken(given: string | null, env: Readonly<Record<string, string | undefined>>, make = true): LoadedToken {
  const path = given ?? defaultTokenPath(env);
  const flag = given === null ? 'the fleet token' : '--fleet-token';
  if (path === null)
    throw new UsageError(
      'the fleet token: neither XDG_CONFIG_HOME nor HOME is set, so there is no config folder to keep it in. Name its file with --fleet-token FILE.',
    );
  if (!make && !existsSync(path))
    throw new UsageError(
      `${flag} ${path}: no such file. Fleet commands sign with the fleet's token, made by its first session (tradeloop run ... --nats URL) in that machine's config folder: copy that file here (mode 0600) or name it with --fleet-token FILE. A token made now would be no session's, and the command would change nothing.`,
    );
  let created = false;
  try {
    created = make && createIfAbsent(path);
  } catch (err) {
    throw new UsageError(
      `${flag} ${path}: cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Name a file you can write with --fleet-token FILE.`,
    );
  }
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  if (!st.isFile()) throw new UsageError(`${flag} ${path}: not a file. Name the fleet token's file.`);
  if ((st.mode & 0o077) !== 0)
    throw new UsageError(
      `${flag} ${path}: mode 0${(st.mode & 0o777).toString(8)} lets group or others read the fleet token, so it proves nothing. Run chmod 600 ${path}` +
        ' (and make a new token if others may have read it).',
    );
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw new UsageError(`${flag} ${path}: owned by user ${st.uid}, not by you (${uid}): another user could change the fleet token. Use a file of your own.`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  if (text.length < MIN_SECRET_CHARS)
    throw new UsageError(
      `${flag} ${path}: holds ${text.length} character(s), too short to be a secret (at least ${MIN_SECRET_CHARS}). Remove it and a new one is made on first use.`,
    );
  return { key: new FleetKey(text), path, created };
}

/** Makes the file with a new secret (mode 0600, its folder 0700) unless it exists; true when it made it. */
function createIfAbsent(path: string): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Written whole under a temporary name, then linked: a process reading at the same moment sees
  // no file or the whole secret, and of two processes making it at once, one link wins.
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

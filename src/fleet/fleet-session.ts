/**
 * What a live session started with --nats does to join its fleet before it is built: the token
 * read (or made, and said so), the server reached, the halt state read. A session that cannot
 * learn whether its fleet is halted does not start: a bad token file is refused by name (exit 2),
 * a server out of reach or without JetStream too (exit 1).
 */
import { StartupError } from '../session/live-startup.ts';
import type { SessionConfig } from '../session/session-config.ts';
import type { Terminal } from '../session/terminal.ts';
import type { Clock } from '../telemetry/clock.ts';
import { FleetMember } from './fleet-member.ts';
import { loadFleetToken } from './fleet-token.ts';

export async function joinFleet(
  config: SessionConfig,
  terminal: Terminal,
  clock: Clock,
  env: Readonly<Record<string, string | undefined>>,
): Promise<FleetMember | null> {
  if (config.nats === null) return null;
  const token = loadFleetToken(config.fleetToken, env);
  if (token.created)
    terminal.stderr(
      `tradeloop: made a new fleet token in ${token.path} (mode 0600). Every machine of the fleet needs this same file: copy it there before sending fleet commands.\n`,
    );
  const member = await FleetMember.join({
    url: config.nats,
    fleet: config.fleetName,
    key: token.key,
    clock,
    name: config.journal?.session ?? `pid ${process.pid}`,
  });
  if (typeof member === 'string') throw new StartupError(member);
  return member;
}

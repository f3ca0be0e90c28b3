/**
 * The fleet commands' usage texts, apart from the commands themselves: main and control-commands
 * show them without loading the NATS client.
 */
import { DEFAULT_FLEET } from '../fleet/fleet-message.ts';

const FLEET_FLAGS_HELP = `  --nats URL           the fleet's nats-server (nats:// or tls://)
  --fleet-name NAME    the fleet (its key-value bucket and subjects; default ${DEFAULT_FLEET})
  --fleet-token FILE   the fleet token (mode 0600; default $XDG_CONFIG_HOME/tradeloop/fleet-token, made on first use)
`;

export const FLEET_USAGE = `Usage: tradeloop fleet status --nats URL [--json] [--wait S] [--fleet-name NAME] [--fleet-token FILE]
  Every live session of the fleet: name, strategy, trading state, halts, last bar, lag behind the stream, equity.
  Sessions answer within --wait seconds (default 0.5); --json prints their answers as they are.
${FLEET_FLAGS_HELP}`;

/** The lines control-commands.ts adds to halt, resume and flatten's usage. */
export const FLEET_CONTROL_USAGE: Readonly<Record<'halt' | 'resume' | 'flatten', string>> = {
  halt: `       tradeloop halt --fleet --nats URL [--reason TEXT] [--reducing] [--wait S]
  With --fleet: halt every session of the fleet, and every one started while the fleet is halted; waits up to
  --wait seconds (default 2) for each live session to report it applied.
${FLEET_FLAGS_HELP}`,
  resume: `       tradeloop resume --fleet --nats URL [--wait S]
  With --fleet: lift the fleet's halt (each session's own halts stay).
${FLEET_FLAGS_HELP}`,
  flatten: `       tradeloop flatten --fleet --nats URL [--wait S]
  With --fleet: every live session of the fleet flattens once (default --wait 1: how long answers are collected).
${FLEET_FLAGS_HELP}`,
};

/**
 * Where an exchange feed connects: --network (Binance's own endpoints) or --ws-url with
 * --rest-url (any server that speaks Binance's protocol, a replay server). The same refusals for
 * every command that reads the exchange (`run --source realtime`, `publish`).
 */
import { redactUrl } from '../config/redact-url.ts';
import type { Network } from '../session/session-config.ts';
import type { Refuse } from './common-flags.ts';

export const NETWORKS: Readonly<Record<Network, { ws: string; rest: string }>> = {
  production: { ws: 'wss://stream.binance.com:9443', rest: 'https://data-api.binance.vision' },
  // The origin's testnet host (testnet.binance.vision/ws) was retired in 2025 and answers 404.
  testnet: { ws: 'wss://stream.testnet.binance.vision', rest: 'https://testnet.binance.vision' },
};

export interface ExchangeEndpoints {
  readonly network: Network;
  readonly wsUrl: string;
  readonly restUrl: string;
}

export function parseExchangeFlags(
  v: { readonly network?: string; readonly 'ws-url'?: string; readonly 'rest-url'?: string },
  refuse: Refuse,
): ExchangeEndpoints {
  const network = (v.network ?? 'production') as Network;
  if (network !== 'production' && network !== 'testnet') throw refuse(`--network ${v.network}: expected production or testnet.`);
  const url = (flag: string, raw: string | undefined, fallback: string, schemes: string[]): string => {
    const text = raw ?? fallback;
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(text);
    } catch {
      throw refuse(`${flag} ${redactUrl(text)}: not a URL, e.g. ${schemes[0]}//127.0.0.1:9443.`);
    }
    if (!schemes.includes(parsedUrl.protocol)) throw refuse(`${flag} ${redactUrl(text)}: expected a ${schemes.join(' or ')} URL.`);
    return text.replace(/\/+$/, '');
  };
  // One without the other would mix sources: bars from one server, backfill and warm-up from Binance.
  if ((v['ws-url'] === undefined) !== (v['rest-url'] === undefined)) {
    const given = v['ws-url'] !== undefined ? `--ws-url ${redactUrl(v['ws-url'])}` : `--rest-url ${redactUrl(v['rest-url']!)}`;
    const hint =
      v['ws-url'] !== undefined ? ` (a tradeloop replay-server serves both on one port: --rest-url ${redactUrl(v['ws-url'].replace(/^ws/, 'http'))})` : '';
    throw refuse(`${given} needs its pair: pass --ws-url and --rest-url together${hint}.`);
  }
  // Both say where bars come from: one of them would be ignored without a word.
  if (v.network !== undefined && v['ws-url'] !== undefined) {
    throw refuse(
      `--network ${v.network} with --ws-url: give one. --network picks Binance's own endpoints; --ws-url and --rest-url name any other server (a replay server).`,
    );
  }
  return {
    network,
    wsUrl: url('--ws-url', v['ws-url'], NETWORKS[network].ws, ['ws:', 'wss:']),
    restUrl: url('--rest-url', v['rest-url'], NETWORKS[network].rest, ['http:', 'https:']),
  };
}

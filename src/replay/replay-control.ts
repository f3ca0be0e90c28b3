/**
 * Control messages a client sends over a stream connection (SUBSCRIBE, UNSUBSCRIBE,
 * LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY) and Binance's replies. The error texts are the
 * ones web-socket-streams.md lists; on the wire they come wrapped with the request's id
 * (binance-protocol.md §3.1), except for invalid JSON, which has no id to echo.
 */
import { isWellFormedStream, MAX_STREAMS_PER_CONNECTION } from './replay-streams.ts';

/** What a control message may read and change on its connection. */
export interface ControlState {
  readonly streams: Set<string>;
  combined: boolean;
}

export interface ControlOutcome {
  readonly reply: string;
  /** Streams this message added (for the tape's start). */
  readonly added: readonly string[];
}

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];
const NO_ADDED: readonly string[] = [];

type Id = number | string | null;

function error(code: number, msg: string, id: Id | undefined): ControlOutcome {
  const inner = JSON.stringify({ code, msg });
  return { reply: id === undefined ? `{"error":${inner}}` : `{"error":${inner},"id":${JSON.stringify(id)}}`, added: NO_ADDED };
}

function result(value: unknown, id: Id): ControlOutcome {
  return { reply: `{"result":${JSON.stringify(value)},"id":${JSON.stringify(id)}}`, added: NO_ADDED };
}

/** serde_json reports positions as line and column (1-based); V8 reports a character offset. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else column++;
  }
  return `line ${line} column ${column}`;
}

function isId(value: unknown): value is Id {
  if (value === null) return true;
  if (typeof value === 'number') return Number.isSafeInteger(value);
  // "an alphanumeric string of at most 36 characters": 36 is a UUID's length, dashes included.
  return typeof value === 'string' && /^[A-Za-z0-9-]{1,36}$/.test(value);
}

export function applyControl(text: string, state: ControlState): ControlOutcome {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    return error(3, `Invalid JSON: expected value at ${lineColumn(text, at ? Number(at[1]) : 0)}`, undefined);
  }
  // Well-formed JSON that is not a request object is a request error (code 2), as a missing field is;
  // code 3 is for text that does not parse. There is no id to echo either way.
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    const kind = request === null ? 'null' : Array.isArray(request) ? 'sequence' : typeof request;
    return error(2, `Invalid request: invalid type: ${kind}, expected a request object at ${lineColumn(text, 0)}`, undefined);
  }
  const { method, params, id } = request as { method?: unknown; params?: unknown; id?: unknown };
  if (method === undefined) return error(2, `Invalid request: missing field \`method\` at ${lineColumn(text, text.length)}`, isId(id) ? id : null);
  if (!isId(id)) return error(2, 'Invalid request: request ID must be an unsigned integer', null);
  if (typeof method !== 'string' || !METHODS.includes(method)) {
    const shown = typeof method === 'string' ? method : JSON.stringify(method);
    const quoted = JSON.stringify(method);
    const at = text.indexOf(quoted);
    return error(
      2,
      `Invalid request: unknown variant \`${shown}\`, expected one of ${METHODS.map((m) => `\`${m}\``).join(', ')} at ` +
        lineColumn(text, at >= 0 ? at + quoted.length - 1 : 0),
      id,
    );
  }
  const list = params === undefined ? [] : params;
  if (!Array.isArray(list)) return error(2, 'Invalid request: params must be an array', id);

  switch (method) {
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE': {
      // More names than a connection may hold cannot be a valid request; refused before any work on them.
      if (list.length > MAX_STREAMS_PER_CONNECTION) {
        return error(2, `Invalid request: too many streams (at most ${MAX_STREAMS_PER_CONNECTION} per connection)`, id);
      }
      for (const name of list) if (!isWellFormedStream(name)) return error(2, 'Invalid request: invalid stream', id);
      const names = list as string[];
      if (method === 'UNSUBSCRIBE') {
        for (const name of names) state.streams.delete(name);
        return result(null, id);
      }
      const added = [...new Set(names)].filter((n) => !state.streams.has(n));
      if (state.streams.size + added.length > MAX_STREAMS_PER_CONNECTION) {
        return error(2, `Invalid request: too many streams (at most ${MAX_STREAMS_PER_CONNECTION} per connection)`, id);
      }
      for (const name of added) state.streams.add(name);
      return { reply: result(null, id).reply, added };
    }
    case 'LIST_SUBSCRIPTIONS':
      if (list.length > 0) return error(2, 'Invalid request: too many parameters', id);
      return result([...state.streams], id);
    case 'SET_PROPERTY': {
      if (list.length > 2) return error(2, 'Invalid request: too many parameters', id);
      const [name, value] = list as unknown[];
      if (typeof name !== 'string') return error(2, 'Invalid request: property name must be a string', id);
      if (name !== 'combined') return error(0, 'Unknown property', id);
      if (typeof value !== 'boolean') return error(1, 'Invalid value type: expected Boolean', id);
      state.combined = value;
      return result(null, id);
    }
    default: {
      // GET_PROPERTY
      if (list.length > 1) return error(2, 'Invalid request: too many parameters', id);
      const [name] = list as unknown[];
      if (typeof name !== 'string') return error(2, 'Invalid request: property name must be a string', id);
      if (name !== 'combined') return error(0, 'Unknown property', id);
      return result(state.combined, id);
    }
  }
}

/**
 * A slot is one stream group's connections: the active one, and those being retired in an
 * overlap-first rotation. The feed's health is derived from these records alone, so it is the
 * same whichever transition asked for it: a slot is fresh while any of its open connections has
 * delivered and is not stale, delivering while any has delivered, down otherwise.
 */
import type { FeedState } from '../../events/types.ts';
import type { TimerHandle } from '../../telemetry/clock.ts';
import type { Backoff } from './backoff.ts';
import type { LiveConnectionStatus } from '../live-feed.ts';
import type { ConnectionPlan } from './ws-protocol.ts';
import type { WsConnection } from './ws-connection.ts';

export interface Slot {
  readonly plan: ConnectionPlan;
  active: WsConnection | null;
  /** Connections being replaced in a planned rotation; closed once the new one delivers. */
  retiring: WsConnection[];
  backoff: Backoff;
  reconnectTimer: TimerHandle | null;
  /** The next planned rotation: the lifetime cut, or the retry of a rotation that failed. */
  lifetimeTimer: TimerHandle | null;
}

/** The open connections of a slot: the active one and those being retired. */
export function openConnections(slot: Slot): WsConnection[] {
  const out: WsConnection[] = [];
  if (slot.active?.state === 'open') out.push(slot.active);
  for (const c of slot.retiring) if (c.state === 'open') out.push(c);
  return out;
}

/** Every connection of a slot that has a socket to pause, resume or close. */
export function allConnections(slot: Slot): WsConnection[] {
  return slot.active ? [slot.active, ...slot.retiring] : [...slot.retiring];
}

/** Some open connection of the slot has delivered: data can flow. */
export function delivering(slot: Slot): boolean {
  return openConnections(slot).some((c) => c.delivered);
}

/** Some open connection of the slot has delivered and is not stale. */
export function fresh(slot: Slot): boolean {
  return openConnections(slot).some((c) => c.delivered && !c.stale);
}

export interface FeedHealth {
  readonly state: FeedState;
  /** Some slot's open connections are all stale: feed_stale holds. */
  readonly stale: boolean;
  /** Some slot has no delivering connection: feed_disconnected holds. */
  readonly down: boolean;
}

export function feedHealth(slots: readonly Slot[], backfilling: boolean): FeedHealth {
  let down = false;
  let connecting = false;
  let staleState = false;
  let stale = false;
  for (const slot of slots) {
    const isFresh = fresh(slot);
    if (!isFresh && openConnections(slot).some((c) => c.stale)) stale = true;
    if (!delivering(slot)) {
      down = true;
      const c = slot.active;
      if (c && (c.state === 'connecting' || c.state === 'open')) connecting = true;
    } else if (!isFresh) staleState = true;
  }
  const state: FeedState = down ? (connecting ? 'connecting' : 'disconnected') : staleState ? 'stale' : backfilling ? 'backfilling' : 'live';
  return { state, stale, down };
}

/** Each slot's active connection as the session's status shows it; `now` is monotonic. */
export function connectionStatus(slots: readonly Slot[], now: number): LiveConnectionStatus[] {
  const connections: LiveConnectionStatus[] = [];
  for (const slot of slots) {
    const c = slot.active;
    if (!c) continue;
    connections.push({
      id: c.id,
      state: c.state,
      stale: c.stale,
      lastMessageAgoSeconds: c.state === 'open' || c.state === 'closing' ? Math.round((now - c.lastMessageAt) / 100) / 10 : null,
    });
  }
  return connections;
}

/**
 * The clock-offset estimate's samples: GET /api/v3/time, timed on the monotonic clock (see
 * ClockOffset). At start, a few samples (the first pays for connection set-up and only warms up);
 * then one every few minutes, since clocks drift over a long session. Requests are aborted at stop.
 */
import type { Clock, TimerHandle } from '../../telemetry/clock.ts';
import type { ClockOffset } from '../../telemetry/latency.ts';
import type { RestClient, RestResult } from './rest-client.ts';

async function sampleOnce(rest: RestClient, clock: Clock, offset: ClockOffset, signal?: AbortSignal): Promise<RestResult<number>> {
  const sentWall = clock.now();
  const sentMono = clock.monotonic();
  const r = await rest.serverTime(signal);
  if (r.ok) offset.sample(r.value, sentWall, sentMono, clock.monotonic());
  return r;
}

/** Samples the offset at start; returns the server's time (the first failure if it cannot be reached). */
export async function syncClock(rest: RestClient, clock: Clock, offset: ClockOffset, samples = 5): Promise<RestResult<number>> {
  let time = await rest.serverTime();
  if (!time.ok) return time;
  for (let i = 0; i < samples; i++) {
    const r = await sampleOnce(rest, clock, offset);
    if (!r.ok) break;
    time = r;
  }
  return time;
}

/** Refreshes the offset every `everyMs` until the returned stop() is called. */
export function refreshClockOffset(rest: RestClient, clock: Clock, offset: ClockOffset, everyMs = 5 * 60_000): () => void {
  const abort = new AbortController();
  let timer: TimerHandle | null = null;
  const tick = (): void => {
    void sampleOnce(rest, clock, offset, abort.signal);
    timer = clock.setTimer(tick, everyMs);
  };
  timer = clock.setTimer(tick, everyMs);
  return () => {
    clock.clearTimer(timer);
    abort.abort();
  };
}

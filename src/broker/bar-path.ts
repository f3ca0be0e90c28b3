/**
 * The path a bar is taken to have traded along, for resting orders (NautilusTrader's adaptive bar
 * path): the open, then the extreme nearer the open (a tie: the high first), then the other
 * extreme, then the close, in straight lines between. A point on it is `at`: 0 the open, 1 the
 * first extreme, 2 the other, 3 the close, fractions in between; orders that fill in one bar fill
 * in the order of their `at`, whatever order they were placed in.
 */
import type { Bar } from '../domain/types.ts';

export interface PathPoint {
  /** 0..3 along the path. */
  readonly at: number;
  /** Integer ticks. */
  readonly price: number;
}

export function barPath(bar: Bar): readonly PathPoint[] {
  const highFirst = bar.high - bar.open <= bar.open - bar.low;
  return [
    { at: 0, price: bar.open },
    { at: 1, price: highFirst ? bar.high : bar.low },
    { at: 2, price: highFirst ? bar.low : bar.high },
    { at: 3, price: bar.close },
  ];
}

/** The points of `path` after `from`, starting with `from` itself: what is left of the bar once something happened at `from`. */
export function pathFrom(path: readonly PathPoint[], from: PathPoint): PathPoint[] {
  return [from, ...path.filter((p) => p.at > from.at)];
}

/**
 * The first point of `points` (a path, straight between points) where `reached(price)` holds: the
 * first point itself when it does there (a gap: it fills at that price), else where the line
 * crosses `level`, at `level`. Null when it never holds.
 */
export function firstReach(points: readonly PathPoint[], level: number, reached: (price: number) => boolean): PathPoint | null {
  const first = points[0];
  if (first === undefined) return null;
  if (reached(first.price)) return first;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (!reached(b.price)) continue;
    // a does not reach and b does: the line passes level between them (a.price !== b.price).
    return { at: a.at + ((b.at - a.at) * (level - a.price)) / (b.price - a.price), price: level };
  }
  return null;
}

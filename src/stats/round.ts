/** Rounds to a number of decimals for the summary, with no negative zero (it would print as -0). */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** A figure of the summary that may not be computable, with the reason it is not. */
import { round } from './round.ts';

export interface Figure {
  readonly value: number | null;
  readonly reason: string | null;
}

/** A per-observation ratio scaled to a year: × √(observations per year). */
export function annualised(perObservation: number, perYear: number): Figure {
  const v = perObservation * Math.sqrt(perYear);
  return Number.isFinite(v) ? { value: round(v, 4), reason: null } : { value: null, reason: 'not a finite number' };
}

/**
 * Statistics of closed round trips, accumulated one trip at a time (memory flat): counts, win
 * rate, profit factor, average win and loss, the largest of each. A trip with PnL 0 (net of fees)
 * is neither a win nor a loss but counts as a trip. Open trips are not in these figures.
 */
import { divRound, fromUnits } from './decimal.ts';
import { round } from './round.ts';
import type { Trip } from './round-trips.ts';
import type { TripFigures } from '../events/summary-stats.ts';

export type { TripFigures } from '../events/summary-stats.ts';

export class TripStats {
  private n = 0;
  private wins = 0;
  private losses = 0;
  private grossWin = 0n;
  private grossLoss = 0n;
  private fees = 0n;
  private largestWin: bigint | null = null;
  private largestLoss: bigint | null = null;
  private bars = 0;

  add(t: Trip): void {
    this.n++;
    this.fees += t.fees;
    this.bars += t.barsHeld;
    if (t.pnl > 0n) {
      this.wins++;
      this.grossWin += t.pnl;
      if (this.largestWin === null || t.pnl > this.largestWin) this.largestWin = t.pnl;
    } else if (t.pnl < 0n) {
      this.losses++;
      this.grossLoss += t.pnl;
      if (this.largestLoss === null || t.pnl < this.largestLoss) this.largestLoss = t.pnl;
    }
  }

  figures(): TripFigures {
    const { n, wins, losses } = this;
    return {
      roundTrips: n,
      wins,
      losses,
      winRatePct: n === 0 ? null : round((wins / n) * 100, 4),
      profitFactor: losses === 0 ? null : round(Number(this.grossWin) / Number(-this.grossLoss), 4),
      netPnl: fromUnits(this.grossWin + this.grossLoss),
      fees: fromUnits(this.fees),
      avgWin: wins === 0 ? null : fromUnits(divRound(this.grossWin, BigInt(wins))),
      avgLoss: losses === 0 ? null : fromUnits(divRound(this.grossLoss, BigInt(losses))),
      largestWin: this.largestWin === null ? null : fromUnits(this.largestWin),
      largestLoss: this.largestLoss === null ? null : fromUnits(this.largestLoss),
      avgBarsHeld: n === 0 ? null : round(this.bars / n, 2),
    };
  }
}

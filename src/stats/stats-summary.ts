/** The `stats` key of summary.json is part of the log's contract: its types live with the other event types. */
export type { StatsSummary, SymbolStats } from '../events/summary-stats.ts';

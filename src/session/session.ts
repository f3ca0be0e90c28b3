/**
 * The session: the layer between the command line and the loop. It owns the loop's parts for one
 * run, the inbox through which operator commands reach the loop (applied between two cycles, each
 * committed as its own unit), the state folder (persisted halts, lock, control.json), the halt
 * file, and a typed status() that the CLI's `status`, the HTTP /status and the summary all read.
 */
import { bookView } from '../broker/book-view.ts';
import type { FlattenPrice } from '../engine/engine.ts';
import { formatMoney } from '../domain/price.ts';
import type { HaltReason } from '../events/reasons.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import type { HaltChange } from '../risk/trading-state.ts';
import type { Clock } from '../telemetry/clock.ts';
import { applyCommand, haltStatuses, type CommandContext } from './apply-command.ts';
import type { Command, CommandResult, RecordedCommand } from './commands.ts';
import { HaltFileWatcher } from './halt-file.ts';
import type { LoopParts } from './loop-parts.ts';
import type { PersistedHalt, StateDir } from './state-dir.ts';
import type { SessionStatus, FeedStatus } from './status.ts';
import type { FleetView } from '../fleet/fleet-status.ts';

/** Halts that must survive a restart: an operator's, and the latched loss limit. */
const PERSISTED: ReadonlySet<HaltReason> = new Set(['operator', 'drawdown']);

export interface SessionOptions {
  readonly runId: string;
  readonly mode: 'static' | 'realtime';
  readonly symbols: readonly string[];
  readonly parts: LoopParts;
  readonly counter: EventCounter;
  /** Timers for the halt file and the inbox; the wall clock for status. */
  readonly clock: Clock;
  readonly stateDir: StateDir | null;
  readonly haltFile: string | null;
  /** Where a flatten fills: realtime's newest feed price, else the last close. */
  readonly priceOf?: (symbol: string) => FlattenPrice | null;
  readonly feedStatus?: () => FeedStatus;
  readonly latencyP99?: () => Record<string, number> | null;
  /** Realtime: when each symbol's newest decided bar was received (wall ms). */
  readonly receivedAt?: (symbol: string) => number | undefined;
  /** Realtime: the feed's counters (the summary's `feed`, and `connections`), for /metrics. */
  readonly feedCounters?: () => Readonly<Record<string, number>>;
  /** Realtime: closed bars waiting for the loop, for /metrics and /healthz. */
  readonly queueDepth?: () => number;
  /** Told of every command applied, with the prices a flatten used: the journal records it, so a replay applies it alike. */
  readonly recorder?: { noteCommand(command: RecordedCommand): void };
}

interface Pending {
  readonly command: Command;
  readonly resolve: (result: CommandResult) => void;
}

export class Session {
  readonly options: SessionOptions;
  readonly startedAt: number;
  private readonly inbox: Pending[] = [];
  private scheduled = false;
  private watcher: HaltFileWatcher | null = null;
  private ops = 0;
  private readonly context: CommandContext;
  private closed = false;
  /** The fleet this session is a member of (--nats), for status; set once it has joined. */
  private fleetView: (() => FleetView) | null = null;

  constructor(options: SessionOptions) {
    this.options = options;
    this.startedAt = options.clock.now();
    const { parts } = options;
    this.context = {
      parts,
      symbols: options.symbols,
      haltFile: options.haltFile,
      nextOp: () => ++this.ops,
      priceOf: options.priceOf ?? ((s) => lastClose(parts, s)),
    };
  }

  get parts(): LoopParts {
    return this.options.parts;
  }

  /** The session has joined a fleet: its status (and /metrics) show the fleet as the member sees it. */
  setFleet(view: () => FleetView): void {
    this.fleetView = view;
  }

  /**
   * Before the first bar: halts persisted by an earlier session are raised again, and the halt
   * file is looked at. Returns the restored halts for run_start. A resume (`missing`) has its
   * halts back from the journal already, and raises only those halts.json holds that the journal
   * lacks: an operator's halt given after the journal had failed was kept in halts.json alone.
   */
  restore(options: { readonly persistedHalts: 'all' | 'missing' } = { persistedHalts: 'all' }): PersistedHalt[] {
    const persisted = this.options.stateDir?.loadHalts() ?? [];
    const restored = options.persistedHalts === 'all' ? persisted : persisted.filter((h) => !this.parts.trading.has(h.reason));
    for (const h of restored) this.parts.control.raise(h.reason, h.source, h.severity, h.detail);
    if (this.options.haltFile !== null) {
      const path = this.options.haltFile;
      this.watcher = new HaltFileWatcher(path, this.options.clock, (state) => {
        void this.submit({ kind: 'halt_file', present: state.present, line: state.line, path });
      });
      // The first look is synchronous and applied now: a session started under a halt file is halted before its first bar.
      this.watcher.start();
      this.applyPending();
    }
    return restored;
  }

  /**
   * Persists the halts that must survive a restart; called on every halt change, before a command
   * is acknowledged. A state folder that cannot be written (a full disk) does not undo the halt:
   * it holds in memory, and the failure is said (the command's answer, an alert, stderr).
   */
  onHaltChange = (change: HaltChange): void => {
    if (!PERSISTED.has(change.halt.reason) || this.options.stateDir === null) return;
    const keep = this.parts.trading.list().filter((h) => PERSISTED.has(h.reason));
    try {
      this.options.stateDir.saveHalts(keep);
      this.unsaved = null;
    } catch (err) {
      const first = this.unsaved === null;
      this.unsaved = `${this.options.stateDir.haltsPath} could not be written (${(err as Error).message.slice(0, 200)})`;
      if (first) this.unsavedToSay = this.unsaved;
    }
  };

  /** Why the halts held are not all in halts.json (null when they are). */
  unsaved: string | null = null;
  /** A failure to save halts not yet alerted (the alert is a unit of its own, after the change). */
  private unsavedToSay: string | null = null;

  private sayUnsaved(): void {
    const what = this.unsavedToSay;
    if (what === null) return;
    this.unsavedToSay = null;
    const now = this.parts.control.now;
    this.outOfCycle(() =>
      this.parts.bus.emit({
        type: 'alert',
        kind: 'state_write',
        message: `${what}: the halts held (${this.parts.trading.reasons().join(', ') || 'none'}) stay in force in memory, but a restart would not find them there. Free the disk under --state.`,
        ...(now ? { at: now() } : {}),
      }),
    );
  }

  /** Queues a command for the loop; it applies between two cycles. */
  submit(command: Command): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve) => {
      this.inbox.push({ command, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.applyPending());
      }
    });
  }

  /** Applies every queued command, each committed as its own unit. Called before each cycle and when idle. */
  applyPending(): void {
    this.scheduled = false;
    this.sayUnsaved();
    if (this.inbox.length === 0) return;
    for (let p = this.inbox.shift(); p !== undefined; p = this.inbox.shift()) p.resolve(this.apply(p.command, null));
  }

  /** A command from the journal, applied as it was: the same operator number and the prices it filled at. */
  replayCommand(recorded: RecordedCommand): void {
    this.apply(recorded.command, recorded);
  }

  private apply(command: Command, recorded: RecordedCommand | null): CommandResult {
    const { bus } = this.parts;
    // What came before (run_start, restored halts) is a unit of its own: in the command's unit a
    // replay would regenerate it from the command, and the seqs would not match.
    bus.endCycle();
    const prices: Record<string, FlattenPrice> = {};
    let op = 0;
    const ctx: CommandContext = {
      ...this.context,
      nextOp: () => {
        op = recorded ? recorded.op : this.ops + 1;
        this.ops = Math.max(this.ops, op);
        return op;
      },
      priceOf: (s) => {
        const p = recorded ? (recorded.prices[s] ?? null) : this.context.priceOf(s);
        if (p) prices[s] = p;
        return p;
      },
    };
    const unsavedBefore = this.unsaved;
    const result = applyCommand(ctx, command);
    this.options.recorder?.noteCommand({ command, op, prices });
    bus.endCycle();
    bus.flush();
    // A replay (a resume, verify) regenerates the journal's units exactly: what it could not save is said once live.
    if (recorded === null && this.unsaved !== null && (result.changed || unsavedBefore !== this.unsaved)) {
      this.sayUnsaved();
      return {
        ...result,
        persisted: false,
        message: `${result.message}. NOT PERSISTED: ${this.unsaved}; the halt holds until this session ends, but a restart would not restore it`,
      };
    }
    return result;
  }

  /** Emits events that belong to no cycle (an alert from the control server) as their own unit. */
  outOfCycle(emit: () => void): void {
    emit();
    this.parts.bus.endCycle();
    this.parts.bus.flush();
  }

  status(): SessionStatus {
    const { parts, counter, clock, symbols } = this.options;
    const { broker, engine } = parts;
    const now = clock.now();
    const { positions, restingOrders, gross } = bookView(broker, symbols, { entryPrice: true });
    const lastBar: SessionStatus['lastBar'] = {};
    for (const s of symbols) {
      const t = engine.barTime(s);
      const received = this.options.receivedAt?.(s);
      lastBar[s] =
        t === 0
          ? null
          : { openTime: new Date(t).toISOString(), ...(received !== undefined ? { receivedSecondsAgo: Math.round((now - received) / 1000) } : {}) };
    }
    return {
      runId: this.options.runId,
      mode: this.options.mode,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      state: parts.trading.state,
      halts: haltStatuses(parts),
      cash: formatMoney(broker.cash),
      equity: formatMoney(broker.equity()),
      startEquity: formatMoney(broker.startCash),
      grossExposure: formatMoney(gross),
      positions,
      restingOrders,
      counts: {
        bars: counter.of('bar'),
        decisions: counter.of('decision'),
        orders: counter.of('order'),
        fills: counter.of('fill'),
        rejects: counter.of('reject'),
        cancels: counter.of('cancel'),
        skips: counter.of('skip'),
        alerts: counter.of('alert'),
      },
      lastBar,
      feed: this.options.feedStatus?.() ?? null,
      latencyP99Ms: this.options.latencyP99?.() ?? null,
      haltFile: this.options.haltFile,
      stateDir: this.options.stateDir?.path ?? null,
      ...(this.fleetView === null ? {} : { fleet: this.fleetView() }),
    };
  }

  /**
   * Stops watching the halt file and applies what is queued. The state folder (its lock and
   * control.json) is let go by whoever opened it, after the journal's last write: a session
   * waiting for the lock must not open a journal this one is still finishing.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.stop();
    this.applyPending();
    this.sayUnsaved();
  }
}

function lastClose(parts: LoopParts, symbol: string): FlattenPrice | null {
  const price = parts.broker.lastMark(symbol);
  return price > 0 ? { price, source: 'last_close', time: parts.engine.barTime(symbol) } : null;
}

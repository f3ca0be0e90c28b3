/**
 * Every error tradeloop raises on purpose carries a code from src/errors.ts, and the command line
 * exits with that code's status: a script tells refusals apart by code, never by message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { FlagError } from '../../src/config/flags.ts';
import { StrategyRuntimeError } from '../../src/engine/engine.ts';
import { ERROR_CODES, EXIT, isTradeloopError, TradeloopError, UsageError } from '../../src/errors.ts';
import { DataError } from '../../src/feed/data-error.ts';
import { JournalError } from '../../src/journal/journal.ts';
import { RunInputError } from '../../src/report/run-source.ts';
import { StartupError } from '../../src/session/live-startup.ts';
import { StateDirError } from '../../src/session/state-dir.ts';
import { EventLogError } from '../../src/sinks/event-log-error.ts';
import { StrategyLoadError } from '../../src/strategy/load-strategy.ts';
import { StrategyParamError } from '../../src/strategy/strategy.ts';
import { scratchDir } from '../helpers/temp-dir.ts';

test('each error class carries its code, and the code its exit status', () => {
  const cases: Array<[TradeloopError, string, number]> = [
    [new UsageError('m'), 'TL_USAGE', EXIT.usage],
    [new FlagError('m'), 'TL_FLAG', EXIT.usage],
    [new StrategyLoadError('m'), 'TL_STRATEGY_LOAD', EXIT.usage],
    [new StrategyParamError('m'), 'TL_STRATEGY_PARAM', EXIT.usage],
    [new StateDirError('m'), 'TL_STATE_DIR', EXIT.usage],
    [new RunInputError('m'), 'TL_RUN_INPUT', EXIT.usage],
    [new DataError('m'), 'TL_DATA', EXIT.failed],
    [new StrategyRuntimeError('m'), 'TL_STRATEGY_RUNTIME', EXIT.failed],
    [new EventLogError('/p', 'ENOSPC', 'm'), 'TL_EVENT_LOG', EXIT.failed],
    [new StartupError('m'), 'TL_STARTUP', EXIT.failed],
    [new JournalError('m'), 'TL_JOURNAL', EXIT.unreadable],
  ];
  for (const [err, code, exit] of cases) {
    assert.ok(err instanceof TradeloopError, err.name);
    assert.ok(isTradeloopError(err), err.name);
    assert.deepEqual([err.name, err.code, err.exitCode], [err.name, code, exit], err.name);
    assert.equal(ERROR_CODES[err.code], exit);
  }
  assert.equal(isTradeloopError(Object.assign(new Error('x'), { code: 'ENOENT' })), false, 'a system error is not one of ours');
  assert.equal(new EventLogError('/p', 'ENOSPC', 'm').systemCode, 'ENOSPC', "the system's own code is kept beside ours");
});

test('the command line exits with the status of the refusal it met', async () => {
  const run = async (argv: string[], env: Record<string, string> = {}): Promise<number> => main(argv, { stdout: () => {}, stderr: () => {} }, env);
  assert.equal(await run(['run', '--symbol', 'SPY']), EXIT.usage, 'a flag');
  assert.equal(await run(['run'], { FLAG_TRADING_HALTED: 'maybe' }), EXIT.usage, 'a FLAG_* value');
  assert.equal(await run(['run', '--strategy', 'nope-no-such']), EXIT.usage, 'a strategy');
  assert.equal(await run(['status', '--state', scratchDir('tl-codes-')]), EXIT.noSession, 'no session');
});

/**
 * `run` flag parsing: every refusal exits 2 and names the flag. Asserts on the flag and value
 * named, never on the wording around them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/run-cli.ts';

test('names from Object.prototype are not intervals, strategies or duplicate params', async (t) => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    const interval = await runCli(t, ['--interval', name, '--strategy', 'hold']);
    assert.equal(interval.code, 2, `--interval ${name}: ${interval.stderr}`);
    assert.ok(interval.stderr.includes(`--interval ${name}`), interval.stderr);
    const strategy = await runCli(t, ['--strategy', name]);
    assert.equal(strategy.code, 2, `--strategy ${name}`);
    assert.ok(strategy.stderr.includes(`--strategy ${name}`), strategy.stderr);
    assert.ok(strategy.stderr.includes('sma-cross'), `lists the built-ins: ${strategy.stderr}`);
    // A strategy parameter of that name is the strategy's to refuse, by name; never "given twice" or dropped.
    const param = await runCli(t, ['--param', `${name}=1`]);
    assert.equal(param.code, 2, `--param ${name}=1`);
    assert.ok(param.stderr.includes(`--param ${name}`) && !param.stderr.includes('twice'), param.stderr);
  }
});

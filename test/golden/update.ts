/**
 * npm run golden:update — rewrites the golden snapshot on purpose, after a change that is meant to
 * alter trading output. Review the diff (git diff test/golden) before committing it.
 */
import { main } from '../../src/cli/main.ts';
import { GOLDEN_DIR, goldenArgs } from './golden-args.ts';

const code = await main(goldenArgs(GOLDEN_DIR), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }, {});
if (code === 0) process.stdout.write(`golden snapshot rewritten in ${GOLDEN_DIR}; review it with: git diff --stat test/golden\n`);
process.exitCode = code;

/**
 * The write floor: the bytes of a full event log written to a new file in 1 MiB writes, nothing
 * else, timed from the first write to the close. The writer thread cannot put events.ndjson on
 * this disk faster than this.
 *
 * Usage: node bench/lib/write-floor.ts FILE BYTES
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const [path, bytesText] = process.argv.slice(2);
const total = Number(bytesText);
const block = Buffer.alloc(1 << 20, 0x61);
const started = performance.now();
const fd = openSync(path!, 'w');
for (let done = 0; done < total; done += block.length) writeSync(fd, block, 0, Math.min(block.length, total - done));
closeSync(fd);
process.stdout.write(JSON.stringify({ bytes: total, writeMs: performance.now() - started }) + '\n');

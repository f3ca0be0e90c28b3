/**
 * What a file is, from its first bytes, before it is read as UTF-8 lines: a UTF-16 export (Excel's
 * "Unicode text", PowerShell's default) decodes to NULs and mojibake, and a compressed file or a
 * workbook to noise, so each would be refused as a puzzling bad header or row instead of by name.
 */
import { DataError } from '../data-error.ts';
import { type FileIdentity, readAt } from './open-files.ts';

const SNIFF_BYTES = 4096;

/** Throws a DataError naming the file and what it is when it is not UTF-8 (or ASCII) text. */
export async function checkTextFile(path: string, file: string, ident?: FileIdentity): Promise<void> {
  const { bytesRead, buffer } = await readAt(path, Buffer.alloc(SNIFF_BYTES), SNIFF_BYTES, 0, ident);
  const head = buffer.subarray(0, bytesRead);
  const what = describeBinary(head);
  if (what !== null) throw new DataError(`${file} ${what}`);
}

function describeBinary(head: Buffer): string | null {
  const b0 = head[0];
  const b1 = head[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    const utf32 = b0 === 0xff && head[2] === 0 && head[3] === 0;
    return `is ${utf32 ? 'UTF-32' : 'UTF-16'} text (it starts with a ${utf32 ? 'UTF-32' : 'UTF-16'} byte-order mark); save it as UTF-8 (in Excel: "CSV UTF-8").`;
  }
  if (b0 === 0x00 && b1 === 0x00 && head[2] === 0xfe && head[3] === 0xff) return 'is UTF-32 text; save it as UTF-8.';
  if (b0 === 0x1f && b1 === 0x8b) return 'is gzip-compressed; decompress it first (gunzip), then pass the .csv.';
  if (b0 === 0x50 && b1 === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return 'is a zip archive (an .xlsx workbook is one); unzip it, or export the sheet as CSV.';
  }
  let nuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0) continue;
    nuls++;
    if (i % 2 === 1) oddNuls++;
  }
  if (nuls === 0) return null;
  // ASCII as UTF-16 without a mark: every other byte is NUL (odd ones for little-endian, even for big).
  const pairs = Math.floor(head.length / 2);
  if (nuls >= pairs / 2 && (oddNuls >= nuls * 0.9 || oddNuls <= nuls * 0.1)) {
    return 'is UTF-16 text (every other byte is NUL); save it as UTF-8 (in Excel: "CSV UTF-8").';
  }
  return 'holds NUL bytes near its start: it is not a text file. Export the bars as a UTF-8 CSV.';
}

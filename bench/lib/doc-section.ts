/**
 * docs/benchmarks.md is shared by several benches, each owning one `## ` section (static replay,
 * realtime feed, ...). A bench rewrites its own section and leaves the rest of the file as it was.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const PREAMBLE = `# Benchmarks

Each \`## \` section below is written by a bench in \`bench/\` (\`npm run bench\`, ...); rerun the bench
rather than editing its figures by hand. Figures are given as ratios against a floor measured in the
same run on the same machine, which travel between machines better than raw rates do.
`;

function isFence(line: string): boolean {
  return /^\s{0,3}(```|~~~)/.test(line);
}

/**
 * Replaces the section that starts at the line `heading` (e.g. "## Static replay") and runs to the
 * next `## ` heading outside a code fence, or to the end. A missing section is appended. `body`
 * is the text under the heading.
 */
export function replaceSection(markdown: string, heading: string, body: string): string {
  if (!/^## \S/.test(heading) || heading.includes('\n')) throw new Error(`replaceSection: ${JSON.stringify(heading)} is not a "## " heading`);
  const lines = markdown.split('\n');
  const section = `${heading}\n\n${body.replace(/\n+$/, '')}\n`;
  let start = -1;
  let end = lines.length;
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isFence(line)) inFence = !inFence;
    if (inFence || !line.startsWith('## ')) continue;
    if (start < 0) {
      if (line.trimEnd() === heading) start = i;
    } else {
      end = i;
      break;
    }
  }
  if (start < 0) {
    const head = markdown.replace(/\n+$/, '');
    return `${head}${head.length > 0 ? '\n\n' : ''}${section}`;
  }
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  return `${before}${start > 0 ? '\n' : ''}${section}${end < lines.length ? `\n${after}` : ''}`;
}

/** Rewrites one section of the file at `path` (created with a short preamble if missing). */
export function writeSection(path: string, heading: string, body: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : PREAMBLE;
  const next = replaceSection(current, heading, body);
  // Through a temporary file, so an interrupted bench never leaves half a document.
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, next);
  renameSync(tmp, path);
}

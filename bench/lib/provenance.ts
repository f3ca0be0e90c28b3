/**
 * Which code was measured: the commit, and whether src/ had uncommitted changes. Taken before and
 * after the runs, so a tree that changed mid-bench is called out rather than averaged over.
 */
import { execFileSync } from 'node:child_process';

export interface Provenance {
  readonly commit: string;
  /** Hash of `git status --porcelain -- src` plus the diff, '' when src/ is clean. */
  readonly srcState: string;
}

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  } catch {
    return '';
  }
}

export function provenance(repo: string): Provenance {
  const commit = git(repo, ['rev-parse', '--short', 'HEAD']).trim() || 'unknown';
  const status = git(repo, ['status', '--porcelain', '--', 'src']);
  const diff = status.trim() === '' ? '' : git(repo, ['diff', 'HEAD', '--', 'src']);
  return { commit, srcState: status.trim() === '' ? '' : `${status}\n${diff}` };
}

export function describeProvenance(before: Provenance, after: Provenance): string {
  const dirty = before.srcState !== '' ? ' with uncommitted changes in src/' : '';
  const moved =
    before.commit !== after.commit || before.srcState !== after.srcState
      ? ` — WARNING: the code changed while the bench ran (now ${after.commit}${after.srcState !== '' ? ', src/ modified' : ''}); rerun on a quiet tree`
      : '';
  return `commit ${before.commit}${dirty}${moved}`;
}

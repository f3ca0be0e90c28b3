/**
 * The URL of a module beside the caller, for a worker thread's entry. The repository runs the
 * TypeScript sources (`.ts`); the installed package runs them compiled (`.js`), and the compiler
 * rewrites import paths but not the strings a Worker is given: the caller's own extension decides.
 */
export function siblingModule(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

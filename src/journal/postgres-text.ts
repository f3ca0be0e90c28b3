/**
 * Text columns in PostgreSQL cannot hold U+0000, and an event's text can: an order id or a detail a
 * strategy wrote (user code) may carry one. Refusing it would fail the journal and halt the session
 * for one odd string, and dropping it would make `verify` diverge. So a text holding NUL or a
 * backslash is stored escaped (`\` as `\\`, NUL as `\0`) and read back unescaped; every other text
 * (nearly all) is stored as it is.
 */

export function encodeText(text: string | null): string | null {
  if (text === null || (!text.includes('\\') && !text.includes('\0'))) return text;
  return text.replaceAll('\\', '\\\\').replaceAll('\0', '\\0');
}

export function decodeText(text: string | null): string | null {
  if (text === null || !text.includes('\\')) return text;
  return text.replace(/\\([\\0])/g, (_m, c: string) => (c === '0' ? '\0' : '\\'));
}

/**
 * The default of an exhaustive switch over a union's discriminant: `value` is `never` when every
 * member has its case, so a new member without one is a compile error here. Reaching it at run
 * time is a bug (a value from outside the type system).
 */
export function unreachable(value: never): never {
  throw new Error(`unreachable: no case for ${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
}

/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), enough for tests:
 * `# HELP` and `# TYPE` lines, and samples `name{label="value",...} number`. It refuses what it
 * cannot read, so a malformed exposition fails the test that scrapes it.
 */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromText {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly PromSample[];
  /** The value of one sample, matched by name and every given label; undefined when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Σ of a metric's samples over every label set. */
  sum(name: string): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.]+(?:e[+-]?\d+)?|Inf|\+Inf|NaN))(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePromText(text: string): PromText {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!name || !type) throw new Error(`bad TYPE line: ${line}`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const raw = m[3]!;
    samples.push({ name: m[1]!, labels, value: raw.endsWith('Inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw) });
  }
  const match = (s: PromSample, name: string, labels: Record<string, string>): boolean =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    types,
    samples,
    value: (name, labels = {}) => samples.find((s) => match(s, name, labels))?.value,
    sum: (name) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0),
  };
}

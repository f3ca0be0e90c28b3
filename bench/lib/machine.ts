/** What the figures were measured on: they mean little without it. */
import { cpus, platform, release, arch, totalmem } from 'node:os';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    cores: list.length,
    memoryGiB: totalmem() / 2 ** 30,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} logical cores, ${m.memoryGiB.toFixed(1)} GiB RAM, ${m.os}, Node ${m.node}`;
}

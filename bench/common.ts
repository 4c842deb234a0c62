// Shared bits of the benchmarks: argument parsing, timing, JSON + markdown output.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function args(argv = process.argv.slice(2)) {
  return {
    get: (name: string, fallback: string) => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : fallback;
    },
    has: (name: string) => argv.includes(name),
  };
}

/** Median seconds of `reps` runs of `fn` after one warm-up. */
export async function timeIt(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function save(name: string, data: unknown, table: string[]): void {
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), ...(data as object) }, null, 2));
  console.log(table.join('\n'));
  console.log(`\nwritten ${file}`);
}

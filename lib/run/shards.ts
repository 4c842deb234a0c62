// Shard files: where shard i of N of a sweep writes (`--shard i/N` of a study, one device worker
// of `--devices`), and the complete set of them beside an output, which a later run merges.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** Shard i of n of the sweep writing `output`: 'x.arrow' → 'x.shard0of2.arrow'. */
export const shardFile = (output: string, i: number, n: number): string =>
  `${output.replace(/\.arrow$/, '')}.shard${i}of${n}.arrow`;

/** A complete set of shard files of one sweep beside its output, or null. */
export async function shardSet(output: string): Promise<string[] | null> {
  const stem = basename(output, '.arrow');
  const names = existsSync(dirname(output)) ? await readdir(dirname(output)) : [];
  const counts = new Set(
    names
      .map(
        (n) => new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.shard\\d+of(\\d+)\\.arrow$`).exec(n)?.[1],
      )
      .filter((c): c is string => c !== undefined),
  );
  for (const c of counts) {
    const n = Number(c);
    const files = Array.from({ length: n }, (_, i) => shardFile(output, i, n));
    if (files.every((f) => existsSync(f))) return files;
  }
  return null;
}

// Reading the bytes of a checkpoint's tensors from TypeScript (the NaN/Inf scan, the weights
// digest): each file opened once, each read checked to be whole, a failure named by file and tensor.
import { open } from 'node:fs/promises';

import type { NativeCheckpointFile, NativeTensorEntry } from '../native/types-model.js';
import { CheckpointError } from './errors.js';

/** Fills `buf[0, length)` with the file's bytes at `from`, or throws naming a truncated file. */
export type ReadAt = (buf: Uint8Array, from: number, length: number) => Promise<void>;

/** Calls `visit` for each tensor of each file, in order, with a reader of that file. */
export async function eachTensor(
  files: readonly NativeCheckpointFile[],
  visit: (tensor: NativeTensorEntry, path: string, readAt: ReadAt) => Promise<void>,
): Promise<void> {
  for (const f of files) {
    if (f.tensors.length === 0) continue;
    let fh;
    try {
      fh = await open(f.path, 'r');
    } catch (e) {
      throw new CheckpointError('io', f.path, `cannot open: ${(e as Error).message}`);
    }
    try {
      for (const t of f.tensors)
        await visit(t, f.path, async (buf, from, length) => {
          const { bytesRead } = await fh.read(buf, 0, length, from);
          if (bytesRead !== length)
            throw new CheckpointError(
              'truncated',
              f.path,
              `tensor '${t.name}': could read only ${bytesRead} of ${length} bytes at ${from} (was the file truncated?)`,
              t.name,
            );
        });
    } finally {
      await fh.close();
    }
  }
}

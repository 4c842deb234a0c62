// Creating an output folder with its parents. Node's recursive mkdir reports ENOENT when a parent
// cannot be made on a read-only file system or without permission; the one step that fails is
// retried alone to learn the real reason (EROFS, EACCES), which the error then names.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { fileError } from './fs-error.js';

export async function makeFolder(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (e) {
    let cause = e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      let missing = path;
      while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
      cause = await mkdir(missing).then(
        () => e,
        (why: unknown) => why,
      );
    }
    throw fileError(cause, path);
  }
}

// Creating an output folder with its parents. Node's recursive mkdir reports ENOENT when a parent
// cannot be made on a read-only file system or without permission; the one step that fails is
// retried alone to learn the real reason (EROFS, EACCES), which the error then names. A file where
// the folder (or one of its parents) should be is named as such, not as a bare EEXIST.
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { FileError, fileError } from './fs-error.js';

/** The outermost of `path` and its parents that exists and is not a folder (the one to move), or undefined. */
function fileInTheWay(path: string): string | undefined {
  let found: string | undefined;
  for (let p = path; ; p = dirname(p)) {
    let s;
    try {
      s = statSync(p, { throwIfNoEntry: false });
    } catch {
      s = undefined; // ENOTDIR: a parent is the file
    }
    if (s && !s.isDirectory()) found = p;
    if (dirname(p) === p) return found;
  }
}

/**
 * Throws a FileError when a file stands where the folder `path` (or one of its parents) would be:
 * a check an output folder gets before any work, since it is made only when there is something
 * to put in it.
 */
export function checkFolderPath(path: string): void {
  const file = fileInTheWay(path);
  if (file === undefined) return;
  const where = file === path ? path : `${file} (on the path of the folder ${path})`;
  throw new FileError(
    file === path ? 'EEXIST' : 'ENOTDIR',
    path,
    `${where} is a file, not a folder: give a folder, or move the file away`,
  );
}

export async function makeFolder(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (e) {
    let cause = e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') checkFolderPath(path);
    if (code === 'ENOENT') {
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

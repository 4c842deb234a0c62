// Output folders: a file where the folder (or one of its parents) should be is named as such,
// not as a bare EEXIST, and a missing parent is refused, as for every output.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { FileError, fileError } from './fs-error.js';
import { onCommandLine, said } from './said.js';

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

/**
 * Refuses an output (a file, or a folder distprompt makes) whose own folder is missing, as every
 * command does: a mistyped path is named before any work rather than made into new folders.
 */
export function checkParentFolder(path: string, what = 'output'): void {
  // `-o ''` (an unset shell variable): else refused as ': no such file or folder'.
  if (path === '')
    throw new FileError(
      'ENOENT',
      path,
      said`the ${what} is an empty path: give it a name${onCommandLine(' (-o <name>)')}`,
    );
  const folder = dirname(path);
  checkFolderPath(folder);
  if (!existsSync(folder))
    throw new FileError(
      'ENOENT',
      path,
      `the folder ${folder} of the ${what} ${path} does not exist: create it, or choose another output`,
    );
}

/**
 * What makeOutputFolder would refuse, checked before a run's work: a file in the way, a missing
 * parent, and a folder (or the parent it is to be made in) this process may not write, as a
 * read-only mount or another user's folder: a sweep's figures would else fail after all its rows.
 */
export function checkOutputFolder(path: string): void {
  checkFolderPath(path);
  checkParentFolder(path, 'output folder');
  const writtenIn = existsSync(path) ? path : dirname(path);
  try {
    accessSync(writtenIn, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw fileError(e, path);
  }
}

/**
 * Makes the output folder `path` (an existing one is kept). Its parent must exist: one mkdir, not
 * a recursive one, which also names the real reason it fails (EROFS, EACCES), where a recursive
 * mkdir says ENOENT, or never returns (Node's, under /proc).
 */
export async function makeOutputFolder(path: string): Promise<void> {
  checkOutputFolder(path);
  try {
    await mkdir(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(path, { throwIfNoEntry: false })?.isDirectory())
      return;
    throw fileError(e, path);
  }
}

// What every output's path is checked for before any work, in one place: its folder exists and
// this process may make files in it, it is a plain file or nothing yet (a rename would replace a
// link, a device or a pipe), and its name leaves room for what distprompt writes beside it.
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';

import { checkParentFolder } from './folder.js';
import { fileError } from './fs-error.js';
import { checkOutputName } from './output-name.js';
import { checkOutputIsFile } from './regular-file.js';

/** Throws a FileError naming `path` when it cannot be written as an output file. */
export function checkOutputPath(path: string): void {
  checkParentFolder(path);
  checkFolderWritable(path);
  checkOutputIsFile(path);
  checkOutputName(path);
}

/**
 * Every output is made in its folder (a temporary renamed onto its name, a journal, a lock beside
 * it), so a folder this process may not write (another user's, a read-only mount) is named by the
 * output before any work: else a sweep named its lock, and `targets` made its targets first.
 */
function checkFolderWritable(path: string): void {
  try {
    accessSync(dirname(path), constants.W_OK | constants.X_OK);
  } catch (e) {
    throw fileError(e, path);
  }
}

// What every output's path is checked for before any work, in one place: its folder exists, it
// is a plain file or nothing yet (a rename would replace a link, a device or a pipe), and its name
// leaves room for what distprompt writes beside it.
import { checkParentFolder } from './folder.js';
import { checkOutputName } from './output-name.js';
import { checkOutputIsFile } from './regular-file.js';

/** Throws a FileError naming `path` when it cannot be written as an output file. */
export function checkOutputPath(path: string): void {
  checkParentFolder(path);
  checkOutputIsFile(path);
  checkOutputName(path);
}

// An output must be a plain file, or nothing yet. Every finished file is written by renaming a
// complete temporary onto its name (writeAtomic), and a rename replaces whatever has that name:
// a device (`-o /dev/null` run as root would leave /dev/null a plain file), a FIFO, or a symbolic
// link, which would become a file while the file it names stays as it was. A dangling link would
// let a sweep run every row and only then find its name taken.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';

import { FileError } from './fs-error.js';

/** What kind of thing `path` is, when it is there and is neither a plain file nor a folder. */
function specialKind(mode: Stats): string | undefined {
  if (mode.isFIFO()) return 'a named pipe (FIFO)';
  if (mode.isSocket()) return 'a socket';
  if (mode.isCharacterDevice() || mode.isBlockDevice()) return 'a device';
  return undefined;
}

/**
 * Throws a FileError (exit 2) when the output `path` is a symbolic link, a device, a FIFO or a
 * socket: distprompt would replace it with a file. A missing path, a plain file and a folder
 * pass (a folder is each caller's to name, in its own words).
 */
export function checkOutputIsFile(path: string): void {
  let s;
  try {
    s = lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return; // ENOTDIR, ENAMETOOLONG …: the caller's own checks and the write say what is wrong
  }
  if (!s) return;
  if (s.isSymbolicLink()) {
    let to = '';
    try {
      to = ` to ${readlinkSync(path)}`;
    } catch {
      // unreadable link: named without its target
    }
    throw new FileError(
      'EEXIST',
      path,
      `${path} is a symbolic link${to}: an output is written as a new file renamed onto its name, which would replace the link, not the file it names; give the file's own path, or another name`,
    );
  }
  const kind = specialKind(s);
  if (kind)
    throw new FileError(
      'EEXIST',
      path,
      `${path} is ${kind}, not a file: an output is written as a new file renamed onto its name, which would replace it; give a file name`,
    );
}

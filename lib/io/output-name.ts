// An output's name is a file's (no trailing slash), with room for what distprompt adds to it
// beside the file while writing (`.partial`, `.lock`, `.tmp-<pid>-<ms>`): a name that fits only
// bare made a sweep fail on `<out>.lock` with ENAMETOOLONG, naming a file the user never gave.
import { statSync } from 'node:fs';
import { basename, sep } from 'node:path';

import { FileError } from './fs-error.js';

/** What most file systems allow in one name (ext4, xfs, btrfs, tmpfs: 255 bytes). */
export const NAME_MAX_BYTES = 255;
/** The longest suffix distprompt adds: `.tmp-<pid>-<ms>` (pid up to 7 digits, ms 13). */
const LONGEST_SUFFIX = '.tmp-'.length + 7 + 1 + 13;
/** The longest name an output (or a shard file of one) may have. */
export const LONGEST_OUTPUT_NAME = NAME_MAX_BYTES - LONGEST_SUFFIX;

/**
 * Throws a FileError (exit 2) when `path` ends in a slash, or its last name, with the suffixes
 * added to it, is too long.
 */
export function checkOutputName(path: string): void {
  // 'r.arrow/' names a folder: its lock and journal would be 'r.arrow/.lock', in a folder that is not there.
  if ((path.endsWith('/') || path.endsWith(sep)) && path.length > 1) {
    const bare = path.slice(0, -1);
    // Where that folder exists, the name without its '/' is the folder, which is refused in turn.
    const todo = statSync(bare, { throwIfNoEntry: false })?.isDirectory()
      ? `give the name of a file in that folder (${path}<file>)`
      : `give a file name, e.g. ${bare}`;
    throw new FileError('ENOENT', path, `the output ${path} ends in '/', as a folder does: ${todo}`);
  }
  const bytes = Buffer.byteLength(basename(path));
  if (bytes <= LONGEST_OUTPUT_NAME) return;
  throw new FileError(
    'ENAMETOOLONG',
    path,
    `the output name ${basename(path)} is ${bytes} bytes: give one of at most ${LONGEST_OUTPUT_NAME} (file systems allow ${NAME_MAX_BYTES}, and distprompt adds up to ${LONGEST_SUFFIX} beside it while writing)`,
  );
}

// Durable, atomic file writes: every finished file distprompt writes (results, merges, figures,
// reports, targets) goes through writeAtomic, so a file at its final name is always complete: a
// full disk or a kill leaves the old file or none, never a truncated one.

import { existsSync } from 'node:fs';
import { link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removedAtExit } from './exit-cleanup.js';
import { FileError, fileError } from './fs-error.js';
import { ownerGone, ownerTag } from './owner-tag.js';
import { checkOutputIsFile } from './regular-file.js';

/** fsync a directory so a rename or a new file name in it survives a power cut. */
export async function syncDir(path: string): Promise<void> {
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the data itself is already synced.
  } finally {
    await dir.close();
  }
}

/** `<path>.tmp-<pid>-<ms>`: the temporary beside `path`, named so a later run can tell whose it was. */
const temporaryName = (path: string): string => `${path}.tmp-${ownerTag()}`;

export interface AtomicOptions {
  /**
   * Replace a file already at `path` (default true). With false the final step refuses, and
   * keeps the file there, when one appeared since the caller checked (another program wrote it).
   */
  replace?: boolean;
}

/**
 * Writes `data` to `path` atomically: a temporary name in the same folder, write, fsync, rename,
 * fsync the folder. On any error the temporary is removed and the error names `path`; stale
 * temporaries of `path` from killed writers are removed first.
 */
export async function writeAtomic(path: string, data: Uint8Array | string, options: AtomicOptions = {}): Promise<void> {
  checkOutputIsFile(path); // callers check before their work; this is for every file, figures included
  await removeStaleTemporaries(path);
  const tmp = temporaryName(path);
  // Named before it is made: an exit while it is being made removes it too.
  const done = removedAtExit(tmp);
  let fh;
  try {
    fh = await open(tmp, 'wx');
  } catch (e) {
    done();
    throw fileError(e, path);
  }
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    if (options.replace === false) await placeNew(tmp, path);
    else await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw fileError(e, path);
  } finally {
    done();
  }
  await syncDir(path);
}

/** Gives `tmp` the name `path` unless something is there: link fails on an existing name, atomically. */
async function placeNew(tmp: string, path: string): Promise<void> {
  const appeared = () =>
    new FileError(
      'EEXIST',
      path,
      `${path} appeared while this run was writing it (another program made it) and is left as it is: move it away, then rerun`,
    );
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw appeared();
    // A file system without hard links: the check and the rename are then two steps.
    if (existsSync(path)) throw appeared();
    await rename(tmp, path);
    return;
  }
  await unlink(tmp);
}

/**
 * Removes temporaries of `path` left by a killed writer: `<path>.tmp-<pid>-<ms>` whose process is
 * gone. A live writer's temporary is left alone. Returns the names removed.
 */
export async function removeStaleTemporaries(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return []; // no folder, nothing stale; the write that follows says what is wrong
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    if (!ownerGone(name.slice(prefix.length), { more: false })) continue;
    const stale = join(dirname(path), name);
    await unlink(stale).then(
      () => removed.push(stale),
      () => undefined,
    );
  }
  return removed;
}

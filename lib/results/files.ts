// Durable file operations: data reaches the disk before anyone is told it is there.

import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

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

/**
 * Writes bytes to `path` atomically: a temporary name in the same directory, fsync, rename.
 * Readers see the old file or the complete new one, never a half-written one.
 */
export async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(path);
}

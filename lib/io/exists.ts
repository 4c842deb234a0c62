// Whether a path is there, for the checks that choose between files (a download's cached copy,
// a checkpoint's index or single file, a folder's tokenizer): any stat error counts as absent,
// since the read that follows names the real problem.
import { stat } from 'node:fs/promises';

/** Whether anything is at `p` (following links). */
export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether a regular file (or a link to one) is at `p`. */
export async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

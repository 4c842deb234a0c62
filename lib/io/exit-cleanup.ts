// What this process leaves beside its work while it writes (a file's temporary, a partial
// download, an output's lock) is removed should the process exit midway: the CLI answers a Ctrl-C
// outside a run by exiting at once (lib/cli/startup.ts), and what it left would stay until a later
// run removed it. A kill runs nothing: that is what the later run's removal is for.
import { rmSync } from 'node:fs';

interface Pending {
  path: string;
  ours?: () => boolean;
}

const pending = new Set<Pending>();

function removePending(): void {
  for (const p of pending) {
    try {
      if (p.ours?.() ?? true) rmSync(p.path, { force: true });
    } catch {
      // Left for a later run, as a kill leaves it: the exit goes on.
    }
  }
}

/**
 * `path`, removed if the process exits before the returned function is called (the path is then
 * finished with: renamed into place, or removed), and if `ours` says it still is this process's.
 */
export function removedAtExit(path: string, ours?: () => boolean): () => void {
  // One listener for every path: a run writing many files at once stays under Node's listener limit.
  if (pending.size === 0) process.once('exit', removePending);
  const entry = { path, ours };
  pending.add(entry);
  return () => {
    pending.delete(entry);
    if (pending.size === 0) process.off('exit', removePending);
  };
}

// Has a checkpoint file changed since its header was read? Loaded weights are owned copies, but
// a model loaded with mapWeights views the mapped file itself (a rewrite changes its weights, a
// truncation faults the process), and either way results should come from the checkpoint named:
// this is the cheap check (one stat per file) that it is still the file loaded.
import { statSync } from 'node:fs';

import type { FileStamp } from './safetensors.js';

export interface CheckpointChange {
  path: string;
  what: string;
}

export function checkpointChange(stamps: readonly FileStamp[]): CheckpointChange | null {
  for (const s of stamps) {
    let st;
    try {
      st = statSync(s.path, { bigint: true });
    } catch (e) {
      return {
        path: s.path,
        what: `cannot be read any more (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      };
    }
    if (st.ino !== s.ino || st.dev !== s.dev) return { path: s.path, what: 'was replaced by another file' };
    if (st.size !== s.size) return { path: s.path, what: `changed size (${s.size} → ${st.size} bytes)` };
    if (st.mtimeNs !== s.mtimeNs) return { path: s.path, what: 'was modified (its modification time changed)' };
  }
  return null;
}

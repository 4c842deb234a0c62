// Has a checkpoint file changed since its header was read? Zero-copy CPU weights view the
// mapped file itself, so a rewrite changes the weights of a loaded model and a truncation
// faults the process on its next read; the contract is that a checkpoint does not change while a
// model is loaded, and this is the cheap check (one stat per file) of that contract.
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

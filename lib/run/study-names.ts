// A study names each sweep's file after its experiment and model ('prefix-length-L01.<model>.arrow'):
// a long model name (a folder given by a long path) made a later sweep's name too long for what
// distprompt adds beside it while writing, and the study stopped there, after the sweeps before it
// had run. Every file's name, and its shard files' where the study is split, is checked before the first.
import { basename } from 'node:path';

import { StudyError } from '../study/catalog.js';
import type { StudySweep } from '../study/plan.js';
import { longestShardedName, shardFile } from './shards.js';

/** Refuses (exit 2) a study whose sweeps' files, split `n` ways, would have a name too long, naming the first. */
export function checkStudyNames(sweeps: readonly StudySweep[], n: number): void {
  for (const s of sweeps) {
    if (s.skipped) continue; // writes nothing
    const name = basename(s.spec.output);
    const bytes = Buffer.byteLength(name);
    const most = longestShardedName(s.spec.output, n);
    if (bytes <= most) continue;
    const split =
      n > 1 ? ` in a run of ${n} shards (whose files are longer: ${basename(shardFile(name, n - 1, n))})` : '';
    throw new StudyError(
      `the study's file for ${s.experiment} on ${s.givenModel}, ${name}, is ${bytes} bytes, and at most ${most} fit${split} with what distprompt adds beside a file while writing: give the model by a name ${bytes - most} bytes shorter (its folder by a shorter path, e.g. from nearer it)`,
    );
  }
}

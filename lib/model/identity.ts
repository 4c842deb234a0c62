// A model's identity (Model.info.identity; the `hash` of the model in every results file): what
// a resume, a --reuse and a study's shared rows compare before they take rows as this model's.
// A preset's is its config and seed (its weights follow from them); a checkpoint's is its config,
// its tensors' headers and samples of the weights' bytes (lib/checkpoint/digest.ts), so that a
// fine-tune saved over its base model is another model.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';

import type { Checkpoint } from '../checkpoint/checkpoint.js';
import { configFromHf } from './config.js';
import { randomSource } from './presets.js';

function sha(parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(JSON.stringify(p));
  return h.digest('hex').slice(0, 16);
}

export const randomIdentity = (hfConfig: unknown, seed: number): string => sha([hfConfig, seed]);

/** `digest`: weightsDigest of the tensors the model reads. */
export const checkpointIdentity = (ckpt: Checkpoint, digest: string): string =>
  sha([ckpt.config, ckpt.files.map((f) => f.tensors.map((t) => [t.name, t.dtype, t.shape, t.end - t.begin])), digest]);

/**
 * The identity loadModel(arg) gives (seed 0 for a preset), read from the config, the headers and
 * the weight samples without loading the model; null where that cannot be done without the
 * network (a hub id not in the local cache) or the files cannot be read (a load would say why).
 */
export async function identityAtHand(arg: string): Promise<string | null> {
  try {
    if (arg.startsWith('random:'))
      return randomIdentity((await randomSource(arg.slice('random:'.length), { offline: true })).hfConfig, 0);
    const { readCheckpoint, selectTensors, weightsDigest } = await import('../checkpoint/index.js');
    const dir = statSync(arg, { throwIfNoEntry: false })?.isDirectory()
      ? arg
      : await (await import('../hub/index.js')).resolveModel(arg, { offline: true });
    const ckpt = await readCheckpoint(dir);
    return checkpointIdentity(ckpt, await weightsDigest(selectTensors(ckpt, configFromHf(ckpt.config)).files));
  } catch {
    return null;
  }
}
